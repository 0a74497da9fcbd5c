#include "cli/echo_command.h"

#include "echo/echo_server.h"

namespace meshroute::cli {

void addEchoCommand(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<echo::EchoOptions>();
  CLI::App* cmd = app.add_subcommand(
      "echo",
      "Run an HTTP/1.1 echo backend: every request is answered with JSON describing it and\n"
      "header x-echo-name. /status/CODE answers CODE, /delay/DURATION waits first (and stops\n"
      "waiting, unanswered, when the peer closes the connection meanwhile).\n"
      "Failures on demand: --fail-first N answers the first N requests --fail-status (503),\n"
      "--fail-rate P a random fraction P of the rest.\n"
      "--log-requests prints one JSON line per request on stdout, flushed before the answer:\n"
      R"(  {"event":"request","name":...,"method":...,"path":...,"query":...,"host":...,)"
      "\n"
      R"(   "body_bytes":N,"body_sha256":"HEX","status":S,"headers":{lower-case name: value}})"
      "\n"
      "  and event \"peer_closed\" (status 0) for a /delay/ request whose peer went away first.\n"
      "Prints 'echo NAME listening on ADDR:PORT' when ready (port 0 picks a free port).\n"
      "Exit codes: 0 on SIGINT/SIGTERM, 1 when the address can't be bound, 2 usage.");
  cmd->add_option("--listen", o->listen, "HOST:PORT to listen on")->capture_default_str();
  cmd->add_option("--name", o->name, "name reported in the body and x-echo-name")->required();
  cmd->add_option("--version", o->version, "version reported in the body and x-echo-version");
  cmd->add_option("--fail-rate", o->fail_rate,
                  "fraction of requests answered --fail-status (after --fail-first)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--fail-first", o->fail_first,
                  "answer the first N requests (over all workers) with --fail-status")
      ->capture_default_str();
  cmd->add_option("--fail-status", o->fail_status,
                  "status of the --fail-first and --fail-rate answers")
      ->check(CLI::Range(200, 599))
      ->capture_default_str();
  cmd->add_flag("--log-requests", o->log_requests,
                "one JSON line per request on stdout (see above), flushed before the answer");
  cmd->add_option("--workers", o->workers, "threads")->capture_default_str();
  cmd->callback([o, &exit_code] { exit_code = echo::runEcho(*o); });
}

}  // namespace meshroute::cli
