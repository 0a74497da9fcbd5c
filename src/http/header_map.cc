#include "http/header_map.h"

#include <algorithm>

#include "http/h1.h"

namespace meshroute::http {

HeaderMap::Span HeaderMap::copy(std::string_view s, bool lower) {
  Span span;
  span.offset = static_cast<uint32_t>(arena_.size());
  span.size = static_cast<uint32_t>(s.size());
  arena_.append(s);
  if (lower) {
    for (size_t i = span.offset; i < arena_.size(); ++i) {
      char& c = arena_[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
    }
  }
  return span;
}

void HeaderMap::add(std::string_view name, std::string_view value) {
  Entry e;
  e.name = copy(name, true);
  e.value = copy(value, false);
  entries_.push_back(e);
}

void HeaderMap::assignParsed(std::string_view raw, const std::vector<Header>& headers) {
  clear();
  arena_.assign(raw);
  entries_.reserve(headers.size());
  for (const Header& h : headers) {
    Entry e;
    e.name.offset = static_cast<uint32_t>(h.name.data() - raw.data());
    e.name.size = static_cast<uint32_t>(h.name.size());
    e.value.offset = static_cast<uint32_t>(h.value.data() - raw.data());
    e.value.size = static_cast<uint32_t>(h.value.size());
    for (size_t i = e.name.offset; i < e.name.offset + e.name.size; ++i) {
      char& c = arena_[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
    }
    entries_.push_back(e);
  }
}

void HeaderMap::assignOwned(const HeaderMap& other) {
  clear();
  for (size_t i = 0; i < other.size(); ++i) {
    Entry e;
    e.name = copy(other.name(i), false);
    e.value = copy(other.value(i), false);
    entries_.push_back(e);
  }
}

void HeaderMap::addReference(std::string_view name, std::string_view value) {
  Entry e;
  e.name = Span{name.data(), 0, static_cast<uint32_t>(name.size())};
  e.value = Span{value.data(), 0, static_cast<uint32_t>(value.size())};
  entries_.push_back(e);
}

void HeaderMap::set(std::string_view name, std::string_view value) {
  remove(name);
  add(name, value);
}

void HeaderMap::setReference(std::string_view name, std::string_view value) {
  remove(name);
  addReference(name, value);
}

size_t HeaderMap::remove(std::string_view name) {
  const size_t before = entries_.size();
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                [&](const Entry& e) { return iequals(view(e.name), name); }),
                 entries_.end());
  return before - entries_.size();
}

std::string_view HeaderMap::get(std::string_view name) const {
  for (const Entry& e : entries_) {
    if (iequals(view(e.name), name)) return view(e.value);
  }
  return {};
}

bool HeaderMap::has(std::string_view name) const {
  return std::any_of(entries_.begin(), entries_.end(),
                     [&](const Entry& e) { return iequals(view(e.name), name); });
}

}  // namespace meshroute::http
