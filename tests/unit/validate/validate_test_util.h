// Test helpers: validate resources written inline as YAML.
//
//   auto d = validateYaml(R"(
//   apiVersion: networking.istio.io/v1
//   kind: VirtualService
//   ...)");
//   EXPECT_TRUE(hasError(d, "weight"));
#pragma once

#include <string>
#include <string_view>

#include "api/loader.h"
#include "validate/validate.h"

namespace meshroute::validate::testing {

// Loads every document of `yaml` and validates each resource; all findings in one list,
// including file-level problems (syntax errors, documents with no kind).
inline core::Diagnostics validateYaml(std::string_view yaml) {
  api::LoadResult loaded;
  api::loadText(yaml, "test.yaml", loaded);
  core::Diagnostics out;
  for (const auto& d : loaded.diagnostics.items()) {
    if (d.level != core::Level::kInfo) out.add(d);
  }
  for (const auto& res : loaded.resources) validateResource(res, out);
  return out;
}

// True when some finding of `level` has a message containing `text`.
inline bool has(const core::Diagnostics& d, core::Level level, std::string_view text) {
  for (const auto& item : d.items()) {
    if (item.level == level && item.message.find(text) != std::string::npos) return true;
  }
  return false;
}
inline bool hasError(const core::Diagnostics& d, std::string_view text) {
  return has(d, core::Level::kError, text);
}
inline bool hasWarning(const core::Diagnostics& d, std::string_view text) {
  return has(d, core::Level::kWarning, text);
}
// The field path of the first error containing `text`, or "" when none.
inline std::string errorField(const core::Diagnostics& d, std::string_view text) {
  for (const auto& item : d.items()) {
    if (item.level == core::Level::kError && item.message.find(text) != std::string::npos) {
      return item.field;
    }
  }
  return "";
}

}  // namespace meshroute::validate::testing
