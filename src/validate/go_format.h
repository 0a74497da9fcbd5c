// Go formatting that Istio's messages embed: "%q" of a string and strconv.Atoi.
#pragma once

#include <fmt/format.h>

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace meshroute::validate {

// Go's "%q" of a string (strconv.Quote) for the ASCII a user can write in YAML; other bytes
// are kept as they are.
inline std::string goQuote(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\v': out += "\\v"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += fmt::format("\\x{:02x}", c);
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

// Go's strconv.Atoi (base 10, optional sign, 64-bit int): the number, or Go's error text.
inline std::variant<int64_t, std::string> goAtoi(std::string_view s) {
  std::string_view digits = s;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  bool syntax_ok = !digits.empty();
  for (char c : digits) syntax_ok = syntax_ok && c >= '0' && c <= '9';
  if (!syntax_ok) return fmt::format("strconv.Atoi: parsing {}: invalid syntax", goQuote(s));
  uint64_t magnitude = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude);
  constexpr uint64_t kMaxPositive = static_cast<uint64_t>(INT64_MAX);
  if (ec != std::errc() || magnitude > kMaxPositive + (negative ? 1 : 0)) {
    return fmt::format("strconv.Atoi: parsing {}: value out of range", goQuote(s));
  }
  if (negative) return static_cast<int64_t>(0 - magnitude);
  return static_cast<int64_t>(magnitude);
}

}  // namespace meshroute::validate
