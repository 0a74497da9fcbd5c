#include "proxy/local_reply.h"

#include <fmt/format.h>

#include <chrono>
#include <ctime>

#include "http/h1.h"

namespace meshroute::proxy {
LocalReply localReplyFor(ProxyError error) {
  switch (error) {
    case ProxyError::kNone: return {200, "", "", "via_upstream"};
    case ProxyError::kNoRoute: return {404, "", "NR", "route_not_found"};
    case ProxyError::kNoCluster: return {503, "", "NC", "cluster_not_found"};
    case ProxyError::kNoHealthyUpstream:
      return {503, "no healthy upstream", "UH", "no_healthy_upstream"};
    case ProxyError::kConnectFailure:
      return {503,
              "upstream connect error or disconnect/reset before headers. reset reason: "
              "connection failure",
              "UF", "upstream_reset_before_response_started{connection_failure}"};
    case ProxyError::kConnectTimeout:
      return {503,
              "upstream connect error or disconnect/reset before headers. reset reason: "
              "connection timeout",
              "UF", "upstream_reset_before_response_started{connection_timeout}"};
    case ProxyError::kUpstreamReset:
      return {503,
              "upstream connect error or disconnect/reset before headers. reset reason: "
              "connection termination",
              "UC", "upstream_reset_before_response_started{connection_termination}"};
    case ProxyError::kUpstreamProtocol:
      return {502,
              "upstream connect error or disconnect/reset before headers. reset reason: "
              "protocol error",
              "UPE", "upstream_reset_before_response_started{protocol_error}"};
    case ProxyError::kUpstreamTimeout:
      return {504, "upstream request timeout", "UT", "response_timeout"};
    case ProxyError::kDownstreamProtocol: return {400, "Bad Request", "DPE", "http1.codec_error"};
    case ProxyError::kHeaderTimeout:
      return {408, "request header timeout", "", "request_header_timeout"};
    case ProxyError::kDownstreamDisconnect: return {0, "", "DC", "downstream_remote_disconnect"};
  }
  return {500, "", "", "internal"};
}

void appendLocalResponse(std::string& out, int status, std::string_view body,
                         std::string_view extra_headers, bool close, int version_minor) {
  char date[64];
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  size_t date_len = std::strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  fmt::format_to(std::back_inserter(out), "HTTP/1.{} {} {}\r\n", version_minor, status,
                 http::reasonPhrase(status));
  if (!body.empty()) out += "content-type: text/plain\r\n";
  fmt::format_to(std::back_inserter(out), "content-length: {}\r\ndate: {}\r\nserver: envoy\r\n",
                 body.size(), std::string_view(date, date_len));
  out += extra_headers;
  if (close) out += "connection: close\r\n";
  out += "\r\n";
  out += body;
}

}  // namespace meshroute::proxy
