#include "analysis/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace meshroute::analysis {

std::string documentationUrl(const MessageType& type) {
  std::string code(type.code);
  if (code.starts_with("IST")) {
    std::transform(code.begin(), code.end(), code.begin(), ::tolower);
    return fmt::format("https://istio.io/latest/docs/reference/config/analysis/{}/?ref=meshroute",
                       code);
  }
  return fmt::format("https://github.com/meshroute/meshroute/blob/main/docs/analyzers.md#{}", code);
}

// istioctl's message object (code, documentationUrl, level, message, origin, reference), plus
// what meshroute knows beyond it: analyzer, field, line, hint.
nlohmann::ordered_json findingJson(const Finding& f) {
  nlohmann::ordered_json j;
  j["code"] = f.type->code;
  j["documentationUrl"] = documentationUrl(*f.type);
  j["level"] = levelText(f.type->level);
  j["message"] = f.message;
  if (f.resource != nullptr) {
    j["origin"] = f.origin();
    if (std::string ref = f.reference(); !ref.empty()) j["reference"] = ref;
  }
  j["analyzer"] = f.analyzer;
  if (!f.field.empty()) j["field"] = f.field;
  if (f.mark.line != 0) j["line"] = f.mark.line;
  if (!f.type->hint.empty()) j["hint"] = f.type->hint;
  return j;
}

// A YAML scalar: plain when YAML reads it back as the same string, else double-quoted (JSON
// strings are valid YAML).
namespace {

std::string yamlScalar(const nlohmann::ordered_json& v) {
  if (v.is_number()) return v.dump();
  std::string s = v.get<std::string>();
  bool plain = !s.empty() && s.find_first_of(":#'\"{}[],&*!|>%@`\n\t") == std::string::npos &&
               s.front() != ' ' && s.back() != ' ' && s.front() != '-' && s.front() != '?';
  if (plain) {
    static const char* const kAmbiguous[] = {"true", "false", "yes",  "no",
                                             "on",   "off",   "null", "~"};
    std::string lower = s;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    for (const char* a : kAmbiguous) plain = plain && lower != a;
    plain = plain && (std::isdigit(static_cast<unsigned char>(s.front())) == 0);
  }
  return plain ? s : nlohmann::ordered_json(s).dump();
}

}  // namespace

std::string toYaml(const nlohmann::ordered_json& list) {
  if (list.empty()) return "[]\n";
  std::string out;
  for (const auto& item : list) {
    bool first = true;
    for (const auto& [key, value] : item.items()) {
      out += fmt::format("{}{}: {}\n", first ? "- " : "  ", key, yamlScalar(value));
      first = false;
    }
  }
  return out;
}

std::string textLine(const Finding& f, bool color) {
  std::string line = f.text();
  if (!f.type->hint.empty()) {
    line += f.field.empty() ? fmt::format(" Fix: {}", f.type->hint)
                            : fmt::format(" Fix ({}): {}", f.field, f.type->hint);
  }
  if (!color) return line;
  const char* prefix = f.type->level == core::Level::kError     ? "\033[1;31m"
                       : f.type->level == core::Level::kWarning ? "\033[33m"
                                                                : "";
  std::string_view level = levelText(f.type->level);
  return fmt::format("{}{}\033[0m{}", prefix, level, line.substr(level.size()));
}

}  // namespace meshroute::analysis
