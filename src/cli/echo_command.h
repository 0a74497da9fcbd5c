// `meshroute echo`: the test and demo backend (src/echo).
#pragma once

#include <CLI/CLI.hpp>

namespace meshroute::cli {

void addEchoCommand(CLI::App& app, int& exit_code);

}  // namespace meshroute::cli
