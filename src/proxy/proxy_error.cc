#include "proxy/proxy_error.h"

#include <array>
#include <chrono>
#include <ctime>

#include "http/h1.h"

namespace meshroute::proxy {
namespace {

constexpr std::array<std::string_view, static_cast<size_t>(ResponseFlag::kNone)> kFlagNames = {
    "LH",   "UH",   "UT",   "LR",   "UR", "UF",  "UC", "UO", "NR",  "DI",
    "FI",   "RL",   "UAEX", "RLSE", "DC", "URX", "SI", "IH", "DPE", "UMSDR",
    "RFCF", "NFCF", "DT",   "UPE",  "NC", "OM",  "DF", "DO", "DR",  "UDO"};

using F = ResponseFlag;
using S = ErrorSide;

// One row per ProxyError, in its order.
const std::array<ErrorInfo, static_cast<size_t>(ProxyError::kCount)> kErrors = {{
    {404, "", F::kNoRouteFound, "route_not_found", S::kLocal, false},
    {503, "", F::kNoClusterFound, "cluster_not_found", S::kLocal, false},
    {503, "no healthy upstream", F::kNoHealthyUpstream, "no_healthy_upstream", S::kUpstream, false},
    {503,
     "upstream connect error or disconnect/reset before headers. reset reason: connection failure",
     F::kUpstreamConnectionFailure, "upstream_reset_before_response_started{connection_failure}",
     S::kUpstream, true},
    {503,
     "upstream connect error or disconnect/reset before headers. reset reason: connection timeout",
     F::kUpstreamConnectionFailure, "upstream_reset_before_response_started{connection_timeout}",
     S::kUpstream, true},
    {503,
     "upstream connect error or disconnect/reset before headers. reset reason: connection "
     "termination",
     F::kUpstreamConnectionTermination,
     "upstream_reset_before_response_started{connection_termination}", S::kUpstream, true},
    {502, "upstream connect error or disconnect/reset before headers. reset reason: protocol error",
     F::kUpstreamProtocolError, "upstream_reset_before_response_started{protocol_error}",
     S::kUpstream, true},
    {504, "upstream request timeout", F::kUpstreamRequestTimeout, "response_timeout", S::kUpstream,
     true},
    {504, "upstream request timeout", F::kUpstreamRequestTimeout, "upstream_per_try_timeout",
     S::kUpstream, true},
    {400, "Bad Request", F::kDownstreamProtocolError, "http1.codec_error", S::kDownstream, false},
    {408, "request header timeout", F::kNone, "request_header_timeout", S::kDownstream, false},
    {408, "stream timeout", F::kStreamIdleTimeout, "stream_idle_timeout", S::kDownstream, false},
    {0, "", F::kDownstreamConnectionTermination, "downstream_remote_disconnect", S::kDownstream,
     false},
    {0, "fault filter abort", F::kFaultInjected, "fault_filter_abort", S::kLocal, false},
    {503, "no configuration", F::kNoClusterFound, "no_configuration", S::kLocal, false},
    // The proxy's own limit, not the endpoint's failure: never counted against it.
    {503, "upstream connect error or disconnect/reset before headers. reset reason: overflow",
     F::kUpstreamOverflow, "upstream_reset_before_response_started{overflow}", S::kLocal, false},
}};

}  // namespace

std::string_view flagName(ResponseFlag f) {
  const auto i = static_cast<size_t>(f);
  return i < kFlagNames.size() ? kFlagNames[i] : std::string_view();
}

void ResponseFlags::appendTo(std::string& out) const {
  bool first = true;
  for (size_t i = 0; i < kFlagNames.size(); ++i) {
    if ((bits_ & (uint32_t{1} << i)) == 0) continue;
    if (!first) out.push_back(',');
    out.append(kFlagNames[i]);
    first = false;
  }
}

std::string ResponseFlags::str() const {
  std::string s;
  appendTo(s);
  return s;
}

std::string_view sideName(ErrorSide side) {
  switch (side) {
    case ErrorSide::kDownstream: return "downstream";
    case ErrorSide::kUpstream: return "upstream";
    case ErrorSide::kLocal: return "local";
  }
  return "local";
}

const ErrorInfo& errorInfo(ProxyError error) {
  const auto i = static_cast<size_t>(error);
  return kErrors[i < kErrors.size() ? i : 0];
}

void appendLocalResponse(std::string& out, int status, std::string_view body,
                         std::string_view extra_headers, bool close, int version_minor) {
  char date[64];
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  const size_t date_len = std::strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  http::appendStatusLine(out, status, version_minor);
  if (!body.empty()) http::appendHeader(out, "content-type", "text/plain");
  http::appendHeader(out, "content-length", static_cast<uint64_t>(body.size()));
  http::appendHeader(out, "date", std::string_view(date, date_len));
  http::appendHeader(out, "server", "envoy");
  out += extra_headers;
  if (close) http::appendHeader(out, "connection", "close");
  http::appendHeadEnd(out);
  out += body;
}

}  // namespace meshroute::proxy
