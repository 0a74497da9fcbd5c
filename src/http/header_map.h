// The headers of one request or response as the pipeline holds them: names lower-cased (as
// Envoy's codecs present them), values as received, in order, repeated names allowed. Filters
// and the router mutate the map; codecs serialize it. Storage is one byte arena whose capacity
// survives clear(), so a connection's steady traffic allocates nothing for its headers.
// Values added with addReference() are not copied: they must outlive the map's use (strings of
// the configuration a request holds, string literals).
//
//   HeaderMap h;
//   h.add("Host", "reviews:9080");   // stored as "host"
//   h.set("x-user", "beta");
//   h.remove("te");
//   for (size_t i = 0; i < h.size(); ++i) write(h.name(i), h.value(i));
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/h1.h"

namespace meshroute::http {

class HeaderMap {
 public:
  void clear() {
    entries_.clear();
    arena_.clear();
  }
  [[nodiscard]] size_t size() const { return entries_.size(); }
  [[nodiscard]] bool empty() const { return entries_.empty(); }
  [[nodiscard]] std::string_view name(size_t i) const { return view(entries_[i].name); }
  [[nodiscard]] std::string_view value(size_t i) const { return view(entries_[i].value); }

  // Copies the name (lower-cased) and the value.
  void add(std::string_view name, std::string_view value);
  // Replaces the map with `headers`, whose names and values are views into `raw` (a parsed
  // head): `raw` is copied into the arena in one piece and the names lower-cased there, which
  // costs one copy per head instead of one per header.
  void assignParsed(std::string_view raw, const std::vector<Header>& headers);
  // Replaces the map with a copy of `other` that owns all its bytes (references included), for
  // a map that must outlive what `other` refers to (a mirror copy).
  void assignOwned(const HeaderMap& other);
  // Copies nothing: the caller keeps `name` and `value` alive while the map is used.
  void addReference(std::string_view name, std::string_view value);
  // Removes every header named `name` (any case), then adds it.
  void set(std::string_view name, std::string_view value);
  void setReference(std::string_view name, std::string_view value);
  // Removes every header named `name` (any case). Returns how many.
  size_t remove(std::string_view name);
  // The first value of `name` (any case), "" when absent.
  [[nodiscard]] std::string_view get(std::string_view name) const;
  [[nodiscard]] bool has(std::string_view name) const;
  // Bytes held by the arena (tests, memory accounting).
  [[nodiscard]] size_t arenaBytes() const { return arena_.capacity(); }

 private:
  // A span either in the arena (offset) or outside it (pointer), so the arena may grow.
  struct Span {
    const char* ptr = nullptr;  // null: arena offset
    uint32_t offset = 0;
    uint32_t size = 0;
  };
  struct Entry {
    Span name;
    Span value;
  };
  [[nodiscard]] std::string_view view(const Span& s) const {
    return s.ptr != nullptr ? std::string_view(s.ptr, s.size)
                            : std::string_view(arena_.data() + s.offset, s.size);
  }
  Span copy(std::string_view s, bool lower);

  std::vector<Entry> entries_;
  std::string arena_;
};

}  // namespace meshroute::http
