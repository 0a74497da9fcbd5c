// A parsed YAML/JSON document as a plain tree that remembers where every value came from.
// yaml-cpp's own nodes share aliased subtrees and carry no budget, so the reader copies each
// document into this tree under explicit limits (see yaml_reader.h); decoding into the typed
// model (decode.h) then walks this tree only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/diagnostic.h"

namespace meshroute::api {

using core::Mark;

struct MapEntry;

struct Node {
  enum class Kind : uint8_t { kNull, kScalar, kSequence, kMap };
  Kind kind = Kind::kNull;
  // For scalars: true when written quoted or as a block scalar, so Kubernetes' YAML 1.1 typing
  // (yes/no/on/off booleans, numbers, null) applies only to plain scalars.
  bool quoted = false;
  Mark mark;
  std::string scalar;
  std::vector<Node> items;        // kSequence
  std::vector<MapEntry> entries;  // kMap, in document order

  [[nodiscard]] bool isNull() const { return kind == Kind::kNull; }
  [[nodiscard]] bool isScalar() const { return kind == Kind::kScalar; }
  [[nodiscard]] bool isSequence() const { return kind == Kind::kSequence; }
  [[nodiscard]] bool isMap() const { return kind == Kind::kMap; }
  // Map lookup; nullptr when absent or when this is not a map.
  [[nodiscard]] const Node* find(std::string_view key) const;
  // The scalar text when this is a (non-null) scalar, else "".
  [[nodiscard]] std::string_view text() const;
};

struct MapEntry {
  std::string key;
  Mark key_mark;
  Node value;
};

// What a plain scalar means under the YAML 1.1 rules Kubernetes applies (sigs.k8s.io/yaml).
enum class ScalarType : uint8_t { kNull, kBool, kInt, kFloat, kString };
ScalarType plainScalarType(std::string_view text);
// Parses YAML 1.1 booleans (true/yes/on/y ...). Precondition: plainScalarType == kBool.
bool plainScalarBool(std::string_view text);

std::string_view nodeKindName(const Node& node);

}  // namespace meshroute::api
