// `meshroute analyze`: istioctl analyze's networking findings, and meshroute's own, offline.
#pragma once

#include <CLI/CLI.hpp>

namespace meshroute::cli {

// Registers the subcommand on `app`; `exit_code` receives the command's result when it runs.
void addAnalyzeCommand(CLI::App& app, int& exit_code);

}  // namespace meshroute::cli
