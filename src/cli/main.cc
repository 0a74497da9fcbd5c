// meshroute: Istio traffic management. This file wires subcommands only.
#include <CLI/CLI.hpp>

#include "cli/analyze_command.h"
#include "cli/demo_command.h"
#include "cli/echo_command.h"
#include "cli/explain_command.h"
#include "cli/run_command.h"
#include "cli/validate_command.h"

int main(int argc, char** argv) {
  CLI::App app{
      "meshroute: Istio's traffic management (VirtualService, DestinationRule, Gateway,\n"
      "ServiceEntry, Sidecar, WorkloadEntry) as offline tools and a proxy."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "meshroute 0.1.0");
  int exit_code = 0;
  meshroute::cli::addValidateCommand(app, exit_code);
  meshroute::cli::addAnalyzeCommand(app, exit_code);
  meshroute::cli::addExplainCommand(app, exit_code);
  meshroute::cli::addRunCommand(app, exit_code);
  meshroute::cli::addEchoCommand(app, exit_code);
  meshroute::cli::addDemoCommand(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  return exit_code;
}
