// Shared text formatting of findings for every command.
#pragma once

#include <string>
#include <string_view>

#include "core/diagnostic.h"

namespace meshroute::cli {

// `FILE:LINE:COL: error|warning: SUBJECT: FIELD: message` (parts omitted when unknown).
std::string formatFinding(const core::Diagnostic& d, std::string_view subject);

}  // namespace meshroute::cli
