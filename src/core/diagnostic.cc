#include "core/diagnostic.h"

#include <algorithm>

namespace meshroute::core {

std::string_view levelName(Level level) {
  switch (level) {
    case Level::kInfo: return "info";
    case Level::kWarning: return "warning";
    case Level::kError: return "error";
  }
  return "error";
}

void Diagnostics::error(std::string file, Mark mark, std::string field, std::string message) {
  items_.push_back({Level::kError, std::move(file), mark, std::move(field), std::move(message)});
}

void Diagnostics::warning(std::string file, Mark mark, std::string field, std::string message) {
  items_.push_back({Level::kWarning, std::move(file), mark, std::move(field), std::move(message)});
}

bool Diagnostics::hasErrors() const {
  return std::any_of(items_.begin(), items_.end(),
                     [](const Diagnostic& d) { return d.level == Level::kError; });
}

bool Diagnostics::hasWarnings() const {
  return std::any_of(items_.begin(), items_.end(),
                     [](const Diagnostic& d) { return d.level == Level::kWarning; });
}

void Diagnostics::append(const Diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

}  // namespace meshroute::core
