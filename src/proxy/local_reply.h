// Every answer the proxy makes itself, in one table: Envoy's status code, body, response flag
// and response code details for each data-plane failure, so clients and runbooks written for
// Istio still apply (`no healthy upstream`, `upstream connect error or disconnect/reset before
// headers. reset reason: connection failure`, flags UH, UF, NR, NC, UT, DC...).
#pragma once

#include <string>
#include <string_view>

namespace meshroute::proxy {

enum class ProxyError {
  kNone,
  kNoRoute,              // 404 NR route_not_found
  kNoCluster,            // 503 NC cluster_not_found
  kNoHealthyUpstream,    // 503 UH no_healthy_upstream
  kConnectFailure,       // 503 UF upstream_reset_before_response_started{connection_failure}
  kConnectTimeout,       // 503 UF ... {connection_timeout}
  kUpstreamReset,        // 503 UC upstream_reset_before_response_started{connection_termination}
  kUpstreamProtocol,     // 502 UPE upstream_reset_before_response_started{protocol_error}
  kUpstreamTimeout,      // 504 UT response_timeout
  kDownstreamProtocol,   // 400/413/431/501/505 DPE (status from the codec)
  kHeaderTimeout,        // 408 request_header_timeout
  kDownstreamDisconnect  // DC: the client went away (no answer can be sent)
};

struct LocalReply {
  int status = 0;
  std::string_view body;
  std::string_view flag;     // Envoy's short response flag, "" for none
  std::string_view details;  // %RESPONSE_CODE_DETAILS%
};

LocalReply localReplyFor(ProxyError error);

// Appends a complete local response (status line, server, date, content-type, content-length,
// optional extra header lines already formatted "name: value\r\n", body).
void appendLocalResponse(std::string& out, int status, std::string_view body,
                         std::string_view extra_headers, bool close, int version_minor);

}  // namespace meshroute::proxy
