// `meshroute explain`: which route a request takes, why earlier routes did not match, where it
// goes and under which policy. A dry run over the same Snapshot/decide() code as the proxy.
#pragma once

#include <CLI/CLI.hpp>

namespace meshroute::cli {

void addExplainCommand(CLI::App& app, int& exit_code);

}  // namespace meshroute::cli
