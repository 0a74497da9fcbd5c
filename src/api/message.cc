#include "api/message.h"

#include <cmath>
#include <cstdio>

#include <fmt/format.h>

namespace meshroute::api {

Mark Message::markOf(std::string_view field) const {
  for (const auto& fm : field_marks) {
    if (fm.index < 0 && fm.name == field) return fm.mark;
  }
  return mark;
}

Mark Message::markOf(std::string_view field, size_t index) const {
  for (const auto& fm : field_marks) {
    if (fm.index == static_cast<int32_t>(index) && fm.name == field) return fm.mark;
  }
  return markOf(field);
}

Mark Message::markOfKey(std::string_view field, std::string_view key) const {
  std::string name = fmt::format("{}\x1f{}", field, key);
  for (const auto& fm : field_marks) {
    if (fm.name == name) return fm.mark;
  }
  return markOf(field);
}

bool Message::has(std::string_view field) const {
  for (const auto& fm : field_marks) {
    if (fm.index < 0 && fm.name == field) return true;
  }
  return false;
}

namespace {

// Parses "[-]digits[.digits]" at the start of `s`, as Go's time.ParseDuration does.
bool leadingNumber(std::string_view& s, long double& value) {
  size_t i = 0;
  long double whole = 0;
  bool any = false;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    whole = whole * 10 + (s[i] - '0');
    ++i;
    any = true;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    long double scale = 0.1L;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      whole += (s[i] - '0') * scale;
      scale /= 10;
      ++i;
      any = true;
    }
  }
  if (!any) return false;
  value = whole;
  s.remove_prefix(i);
  return true;
}

}  // namespace

std::optional<Duration> parseDuration(std::string_view text) {
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return Duration{};
  if (s.empty()) return std::nullopt;
  long double total_ns = 0;
  while (!s.empty()) {
    long double value = 0;
    if (!leadingNumber(s, value)) return std::nullopt;
    size_t unit_len = 0;
    while (unit_len < s.size() && !(s[unit_len] >= '0' && s[unit_len] <= '9') &&
           s[unit_len] != '.') {
      ++unit_len;
    }
    std::string_view unit = s.substr(0, unit_len);
    s.remove_prefix(unit_len);
    long double scale = 0;
    if (unit == "ns")
      scale = 1;
    else if (unit == "us" || unit == "\xc2\xb5s" || unit == "\xce\xbcs")
      scale = 1e3L;
    else if (unit == "ms")
      scale = 1e6L;
    else if (unit == "s")
      scale = 1e9L;
    else if (unit == "m")
      scale = 60e9L;
    else if (unit == "h")
      scale = 3600e9L;
    else
      return std::nullopt;
    total_ns += value * scale;
  }
  // Proto Duration's range is about +-10,000 years.
  if (total_ns > 315576000000.0L * 1e9L) return std::nullopt;
  auto ns = static_cast<int64_t>(std::llround(total_ns));
  if (negative) ns = -ns;
  Duration d;
  d.seconds = ns / 1000000000;
  d.nanos = static_cast<int32_t>(ns % 1000000000);
  return d;
}

std::string formatDuration(const Duration& d) {
  if (d.nanos == 0) return fmt::format("{}s", d.seconds);
  int64_t ns = d.totalNanos();
  std::string sign = ns < 0 ? "-" : "";
  if (ns < 0) ns = -ns;
  int64_t frac = ns % 1000000000;
  std::string digits = fmt::format("{:09d}", frac);
  if (frac % 1000000 == 0)
    digits.resize(3);
  else if (frac % 1000 == 0)
    digits.resize(6);
  return fmt::format("{}{}.{}s", sign, ns / 1000000000, digits);
}

}  // namespace meshroute::api
