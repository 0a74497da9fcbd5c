// A DestinationRule's connectionPool, compiled once per configuration into what the connection
// pool and the router enforce: the circuit-breaker limits (Istio's defaults, 2^32 - 1, where a
// field is unset or 0) and the per-connection limits.
#pragma once

#include <chrono>
#include <cstdint>

#include "api/model/common.h"
#include "api/model/destination_rule.h"
#include "upstream/circuit_breaker.h"

namespace meshroute::upstream {

// tcp.tcpKeepalive: SO_KEEPALIVE on every upstream connection; 0 leaves the system's value.
struct KeepalivePolicy {
  bool enabled = false;
  uint32_t probes = 0;
  uint32_t time_seconds = 0;      // idle time before the first probe
  uint32_t interval_seconds = 0;  // between probes
};

struct ConnectionPolicy {
  BreakerLimits limits;
  uint64_t max_requests_per_connection = 0;              // 0: unlimited
  std::chrono::milliseconds idle_timeout{3600 * 1000};   // http.idleTimeout (Istio: 1h)
  std::chrono::milliseconds max_connection_duration{0};  // 0: unlimited
  KeepalivePolicy keepalive;
  // Whether any of it differs from the defaults: such a cluster gets connections of its own.
  [[nodiscard]] bool isDefault() const;
};

// `retry_budget`: the traffic policy's retryBudget (null: none), with Istio's defaults.
ConnectionPolicy compileConnectionPolicy(const api::ConnectionPoolSettings* pool,
                                         const api::RetryBudget* retry_budget = nullptr);

}  // namespace meshroute::upstream
