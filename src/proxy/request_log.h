// What one request did, gathered as it runs, for the access log line and Istio's metrics.
// Strings are reused between the requests of a connection, so steady traffic allocates no
// new storage for them.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "proxy/proxy_error.h"
#include "proxy/settings.h"

namespace meshroute::proxy {

struct ClusterState;

struct RequestLog {
  std::chrono::system_clock::time_point start_wall;
  std::chrono::steady_clock::time_point start;
  std::string method;
  std::string path;      // as the client sent it
  std::string protocol;  // "HTTP/1.1"
  std::string authority;
  std::string user_agent;
  std::string request_id;
  std::string forwarded_for;
  int status = 0;
  ResponseFlags flags;          // Envoy's response flags; printed "UF,URX", "-" when none
  std::string details;          // %RESPONSE_CODE_DETAILS%
  uint64_t bytes_received = 0;  // request body bytes
  uint64_t bytes_sent = 0;      // response body bytes
  int64_t upstream_service_time_ms = -1;
  std::string upstream_host;
  std::string upstream_cluster;
  std::string route_name;
  std::shared_ptr<const ClusterState> cluster;  // for destination metric labels
  int endpoint = -1;

  void reset();
  void addFlag(ResponseFlag flag) { flags.set(flag); }
  // Where the request failed, when it did (the access log's and /stats' view of blame).
  std::optional<ErrorSide> failure_side;
};

// Appends one access log line (Istio's default text format, or JSON) ending in '\n'.
void appendAccessLog(std::string& out, const RequestLog& log, AccessLogFormat format,
                     const std::string& local_address, const std::string& remote_address);

}  // namespace meshroute::proxy
