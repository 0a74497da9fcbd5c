#include "api/node.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace meshroute::api {

const Node* Node::find(std::string_view key) const {
  if (kind != Kind::kMap) return nullptr;
  for (const auto& e : entries) {
    if (e.key == key) return &e.value;
  }
  return nullptr;
}

std::string_view Node::text() const {
  return kind == Kind::kScalar ? std::string_view(scalar) : std::string_view();
}

namespace {

constexpr std::array<std::string_view, 11> kTrue = {"y",    "Y",    "yes", "Yes", "YES", "true",
                                                    "True", "TRUE", "on",  "On",  "ON"};
constexpr std::array<std::string_view, 11> kFalse = {"n",     "N",     "no",  "No",  "NO", "false",
                                                     "False", "FALSE", "off", "Off", "OFF"};

bool contains(const auto& set, std::string_view s) {
  return std::find(set.begin(), set.end(), s) != set.end();
}

bool allOf(std::string_view s, auto pred) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) { return pred(c) || c == '_'; });
}

bool isYamlInt(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (s.empty()) return false;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    return allOf(s.substr(2), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
  }
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
    return allOf(s.substr(2), [](char c) { return c == '0' || c == '1'; });
  }
  if (!std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return allOf(s, [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

bool isYamlFloat(std::string_view s) {
  if (s == ".inf" || s == ".Inf" || s == ".INF" || s == "+.inf" || s == "-.inf" || s == "-.Inf" ||
      s == "+.Inf" || s == "-.INF" || s == "+.INF" || s == ".nan" || s == ".NaN" || s == ".NAN") {
    return true;
  }
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  bool digits = false;
  bool dot = false;
  size_t i = 0;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digits = true;
    } else if (c == '_' && digits) {
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      break;
    }
  }
  if (!digits) return false;
  if (i == s.size()) return dot;
  if (s[i] != 'e' && s[i] != 'E') return false;
  ++i;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

}  // namespace

ScalarType plainScalarType(std::string_view text) {
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    return ScalarType::kNull;
  }
  if (contains(kTrue, text) || contains(kFalse, text)) return ScalarType::kBool;
  if (isYamlInt(text)) return ScalarType::kInt;
  if (isYamlFloat(text)) return ScalarType::kFloat;
  return ScalarType::kString;
}

bool plainScalarBool(std::string_view text) { return contains(kTrue, text); }

std::string_view nodeKindName(const Node& node) {
  switch (node.kind) {
    case Node::Kind::kNull: return "null";
    case Node::Kind::kSequence: return "array";
    case Node::Kind::kMap: return "object";
    case Node::Kind::kScalar:
      if (node.quoted) return "string";
      switch (plainScalarType(node.scalar)) {
        case ScalarType::kNull: return "null";
        case ScalarType::kBool: return "boolean";
        case ScalarType::kInt: return "integer";
        case ScalarType::kFloat: return "number";
        case ScalarType::kString: return "string";
      }
  }
  return "value";
}

}  // namespace meshroute::api
