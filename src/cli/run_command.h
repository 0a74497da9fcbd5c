// `meshroute run`: the sidecar proxy. Loads the -f configuration, serves HTTP/1.1 on --listen
// with one event loop per worker, the admin API on --admin, reloads on file change and SIGHUP,
// drains on SIGTERM/SIGINT and POST /quitquitquit.
#pragma once

#include <CLI/CLI.hpp>

namespace meshroute::cli {

void addRunCommand(CLI::App& app, int& exit_code);

}  // namespace meshroute::cli
