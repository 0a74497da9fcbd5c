// Every failure the data plane can meet, in one taxonomy, and one table that maps each to what
// Envoy answers: status code, body, response flag and %RESPONSE_CODE_DETAILS%, plus the side
// that failed and whether a retry may follow. Clients, dashboards and runbooks written for
// Istio keep working (`no healthy upstream`, `upstream request timeout`, flags UH, UF, UT...).
//
//   const ErrorInfo& e = errorInfo(ProxyError::kConnectFailure);
//   // e.status == 503, e.flag == ResponseFlag::kUpstreamConnectionFailure,
//   // e.side == ErrorSide::kUpstream, e.retryable == true
//   flags.set(e.flag);
//   flags.str();  // "UF"
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace meshroute::proxy {

// Envoy's response flags, in the order Envoy prints them (StreamInfo's flag table).
enum class ResponseFlag : uint8_t {
  kFailedLocalHealthCheck,            // LH
  kNoHealthyUpstream,                 // UH
  kUpstreamRequestTimeout,            // UT
  kLocalReset,                        // LR
  kUpstreamRemoteReset,               // UR
  kUpstreamConnectionFailure,         // UF
  kUpstreamConnectionTermination,     // UC
  kUpstreamOverflow,                  // UO
  kNoRouteFound,                      // NR
  kDelayInjected,                     // DI
  kFaultInjected,                     // FI
  kRateLimited,                       // RL
  kUnauthorizedExternalService,       // UAEX
  kRateLimitServiceError,             // RLSE
  kDownstreamConnectionTermination,   // DC
  kUpstreamRetryLimitExceeded,        // URX
  kStreamIdleTimeout,                 // SI
  kInvalidEnvoyRequestHeaders,        // IH
  kDownstreamProtocolError,           // DPE
  kUpstreamMaxStreamDurationReached,  // UMSDR
  kResponseFromCacheFilter,           // RFCF
  kNoFilterConfigFound,               // NFCF
  kDurationTimeout,                   // DT
  kUpstreamProtocolError,             // UPE
  kNoClusterFound,                    // NC
  kOverloadManager,                   // OM
  kDnsResolutionFailed,               // DF
  kDropOverload,                      // DO
  kDownstreamRemoteReset,             // DR
  kUnconditionalDropOverload,         // UDO
  kNone,                              // not a flag: an error that sets none
};

std::string_view flagName(ResponseFlag f);

// A set of response flags: a bitset, printed comma-joined in Envoy's order ("UF,URX").
class ResponseFlags {
 public:
  void set(ResponseFlag f) {
    if (f != ResponseFlag::kNone) bits_ |= uint32_t{1} << static_cast<unsigned>(f);
  }
  [[nodiscard]] bool has(ResponseFlag f) const {
    return f != ResponseFlag::kNone && (bits_ & (uint32_t{1} << static_cast<unsigned>(f))) != 0;
  }
  [[nodiscard]] bool empty() const { return bits_ == 0; }
  [[nodiscard]] uint32_t bits() const { return bits_; }
  void clear() { bits_ = 0; }
  // Appends "UF,URX"; nothing when empty.
  void appendTo(std::string& out) const;
  [[nodiscard]] std::string str() const;
  friend bool operator==(ResponseFlags a, ResponseFlags b) { return a.bits_ == b.bits_; }

 private:
  uint32_t bits_ = 0;
};

enum class ErrorSide : uint8_t { kDownstream, kUpstream, kLocal };
std::string_view sideName(ErrorSide side);

enum class ProxyError : uint8_t {
  kNoRoute,               // 404 NR: no route matched
  kNoCluster,             // 503 NC: the route's cluster does not exist
  kNoHealthyUpstream,     // 503 UH: the cluster has no endpoint to send to
  kConnectFailure,        // 503 UF: connecting to the endpoint failed
  kConnectTimeout,        // 503 UF: connecting took longer than connectTimeout
  kUpstreamReset,         // 503 UC: the upstream closed before a complete response head
  kUpstreamProtocol,      // 502 UPE: the upstream's response head was malformed
  kUpstreamTimeout,       // 504 UT: the route timeout expired
  kPerTryTimeout,         // 504 UT: the last attempt's per-try timeout expired
  kDownstreamProtocol,    // 400 DPE: the client's request (head or body framing) is malformed
  kHeaderTimeout,         // 408: the request head did not arrive in time
  kStreamIdleTimeout,     // 408 SI: no progress on the stream for stream_idle_timeout
  kDownstreamDisconnect,  // DC: the client went away; no answer can be sent
  kFaultAbort,            // FI: the route's fault injection aborted the request
  kNoConfiguration,       // 503 NC: no configuration loaded yet
  kOverflow,              // 503 UO: a connectionPool limit (circuit breaker) refused the request
  kCount,
};

struct ErrorInfo {
  int status = 0;
  std::string_view body;
  ResponseFlag flag = ResponseFlag::kNone;
  std::string_view details;  // %RESPONSE_CODE_DETAILS%
  ErrorSide side = ErrorSide::kLocal;
  // Whether the router may try again (on another endpoint) after this failure, when the
  // route's retry policy asks for it. Downstream and local errors never are.
  bool retryable = false;
};

const ErrorInfo& errorInfo(ProxyError error);

// Appends a complete local HTTP/1 response: status line, content-type (when there is a body),
// content-length, date, server, the extra header lines already formatted ("name: value\r\n"),
// connection: close when closing, the body.
void appendLocalResponse(std::string& out, int status, std::string_view body,
                         std::string_view extra_headers, bool close, int version_minor);

}  // namespace meshroute::proxy
