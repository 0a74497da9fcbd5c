// `meshroute validate`: Istio's admission verdicts for files, offline.
#pragma once

#include <CLI/CLI.hpp>

namespace meshroute::cli {

// Registers the subcommand on `app`; `exit_code` receives the command's result when it runs.
void addValidateCommand(CLI::App& app, int& exit_code);

}  // namespace meshroute::cli
