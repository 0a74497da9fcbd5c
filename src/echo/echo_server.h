// `meshroute echo`: a real HTTP/1.1 backend for tests and the demo. Answers every request with
// JSON describing it (name, version, method, path, query, host, headers, body size) and
// `x-echo-name`, like httpbin: /status/CODE, /delay/DURATION, a configurable failure rate, and
// WebSocket-style upgrades that echo bytes back.
#pragma once

#include <string>

namespace meshroute::echo {

struct EchoOptions {
  std::string listen = "127.0.0.1:8080";
  std::string name = "echo";
  std::string version;
  double fail_rate = 0;  // fraction of requests answered 503
  size_t workers = 1;
};

// Runs until SIGINT/SIGTERM. Exit code: 0 on a signal, 1 when the address can't be bound.
int runEcho(const EchoOptions& options);

}  // namespace meshroute::echo
