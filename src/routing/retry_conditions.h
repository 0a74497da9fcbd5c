// Envoy's retry_on conditions as bits, compiled once per route from the retry_on list istiod
// writes (route/retry/retry.go). The proxy's RetryState (proxy/router/retry_state.h) tests these
// bits on every failed attempt, so the per-request path never looks at the string again.
//
// Envoy reads one list for both families: a route's retry_on may mix HTTP conditions ("5xx",
// "connect-failure") with gRPC ones ("unavailable", "cancelled"), as Istio's default does.
//
//   std::vector<std::string> unknown;
//   uint32_t bits = parseRetryOn("connect-failure, unavailable,bogus", &unknown);
//   // bits == (kRetryConnectFailure | kRetryGrpcUnavailable), unknown == {"bogus"}
//
// Pure functions: no state, callable from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace meshroute::routing {

enum RetryCondition : uint32_t {
  // x-envoy-retry-on family.
  kRetry5xx = 1u << 0,             // any 5xx head; any reset, connect failure, per-try timeout
  kRetryGatewayError = 1u << 1,    // 502/503/504 heads; failures as 5xx
  kRetryReset = 1u << 2,           // failures as 5xx, no response heads
  kRetryConnectFailure = 1u << 3,  // connect failure or connect timeout
  kRetryRetriable4xx = 1u << 4,    // 409 only
  kRetryRefusedStream = 1u << 5,   // HTTP/2 REFUSED_STREAM reset
  kRetryRetriableStatusCodes = 1u << 6,      // heads whose status is in retriable_status_codes
  kRetryRetriableHeaders = 1u << 7,          // response header matchers (Istio configures none)
  kRetryEnvoyRateLimited = 1u << 8,          // heads carrying x-envoy-ratelimited
  kRetryResetBeforeRequest = 1u << 9,        // resets before any request byte reached the upstream
  kRetryHttp3PostConnectFailure = 1u << 10,  // HTTP/3 only: never fires on HTTP/1.1 and HTTP/2
  // x-envoy-retry-grpc-on family: the grpc-status of a response head (trailers-only response).
  kRetryGrpcCancelled = 1u << 16,          // 1
  kRetryGrpcDeadlineExceeded = 1u << 17,   // 4
  kRetryGrpcInternal = 1u << 18,           // 13
  kRetryGrpcResourceExhausted = 1u << 19,  // 8
  kRetryGrpcUnavailable = 1u << 20,        // 14
};

// Every gRPC condition, for "does this policy look at grpc-status at all".
inline constexpr uint32_t kRetryGrpcAny = kRetryGrpcCancelled | kRetryGrpcDeadlineExceeded |
                                          kRetryGrpcInternal | kRetryGrpcResourceExhausted |
                                          kRetryGrpcUnavailable;

// Parses an Envoy retry_on list; unknown tokens are skipped (and appended to `unknown` when given).
// Tokens are comma separated, surrounding blanks trimmed, empty tokens ignored; names compare
// exactly (Envoy is case-sensitive). Numbers are unknown here: istiod has already moved status
// codes into RetryPolicy::retriable_status_codes.
[[nodiscard]] uint32_t parseRetryOn(std::string_view list,
                                    std::vector<std::string>* unknown = nullptr);

// The retry_on token of one condition bit ("5xx", "unavailable"); "" for a value that is not
// exactly one known bit.
[[nodiscard]] std::string_view retryConditionName(uint32_t condition);

}  // namespace meshroute::routing
