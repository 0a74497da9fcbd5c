// The route's corsPolicy at request time, as Envoy's CORS filter (envoy.filters.http.cors)
// applies it before the router. Pure: the session reads three request headers, asks, and either
// answers the preflight itself or routes the request and puts the headers on the response.
//
//   CorsRequest req{head.method, origin_or_empty, acr_method_or_empty, acr_headers_or_empty};
//   CorsVerdict v = evaluateCors(*route.compiled_cors, req);
//   if (v.action == CorsVerdict::Action::kPreflightReply) {
//     answer v.status with v.headers and no body (details "cors_response"); don't route;
//   } else {
//     route as usual; on the response head (the upstream's, or one the proxy makes later for
//     this request such as a fault abort or a 503), set each of v.headers, replacing any
//     header of that name.
//   }
//
// What Envoy does, and this follows:
// - A request without Origin, or with an empty one, is not CORS: nothing is added.
// - A preflight is OPTIONS (exact, case-sensitive) with Origin and a non-empty
//   Access-Control-Request-Method. OPTIONS without it is an actual request.
// - Preflight, allowed origin: 200 from the proxy with access-control-allow-origin (the
//   request's Origin, never "*"), -allow-credentials "true" when set, -allow-methods,
//   -allow-headers, -max-age when configured, and -expose-headers: the local reply passes through
//   the filter's own response step, which adds it.
// - Preflight, origin not allowed: forwarded upstream untouched (FORWARD, the default), or with
//   IGNORE answered 200 by the proxy with the same headers minus -allow-origin and
//   -expose-headers (credentials, methods, headers and max-age are still sent).
// - Actual request, allowed origin: the response gets -allow-origin (the request's Origin),
//   -allow-credentials "true" when set and -expose-headers when configured. Origin not allowed:
//   the response is left alone.
// - allowMethods "*" (alone) echoes Access-Control-Request-Method; allowHeaders "*" echoes
//   Access-Control-Request-Headers, empty when the request has none.
// - No Vary header is added, and "*" is never sent as the allowed origin, so credentials with
//   a wildcard origin list still work (the Origin is echoed).
// Envoy's server / date / content-length on the local reply are the session's business.
//
// Thread-safe (no state). The verdict's header names are static; its values point into the
// CompiledCors and the request's strings, so both must outlive it.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include "routing/cors_policy.h"

namespace meshroute::proxy {

struct CorsRequest {                 // the request as the filter sees it
  std::string_view method;           // "OPTIONS"
  std::string_view origin;           // "" when absent
  std::string_view request_method;   // Access-Control-Request-Method, "" when absent
  std::string_view request_headers;  // Access-Control-Request-Headers, "" when absent
};

struct CorsVerdict {
  enum class Action { kPass, kPreflightReply };  // kPreflightReply: answer locally, don't route
  Action action = Action::kPass;
  int status = 200;  // for kPreflightReply
  // Headers (lower-case names) for the local preflight reply (kPreflightReply) or to set on the
  // response (kPass with an allowed origin), in Envoy's order. Views into the CompiledCors /
  // request: valid while both live.
  std::vector<std::pair<std::string_view, std::string_view>> headers;
};

inline constexpr std::string_view kAccessControlAllowOrigin = "access-control-allow-origin";
inline constexpr std::string_view kAccessControlAllowCredentials =
    "access-control-allow-credentials";
inline constexpr std::string_view kAccessControlAllowMethods = "access-control-allow-methods";
inline constexpr std::string_view kAccessControlAllowHeaders = "access-control-allow-headers";
inline constexpr std::string_view kAccessControlMaxAge = "access-control-max-age";
inline constexpr std::string_view kAccessControlExposeHeaders = "access-control-expose-headers";

[[nodiscard]] CorsVerdict evaluateCors(const routing::CompiledCors& cors, const CorsRequest& req);

// The same into `out`, reusing its header vector's capacity (no allocation once it has grown
// to six entries), for callers that keep one verdict per session.
void evaluateCors(const routing::CompiledCors& cors, const CorsRequest& req, CorsVerdict& out);

}  // namespace meshroute::proxy
