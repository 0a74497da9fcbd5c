#include "upstream/connection_policy.h"

#include <algorithm>
#include <optional>

namespace meshroute::upstream {
namespace {

std::chrono::milliseconds millis(const api::Duration& d) {
  return std::chrono::milliseconds(d.totalNanos() / 1000000);
}

// Istio leaves a limit at its default unless the field is positive.
uint64_t limitOr(int32_t value) {
  return value > 0 ? static_cast<uint64_t>(value) : BreakerLimits::kUnlimited;
}

}  // namespace

bool ConnectionPolicy::isDefault() const {
  return limits.unlimited() && max_requests_per_connection == 0 &&
         idle_timeout == ConnectionPolicy{}.idle_timeout && max_connection_duration.count() == 0 &&
         !keepalive.enabled;
}

ConnectionPolicy compileConnectionPolicy(const api::ConnectionPoolSettings* pool,
                                         const api::RetryBudget* retry_budget) {
  ConnectionPolicy p;
  if (retry_budget != nullptr) {
    // As istiod writes it: percent as given, else Percent{0.2} (0.2%, though its comment says
    // 20%); minRetryConcurrency when positive, else 3.
    p.limits.retry_budget_percent =
        retry_budget->percent ? std::clamp(*retry_budget->percent, 0.0, 100.0) : 0.2;
    p.limits.min_retry_concurrency =
        retry_budget->min_retry_concurrency > 0 ? retry_budget->min_retry_concurrency : 3;
  }
  if (pool == nullptr) return p;
  if (pool->tcp) {
    p.limits.max_connections = limitOr(pool->tcp->max_connections);
    if (pool->tcp->max_connection_duration) {
      p.max_connection_duration = millis(*pool->tcp->max_connection_duration);
    }
    if (pool->tcp->tcp_keepalive) {
      const api::TcpKeepalive& k = *pool->tcp->tcp_keepalive;
      p.keepalive.enabled = true;
      p.keepalive.probes = k.probes;
      // Whole seconds, as the socket options take them (Envoy rounds the same way); a set
      // duration below one second becomes one.
      auto seconds = [](const std::optional<api::Duration>& d) -> uint32_t {
        if (!d) return 0;
        const auto ms = millis(*d).count();
        return ms <= 0 ? 0 : static_cast<uint32_t>(std::max<int64_t>(1, ms / 1000));
      };
      p.keepalive.time_seconds = seconds(k.time);
      p.keepalive.interval_seconds = seconds(k.interval);
    }
  }
  if (pool->http) {
    const api::HttpSettings& h = *pool->http;
    p.limits.max_pending_requests = limitOr(h.http1_max_pending_requests);
    p.limits.max_requests = limitOr(h.http2_max_requests);
    p.limits.max_retries = limitOr(h.max_retries);
    if (h.max_requests_per_connection > 0) {
      p.max_requests_per_connection = static_cast<uint64_t>(h.max_requests_per_connection);
    }
    if (h.idle_timeout) p.idle_timeout = millis(*h.idle_timeout);
  }
  return p;
}

}  // namespace meshroute::upstream
