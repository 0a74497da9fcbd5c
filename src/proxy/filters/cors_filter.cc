#include "proxy/filters/cors_filter.h"

namespace meshroute::proxy {
namespace {

constexpr std::string_view kTrue = "true";
// Every header the filter can emit, so one reservation covers any verdict.
constexpr size_t kMaxHeaders = 6;

// What Envoy's encodeHeaders sets on a response once the request's origin was allowed.
void addResponseHeaders(const routing::CompiledCors& cors, const CorsRequest& req,
                        CorsVerdict& out) {
  out.headers.emplace_back(kAccessControlAllowOrigin, req.origin);
  if (cors.allow_credentials) out.headers.emplace_back(kAccessControlAllowCredentials, kTrue);
  if (!cors.expose_headers.empty()) {
    out.headers.emplace_back(kAccessControlExposeHeaders, cors.expose_headers);
  }
}

}  // namespace

void evaluateCors(const routing::CompiledCors& cors, const CorsRequest& req, CorsVerdict& out) {
  out.action = CorsVerdict::Action::kPass;
  out.status = 200;
  out.headers.clear();
  if (req.origin.empty()) return;  // not a CORS request
  if (out.headers.capacity() < kMaxHeaders) out.headers.reserve(kMaxHeaders);

  const bool allowed = cors.allowsOrigin(req.origin);
  const bool preflight = req.method == "OPTIONS" && !req.request_method.empty();
  if (!preflight) {
    if (allowed) addResponseHeaders(cors, req, out);
    return;
  }
  // Forwarded as it came; the upstream's answer is left alone too (the origin was not allowed).
  if (!allowed && cors.forward_unmatched_preflights) return;

  out.action = CorsVerdict::Action::kPreflightReply;
  if (allowed) out.headers.emplace_back(kAccessControlAllowOrigin, req.origin);
  if (cors.allow_credentials) out.headers.emplace_back(kAccessControlAllowCredentials, kTrue);
  if (!cors.allow_methods.empty()) {
    out.headers.emplace_back(kAccessControlAllowMethods,
                             cors.allow_methods == "*" ? req.request_method : cors.allow_methods);
  }
  if (!cors.allow_headers.empty()) {
    out.headers.emplace_back(kAccessControlAllowHeaders,
                             cors.allow_headers == "*" ? req.request_headers : cors.allow_headers);
  }
  if (!cors.max_age.empty()) out.headers.emplace_back(kAccessControlMaxAge, cors.max_age);
  // Envoy sends its local reply through the encoder filters, this one included: for an allowed
  // origin that step sets allow-origin and credentials again (same values, same place) and
  // appends expose-headers.
  if (allowed && !cors.expose_headers.empty()) {
    out.headers.emplace_back(kAccessControlExposeHeaders, cors.expose_headers);
  }
}

CorsVerdict evaluateCors(const routing::CompiledCors& cors, const CorsRequest& req) {
  CorsVerdict out;
  evaluateCors(cors, req, out);
  return out;
}

}  // namespace meshroute::proxy
