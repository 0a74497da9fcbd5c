// `meshroute echo`: a real HTTP/1.1 backend for tests and the demo. Answers every request with
// JSON describing it (name, version, method, path, query, host, headers, body size) and
// `x-echo-name`, like httpbin: /status/CODE, /delay/DURATION, failures on demand (a random
// fraction, or the first N requests: deterministic flakiness for retry tests), WebSocket-style
// upgrades that echo bytes back, and an optional JSON log line per request on stdout so that
// end-to-end tests can see exactly what reached the backend (and what never did).
//
//   meshroute::echo::EchoOptions o;
//   o.listen = "127.0.0.1:0";
//   o.fail_first = 2;       // the first two requests are answered 503
//   o.log_requests = true;  // {"event":"request",...} on stdout per request
//   return meshroute::echo::runEcho(o);
//
// Threads: one event loop per worker; the failure counter and the log are shared by all.
#pragma once

#include <cstdint>
#include <string>

namespace meshroute::echo {

struct EchoOptions {
  std::string listen = "127.0.0.1:8080";
  std::string name = "echo";
  std::string version;
  double fail_rate = 0;       // fraction of requests answered fail_status
  uint64_t fail_first = 0;    // the first N requests (over all workers) are answered fail_status
  int fail_status = 503;      // the status of the failures above
  bool log_requests = false;  // one JSON line per request on stdout, before its answer
  size_t workers = 1;
};

// Runs until SIGINT/SIGTERM. Exit code: 0 on a signal, 1 when the address can't be bound.
int runEcho(const EchoOptions& options);

}  // namespace meshroute::echo
