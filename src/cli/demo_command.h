// `meshroute demo`: echo backends for reviews v1/v2/v3 and ratings, the proxy in front of them
// with examples/ loaded, and a tour of what to try. `--check` runs the tour itself.
#pragma once

#include <CLI/CLI.hpp>

namespace meshroute::cli {

void addDemoCommand(CLI::App& app, int& exit_code);

}  // namespace meshroute::cli
