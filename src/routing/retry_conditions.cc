#include "routing/retry_conditions.h"

#include <array>
#include <utility>

namespace meshroute::routing {
namespace {

// Envoy's spellings (x-envoy-retry-on and x-envoy-retry-grpc-on values).
constexpr std::array<std::pair<std::string_view, RetryCondition>, 16> kNames{{
    {"5xx", kRetry5xx},
    {"gateway-error", kRetryGatewayError},
    {"reset", kRetryReset},
    {"connect-failure", kRetryConnectFailure},
    {"retriable-4xx", kRetryRetriable4xx},
    {"refused-stream", kRetryRefusedStream},
    {"retriable-status-codes", kRetryRetriableStatusCodes},
    {"retriable-headers", kRetryRetriableHeaders},
    {"envoy-ratelimited", kRetryEnvoyRateLimited},
    {"reset-before-request", kRetryResetBeforeRequest},
    {"http3-post-connect-failure", kRetryHttp3PostConnectFailure},
    {"cancelled", kRetryGrpcCancelled},
    {"deadline-exceeded", kRetryGrpcDeadlineExceeded},
    {"internal", kRetryGrpcInternal},
    {"resource-exhausted", kRetryGrpcResourceExhausted},
    {"unavailable", kRetryGrpcUnavailable},
}};

bool isBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

uint32_t parseRetryOn(std::string_view list, std::vector<std::string>* unknown) {
  uint32_t bits = 0;
  while (!list.empty()) {
    const size_t comma = list.find(',');
    std::string_view token = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    while (!token.empty() && isBlank(token.front())) token.remove_prefix(1);
    while (!token.empty() && isBlank(token.back())) token.remove_suffix(1);
    if (token.empty()) continue;
    bool known = false;
    for (const auto& [name, bit] : kNames) {
      if (name == token) {
        bits |= bit;
        known = true;
        break;
      }
    }
    if (!known && unknown != nullptr) unknown->emplace_back(token);
  }
  return bits;
}

std::string_view retryConditionName(uint32_t condition) {
  for (const auto& [name, bit] : kNames) {
    if (bit == condition) return name;
  }
  return {};
}

}  // namespace meshroute::routing
