// Building blocks of the typed model. Each model type is a plain struct deriving from Message
// plus one free function that names its fields:
//
//   struct HTTPRetry : Message {
//     int32_t attempts = 0;
//     std::optional<Duration> per_try_timeout;
//     std::string retry_on;
//   };
//   template <class V> void describe(V& v, HTTPRetry& m) {
//     v("attempts", m.attempts);
//     v("perTryTimeout", m.per_try_timeout);
//     v("retryOn", m.retry_on);
//   }
//
// describe() is the single list of fields: the decoder (decode.h) walks it to read YAML/JSON
// with type checks, unknown-field errors and source marks, and the schema test walks it to prove
// the model covers every field of Istio's CRDs. Field types follow Go's generated protos:
// plain values for proto3 scalars (zero = unset), std::optional for messages, wrappers, oneof
// members and `optional` scalars, std::vector for repeated, std::map for map fields, and
// std::string for enums (with an EnumTable in FieldOpts).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/node.h"
#include "core/diagnostic.h"

namespace meshroute::api {

using core::Mark;

struct EnumValue {
  std::string_view name;
  int32_t number;
};
using EnumTable = std::span<const EnumValue>;

struct FieldOpts {
  const EnumTable* enums = nullptr;  // the field is an enum held as its value name
  std::string_view oneof;            // name of the oneof group the field belongs to
  bool required = false;             // the CRD lists it as required
};

// google.protobuf.Duration. Accepts proto JSON ("1.5s") and Go/Kubernetes forms ("1h2m3.5s").
struct Duration {
  int64_t seconds = 0;
  int32_t nanos = 0;
  [[nodiscard]] int64_t totalNanos() const { return seconds * 1000000000 + nanos; }
  [[nodiscard]] double totalMillis() const { return static_cast<double>(totalNanos()) / 1e6; }
  friend bool operator==(const Duration&, const Duration&) = default;
};
// Parses a duration; nullopt when the text is not one.
std::optional<Duration> parseDuration(std::string_view text);
// Formats as proto JSON does ("1.500s", "30s").
std::string formatDuration(const Duration& d);

// A value with no fixed schema (google.protobuf.Struct / Value): kept as the document tree.
struct AnyValue {
  Node node;
};

// Kubernetes IntOrString (e.g. Service targetPort).
struct IntOrString {
  bool is_int = true;
  int64_t int_value = 0;
  std::string str_value;
};

struct FieldMark {
  std::string name;  // field name as written in YAML; map entries are "field\x1fkey"
  int32_t index;     // element index for repeated scalars, -1 otherwise
  Mark mark;         // where the value starts
};

// Base of every model message: where it and each of its fields were written.
struct Message {
  Mark mark;
  std::vector<FieldMark> field_marks;

  // Where `field` was written; the message's own mark when absent.
  [[nodiscard]] Mark markOf(std::string_view field) const;
  [[nodiscard]] Mark markOf(std::string_view field, size_t index) const;
  [[nodiscard]] Mark markOfKey(std::string_view field, std::string_view key) const;
  // True when the field was written in the source with a non-null value.
  [[nodiscard]] bool has(std::string_view field) const;
};

}  // namespace meshroute::api
