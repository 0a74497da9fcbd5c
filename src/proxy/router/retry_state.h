// Envoy's per-request retry state machine, as pure code: after each failed attempt the router
// asks whether to try again, and how long to wait first. It follows Envoy's router
// (source/common/router/retry_state_impl.cc and router.cc) over the RetryPolicy istiod built
// for the route (routing/decision.h; conditions compiled once by routing::parseRetryOn).
//
//   proxy::RetryState retry(decision.route.retries, worker_random);
//   for (;;) {
//     ... send the attempt; on a failure before a response head:
//     switch (retry.onFailure(AttemptFailure::kConnectFailure)) {
//       case RetryVerdict::kRetry: wait(retry.nextBackoff()); continue;  // a new attempt
//       case RetryVerdict::kLimitExceeded: flags += "URX"; [[fallthrough]];
//       case RetryVerdict::kNoRetry: answer 503 (UF) and stop;
//     }
//     ... on a response head: retry.onResponse(status, grpc_status) the same way; kNoRetry
//     passes the head on (and means upstream_rq_retry_success when retriesUsed() > 0).
//   }
//
// What the router keeps to itself, as Envoy's does: a route (global) timeout is never retried;
// nothing is retried once any response byte went downstream; a body that outgrew the replay
// buffer ends retrying (disable()); host choice on a retry (previous_hosts) is the balancer's.
//
// Thread affinity: one instance per request, used on that request's worker only. No I/O, no clock
// reads: randomness comes from the injected core::Random, waiting is the caller's.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "api/message.h"
#include "core/random.h"
#include "routing/decision.h"

namespace meshroute::proxy {

// What ended one attempt without a usable response, as the router saw it.
enum class AttemptFailure {
  kConnectFailure,  // the connection could not be made (refused, TLS handshake failed): UF
  kConnectTimeout,  // the cluster's connect timeout expired: UF (Envoy treats it as a failure)
  kRemoteReset,     // closed or reset before a complete response head: UC / UR
  kRefusedStream,   // HTTP/2 REFUSED_STREAM: the upstream did not process the request
  kPerTryTimeout,   // the per-try timer fired and the router reset the attempt: UT
  kProtocolError,   // the upstream's bytes were not valid HTTP: UPE
  kOverflow,        // a circuit breaker or pool limit refused the attempt: UO, never retried
};

enum class RetryVerdict {
  kNoRetry,        // pass the result on
  kRetry,          // try again after nextBackoff()
  kLimitExceeded,  // would retry, but attempts are used up: flag URX
};

// Envoy's default retry back-off base interval; the cap is 10 times the base.
inline constexpr std::chrono::milliseconds kDefaultRetryBaseInterval{25};
// How often Envoy draws a host again when previous_hosts rejects one (Istio's
// HostSelectionRetryMaxAttempts); applies when RetryPolicy::ignore_previous_hosts.
inline constexpr int kHostSelectionMaxAttempts = 5;

// The per-try timeout the router arms for each attempt: the policy's, truncated to whole
// milliseconds; none when unset or zero, or when it is not below a set route timeout (Envoy then
// ignores it). Like Envoy, start it once the attempt is connected and the request is complete
// downstream; a slow connect is kConnectTimeout, not a per-try timeout.
[[nodiscard]] std::optional<std::chrono::milliseconds> effectivePerTryTimeout(
    const routing::RetryPolicy& policy, const std::optional<api::Duration>& route_timeout);

class RetryState {
 public:
  // `policy` must outlive this state (it lives in the request's routing decision). A policy with
  // no attempts or no known conditions never retries and never reports kLimitExceeded: Istio
  // sends Envoy no retry policy at all then.
  RetryState(const routing::RetryPolicy& policy, core::Random& random);

  // A final response head arrived (grpc_status -1 when it carries none: only a trailers-only
  // gRPC response has grpc-status in its head). `envoy_rate_limited`: the head has
  // x-envoy-ratelimited; such a response retries on envoy-ratelimited only. kRetry: discard the
  // response and try again.
  [[nodiscard]] RetryVerdict onResponse(int status, int grpc_status,
                                        bool envoy_rate_limited = false);
  // An attempt failed without a response head. `request_sent`: some request byte reached the
  // upstream on this attempt (for reset-before-request; once true it stays true for the
  // request, as in Envoy). The one-argument form assumes bytes were sent unless the failure
  // happened before a connection (connect failure/timeout, overflow).
  [[nodiscard]] RetryVerdict onFailure(AttemptFailure failure);
  [[nodiscard]] RetryVerdict onFailure(AttemptFailure failure, bool request_sent);

  // The wait before the next attempt (Envoy's jittered exponential backoff with the policy's
  // base): uniform in [0, interval), interval = base, 2*base, 4*base, ... capped at 10*base.
  // Call once per kRetry.
  [[nodiscard]] std::chrono::milliseconds nextBackoff();

  // Whether the policy's conditions alone would retry this result, whatever the attempts left
  // and disable(): for counters and explanations.
  [[nodiscard]] bool wouldRetryResponse(int status, int grpc_status,
                                        bool envoy_rate_limited = false) const;
  [[nodiscard]] bool wouldRetryFailure(AttemptFailure failure, bool request_sent) const;

  [[nodiscard]] int retriesUsed() const { return retries_used_; }  // retries granted so far
  [[nodiscard]] int retriesLeft() const;
  // e.g. the request body outgrew the replay buffer: no more retries (verdicts become kNoRetry)
  void disable() { disabled_ = true; }
  [[nodiscard]] bool disabled() const { return disabled_; }
  [[nodiscard]] std::chrono::milliseconds baseInterval() const {
    return std::chrono::milliseconds(base_ms_);
  }
  [[nodiscard]] std::chrono::milliseconds maxInterval() const {
    return std::chrono::milliseconds(max_ms_);
  }

 private:
  RetryVerdict decide(bool would_retry);

  const routing::RetryPolicy& policy_;
  core::Random& random_;
  bool active_ = false;  // the policy can retry at all
  bool disabled_ = false;
  bool request_sent_ = false;  // sticky across attempts, as Envoy's upstream_request_started_
  int retries_used_ = 0;
  uint64_t base_ms_ = 0;
  uint64_t max_ms_ = 0;
  uint64_t next_interval_ms_ = 0;
};

}  // namespace meshroute::proxy
