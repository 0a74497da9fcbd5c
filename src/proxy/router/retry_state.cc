#include "proxy/router/retry_state.h"

#include <algorithm>

#include "routing/retry_conditions.h"

namespace meshroute::proxy {
namespace {

// Envoy reads durations as whole milliseconds (truncating).
int64_t wholeMillis(const api::Duration& d) { return d.totalNanos() / 1000000; }

// grpc-status values (google.rpc.Code).
constexpr int kGrpcCancelled = 1;
constexpr int kGrpcDeadlineExceeded = 4;
constexpr int kGrpcResourceExhausted = 8;
constexpr int kGrpcInternal = 13;
constexpr int kGrpcUnavailable = 14;

uint32_t grpcCondition(int grpc_status) {
  switch (grpc_status) {
    case kGrpcCancelled: return routing::kRetryGrpcCancelled;
    case kGrpcDeadlineExceeded: return routing::kRetryGrpcDeadlineExceeded;
    case kGrpcResourceExhausted: return routing::kRetryGrpcResourceExhausted;
    case kGrpcInternal: return routing::kRetryGrpcInternal;
    case kGrpcUnavailable: return routing::kRetryGrpcUnavailable;
    default: return 0;
  }
}

bool beforeConnection(AttemptFailure f) {
  return f == AttemptFailure::kConnectFailure || f == AttemptFailure::kConnectTimeout ||
         f == AttemptFailure::kOverflow;
}

}  // namespace

std::optional<std::chrono::milliseconds> effectivePerTryTimeout(
    const routing::RetryPolicy& policy, const std::optional<api::Duration>& route_timeout) {
  if (!policy.per_try_timeout) return std::nullopt;
  const int64_t per_try = wholeMillis(*policy.per_try_timeout);
  if (per_try <= 0) return std::nullopt;
  // A per-try timeout not below the route timeout could never fire first: Envoy drops it.
  if (route_timeout) {
    const int64_t global = wholeMillis(*route_timeout);
    if (global > 0 && per_try >= global) return std::nullopt;
  }
  return std::chrono::milliseconds(per_try);
}

RetryState::RetryState(const routing::RetryPolicy& policy, core::Random& random)
    : policy_(policy), random_(random) {
  active_ = policy.attempts > 0 && policy.conditions != 0;
  base_ms_ = static_cast<uint64_t>(kDefaultRetryBaseInterval.count());
  if (policy.backoff) {
    // Envoy rounds a base below 1ms up to 1ms.
    base_ms_ = static_cast<uint64_t>(std::max<int64_t>(1, wholeMillis(*policy.backoff)));
  }
  max_ms_ = base_ms_ * 10;
  next_interval_ms_ = base_ms_;
}

bool RetryState::wouldRetryResponse(int status, int grpc_status, bool envoy_rate_limited) const {
  if (!active_) return false;
  const uint32_t on = policy_.conditions;
  // A response an upstream Envoy rate limited is retried on envoy-ratelimited and nothing else.
  if (envoy_rate_limited) return (on & routing::kRetryEnvoyRateLimited) != 0;
  if ((on & routing::kRetry5xx) && status >= 500 && status <= 599) return true;
  const bool gateway_error = status == 502 || status == 503 || status == 504;
  if ((on & routing::kRetryGatewayError) && gateway_error) return true;
  if ((on & routing::kRetryRetriable4xx) && status == 409) return true;
  if ((on & routing::kRetryRetriableStatusCodes) && status >= 0 &&
      std::find(policy_.retriable_status_codes.begin(), policy_.retriable_status_codes.end(),
                static_cast<uint32_t>(status)) != policy_.retriable_status_codes.end()) {
    return true;
  }
  // retriable-headers never fires: Istio configures no response header matchers.
  return (on & grpcCondition(grpc_status)) != 0;
}

bool RetryState::wouldRetryFailure(AttemptFailure failure, bool request_sent) const {
  if (!active_) return false;
  const uint32_t on = policy_.conditions;
  if (failure == AttemptFailure::kOverflow) return false;  // the cluster is full: never
  const bool connect =
      failure == AttemptFailure::kConnectFailure || failure == AttemptFailure::kConnectTimeout;
  if (connect && (on & routing::kRetryConnectFailure)) return true;
  // Nothing reached the upstream yet in any attempt: safe even for non-idempotent requests.
  if ((on & routing::kRetryResetBeforeRequest) && !(request_sent || request_sent_)) return true;
  // A reset (or a per-try timeout, which Envoy turns into a local reset) counts as a 5xx.
  if (on & (routing::kRetryReset | routing::kRetry5xx | routing::kRetryGatewayError)) return true;
  return failure == AttemptFailure::kRefusedStream && (on & routing::kRetryRefusedStream);
}

RetryVerdict RetryState::onResponse(int status, int grpc_status, bool envoy_rate_limited) {
  request_sent_ = true;
  return decide(wouldRetryResponse(status, grpc_status, envoy_rate_limited));
}

RetryVerdict RetryState::onFailure(AttemptFailure failure) {
  return onFailure(failure, !beforeConnection(failure));
}

RetryVerdict RetryState::onFailure(AttemptFailure failure, bool request_sent) {
  request_sent_ = request_sent_ || request_sent;
  return decide(wouldRetryFailure(failure, request_sent));
}

RetryVerdict RetryState::decide(bool would_retry) {
  if (disabled_ || !would_retry) return RetryVerdict::kNoRetry;
  if (retries_used_ >= policy_.attempts) return RetryVerdict::kLimitExceeded;
  ++retries_used_;
  return RetryVerdict::kRetry;
}

std::chrono::milliseconds RetryState::nextBackoff() {
  // Full jitter over an interval that doubles per retry until doubling would pass the cap.
  const uint64_t interval = next_interval_ms_;
  next_interval_ms_ = next_interval_ms_ < max_ms_ / 2 ? next_interval_ms_ * 2 : max_ms_;
  return std::chrono::milliseconds(static_cast<int64_t>(random_.below(interval)));
}

int RetryState::retriesLeft() const {
  if (!active_ || disabled_) return 0;
  return std::max(0, policy_.attempts - retries_used_);
}

}  // namespace meshroute::proxy
