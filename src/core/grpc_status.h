// gRPC status codes by name, as the gRPC spec numbers them: one table for validation (Istio's
// `abort.grpcStatus` must name one) and for the proxy (the code it puts in grpc-status).
#pragma once

#include <array>
#include <charconv>
#include <string_view>

namespace meshroute::core {

inline constexpr std::array<std::string_view, 17> kGrpcStatusNames = {
    "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
    "DATA_LOSS", "UNAUTHENTICATED"};

// "UNAVAILABLE" -> 14, "14" -> 14; -1 for anything else.
inline int grpcStatusCode(std::string_view name) {
  for (size_t i = 0; i < kGrpcStatusNames.size(); ++i) {
    if (kGrpcStatusNames[i] == name) return static_cast<int>(i);
  }
  int code = -1;
  auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), code);
  if (ec == std::errc() && ptr == name.data() + name.size() && code >= 0 &&
      code < static_cast<int>(kGrpcStatusNames.size())) {
    return code;
  }
  return -1;
}

}  // namespace meshroute::core
