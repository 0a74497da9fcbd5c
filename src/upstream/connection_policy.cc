#include "upstream/connection_policy.h"

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
         idle_timeout == ConnectionPolicy{}.idle_timeout && max_connection_duration.count() == 0;
}

ConnectionPolicy compileConnectionPolicy(const api::ConnectionPoolSettings* pool) {
  ConnectionPolicy p;
  if (pool == nullptr) return p;
  if (pool->tcp) {
    p.limits.max_connections = limitOr(pool->tcp->max_connections);
    if (pool->tcp->max_connection_duration) {
      p.max_connection_duration = millis(*pool->tcp->max_connection_duration);
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
