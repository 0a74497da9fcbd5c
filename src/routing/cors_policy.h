// Istio's corsPolicy as the proxy applies it: compiled once per configuration (one per
// VirtualService http rule) into the values Envoy's CORS filter reads from the route, in the
// form istiod generates them (route.go TranslateCORSPolicy):
//   - allowOrigins become Envoy string matchers (exact / prefix / RE2 regex, case-sensitive);
//     the deprecated allowOrigin list is used only when allowOrigins is empty, each entry an
//     exact matcher ("*" is then the literal "*", which Envoy treats as any origin).
//   - allowMethods, allowHeaders and exposeHeaders are joined with "," (no space).
//   - maxAge is whole seconds in decimal ("86400"; sub-second parts dropped).
//   - unmatchedPreflights IGNORE sets forward_not_matching_preflights false; UNSPECIFIED and
//     FORWARD set it true.
// The request-time side is proxy/filters/cors_filter.h.
//
//   routing::CompiledCors cors = routing::compileCors(*rule.cors_policy);
//   for (const auto& e : cors.errors) log(e);        // configs Envoy would have rejected
//   if (cors.allowsOrigin("https://app.example.com")) ...
//
// Immutable once compiled; any thread may read it (the RE2 programs are thread-safe).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/model/virtual_service.h"
#include "routing/http_match.h"

namespace meshroute::routing {

struct CompiledCors {
  std::vector<StringMatcher> allow_origins;  // in configuration order; RE2 regexes, full match
  // Some matcher accepts the literal "*": Envoy then allows every origin (isOriginAllowed tests
  // each matcher against "*" before the request's Origin), e.g. exact "*", regex ".*".
  bool any_origin = false;
  std::string allow_methods;   // "GET,POST"; "*" alone echoes Access-Control-Request-Method
  std::string allow_headers;   // "*" alone echoes Access-Control-Request-Headers
  std::string expose_headers;  // "x-a,x-b"
  std::string max_age;         // decimal seconds, "" when unset ("0" for maxAge: 0s)
  bool allow_credentials = false;
  bool forward_unmatched_preflights = true;  // unmatchedPreflights FORWARD/UNSPECIFIED
  // Origin matchers Envoy would refuse (empty prefix or regex, a regex RE2 rejects). They are
  // left out, so they match nothing; istiod's validation normally rejects them first.
  std::vector<std::string> errors;

  // Envoy's isOriginAllowed for a non-empty Origin value.
  [[nodiscard]] bool allowsOrigin(std::string_view origin) const;
};

[[nodiscard]] CompiledCors compileCors(const api::CorsPolicy& policy);

}  // namespace meshroute::routing
