#include "cli/output.h"

#include <fmt/format.h>

namespace meshroute::cli {

std::string formatFinding(const core::Diagnostic& d, std::string_view subject) {
  std::string out = d.file;
  if (d.mark.line > 0) out += fmt::format(":{}:{}", d.mark.line, d.mark.column);
  out += fmt::format(": {}: ", core::levelName(d.level));
  if (!subject.empty()) out += fmt::format("{}: ", subject);
  if (!d.field.empty()) out += fmt::format("{}: ", d.field);
  out += d.message;
  return out;
}

}  // namespace meshroute::cli
