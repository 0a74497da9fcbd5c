#include "api/decode.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace meshroute::api {
namespace {

size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (std::tolower(a[i - 1]) == std::tolower(b[j - 1]) ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string withoutUnderscores(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != '_' && c != '-') out.push_back(static_cast<char>(std::tolower(c)));
  }
  return out;
}

bool parseInteger(std::string_view s, int64_t& out) {
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  std::string digits;
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  } else if (s.size() > 2 && s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
    base = 2;
    s.remove_prefix(2);
  } else if (s.size() > 1 && s[0] == '0') {
    base = 8;  // YAML 1.1, as Kubernetes reads it: 0777 is octal
    s.remove_prefix(1);
  }
  for (char c : s) {
    if (c != '_') digits.push_back(c);
  }
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, base);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return false;
  if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + (neg ? 1 : 0)) return false;
  out = neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  return true;
}

}  // namespace

void Decoder::typeError(const Node& node, const std::string& path, std::string_view want) {
  std::string got(nodeKindName(node));
  std::string msg =
      fmt::format("Invalid value: \"{}\": {} in body must be of type {}", got, path, want);
  if (node.isScalar()) {
    msg = fmt::format("Invalid value: {} \"{}\": must be of type {}", got,
                      node.scalar.size() > 64 ? node.scalar.substr(0, 64) + "..." : node.scalar,
                      want);
    if (node.quoted && (want == "integer" || want == "number" || want == "boolean")) {
      msg += " (remove the quotes)";
    }
  } else {
    msg = fmt::format("Invalid value: {}: must be of type {}", got, want);
  }
  error(node.mark, path, std::move(msg));
}

void Decoder::reportUnknown(const Frame& frame) {
  for (size_t i = 0; i < frame.node->entries.size(); ++i) {
    if (frame.used[i]) continue;
    const MapEntry& e = frame.node->entries[i];
    std::string path = frame.path.empty() ? e.key : fmt::format("{}.{}", frame.path, e.key);
    // Suggest the known field closest in spelling; snake_case forms map to camelCase exactly.
    std::string suggestion;
    size_t best = std::numeric_limits<size_t>::max();
    std::string key_norm = withoutUnderscores(e.key);
    for (std::string_view known : frame.known) {
      size_t d = withoutUnderscores(known) == key_norm ? 0 : editDistance(e.key, known);
      if (d < best) {
        best = d;
        suggestion = std::string(known);
      }
    }
    std::string msg = fmt::format("unknown field \"{}\"", e.key);
    if (!suggestion.empty() && best <= std::max<size_t>(2, e.key.size() / 4)) {
      msg += fmt::format(" (did you mean \"{}\"?)", suggestion);
    }
    error(e.key_mark, path, std::move(msg));
  }
}

void Decoder::checkOneof(Frame& f, std::string_view group, std::string_view name, const Node& value,
                         const std::string& path) {
  for (const auto& [g, field] : f.oneofs_set) {
    if (g == group) {
      error(value.mark, path,
            fmt::format("only one of \"{}\" and \"{}\" may be set (oneof {})", field, name, group));
      return;
    }
  }
  f.oneofs_set.emplace_back(group, name);
}

bool Decoder::readString(const Node& n, const std::string& path, std::string& out) {
  if (!n.isScalar() || (!n.quoted && plainScalarType(n.scalar) != ScalarType::kString)) {
    typeError(n, path, "string");
    return false;
  }
  out = n.scalar;
  return true;
}

bool Decoder::readEnum(const Node& n, const std::string& path, const EnumTable& table,
                       std::string& out) {
  if (n.isScalar() && !n.quoted && plainScalarType(n.scalar) == ScalarType::kInt) {
    int64_t number = 0;
    if (parseInteger(n.scalar, number)) {
      for (const auto& v : table) {
        if (v.number == number) {
          out = std::string(v.name);
          return true;
        }
      }
      out = n.scalar;  // Go keeps an unnamed enum number; validation then rejects it.
      return true;
    }
  }
  if (!n.isScalar()) {
    typeError(n, path, "string");
    return false;
  }
  for (const auto& v : table) {
    if (v.name == n.scalar) {
      out = n.scalar;
      return true;
    }
  }
  std::string supported;
  for (const auto& v : table) {
    supported += fmt::format("{}\"{}\"", supported.empty() ? "" : ", ", v.name);
  }
  error(n.mark, path,
        fmt::format("Unsupported value: \"{}\": supported values: {}", n.scalar, supported));
  return false;
}

bool Decoder::readBool(const Node& n, const std::string& path, bool& out) {
  if (!n.isScalar() || n.quoted || plainScalarType(n.scalar) != ScalarType::kBool) {
    typeError(n, path, "boolean");
    return false;
  }
  out = plainScalarBool(n.scalar);
  return true;
}

bool Decoder::readInt(const Node& n, const std::string& path, int64_t lo, int64_t hi, int64_t& out,
                      std::string_view type_name) {
  int64_t v = 0;
  if (!n.isScalar() || n.quoted || plainScalarType(n.scalar) != ScalarType::kInt ||
      !parseInteger(n.scalar, v)) {
    // A float with no fraction (JSON 8080.0) is still an integer to Kubernetes.
    double d = 0;
    if (n.isScalar() && !n.quoted && plainScalarType(n.scalar) == ScalarType::kFloat &&
        readDouble(n, path, d) && std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e18) {
      v = static_cast<int64_t>(d);
    } else {
      typeError(n, path, "integer");
      return false;
    }
  }
  if (v < lo || v > hi) {
    error(n.mark, path,
          fmt::format("Invalid value: {}: out of range for {} ({}..{})", n.scalar, type_name, lo,
                      hi));
    return false;
  }
  out = v;
  return true;
}

bool Decoder::readUint64(const Node& n, const std::string& path, uint64_t& out) {
  int64_t v = 0;
  if (!readInt(n, path, 0, std::numeric_limits<int64_t>::max(), v, "uint64")) return false;
  out = static_cast<uint64_t>(v);
  return true;
}

bool Decoder::readDouble(const Node& n, const std::string& path, double& out) {
  if (!n.isScalar() || n.quoted) {
    typeError(n, path, "number");
    return false;
  }
  ScalarType t = plainScalarType(n.scalar);
  if (t == ScalarType::kInt) {
    int64_t v = 0;
    if (!parseInteger(n.scalar, v)) {
      typeError(n, path, "number");
      return false;
    }
    out = static_cast<double>(v);
    return true;
  }
  if (t != ScalarType::kFloat) {
    typeError(n, path, "number");
    return false;
  }
  std::string text;
  for (char c : n.scalar) {
    if (c != '_') text.push_back(c);
  }
  if (text.find("inf") != std::string::npos || text.find("Inf") != std::string::npos ||
      text.find("INF") != std::string::npos || text.find("nan") != std::string::npos ||
      text.find("NaN") != std::string::npos || text.find("NAN") != std::string::npos) {
    error(n.mark, path, fmt::format("Invalid value: {}: must be a finite number", n.scalar));
    return false;
  }
  out = std::strtod(text.c_str(), nullptr);
  return true;
}

bool Decoder::readDuration(const Node& n, const std::string& path, Duration& out) {
  if (!n.isScalar()) {
    typeError(n, path, "string");
    return false;
  }
  auto d = parseDuration(n.scalar);
  if (!d) {
    error(n.mark, path,
          fmt::format("Invalid value: \"{}\": not a duration (use forms like 500ms, 10s, 1m30s)",
                      n.scalar));
    return false;
  }
  out = *d;
  return true;
}

void Decoder::readIntOrString(const Node& n, const std::string& path, IntOrString& out) {
  if (n.isScalar() && !n.quoted && plainScalarType(n.scalar) == ScalarType::kInt) {
    int64_t v = 0;
    if (readInt(n, path, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max(),
                v, "int32")) {
      out.is_int = true;
      out.int_value = v;
    }
    return;
  }
  std::string s;
  if (readString(n, path, s)) {
    out.is_int = false;
    out.str_value = std::move(s);
  }
}

}  // namespace meshroute::api
