// The headers a forwarded request and its response carry, as Envoy builds them for an Istio
// route: hop-by-hop headers dropped, the destination's then the route's header operations
// (for a header both set, the route's value wins), the rewritten authority, and the headers
// Envoy adds (x-forwarded-for, x-forwarded-proto, x-request-id, x-envoy-original-path,
// x-envoy-expected-rq-timeout-ms, x-envoy-upstream-service-time). Mutation only: serializing
// a map for the wire is the codec's job (appendUpstreamHead for HTTP/1).
//
//   http::HeaderMap up;
//   buildUpstreamHeaders({head, request, decision, dest, client_ip, request_id}, up);
//   appendUpstreamHead(wire, "GET", "/p", up, framing, attempt);
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/random.h"
#include "http/h1.h"
#include "http/header_map.h"
#include "proxy/downstream/downstream_stream.h"
#include "routing/decision.h"
#include "routing/request.h"

namespace meshroute::proxy {

struct UpstreamHeadersInput {
  const RequestHead& head;
  const routing::Request& request;
  const routing::Decision& decision;
  const routing::RoutedDestination& destination;
  std::string_view client_ip;
  // The request's id: the client's x-request-id, else one the stream generated (added then).
  std::string_view generated_request_id;
};

// Fills `out` (cleared first) with the headers the upstream sees, except framing and the attempt
// count, which depend on the attempt and the wire. Most entries refer to `in`'s head, request,
// decision and id: `out` is valid while they are.
void buildUpstreamHeaders(const UpstreamHeadersInput& in, http::HeaderMap& out);

// The path the upstream sees: the rewritten one, else the request's.
std::string_view upstreamPath(const routing::Request& request, const routing::Decision& decision);

// HTTP/1.1 request line, headers, the body framing (content-length, or chunked when the length
// is unknown and a body follows) and x-envoy-attempt-count (Istio asks Envoy for it on every
// route: include_request_attempt_count).
void appendUpstreamHead(std::string& out, std::string_view method, std::string_view path,
                        const http::HeaderMap& headers, const RequestHead& head, int attempt);

// Fills `out` (cleared first) with the response headers the client sees: the upstream's minus
// hop-by-hop ones and framing, the operations applied, x-envoy-upstream-service-time. Entries
// refer to `resp`'s buffer and the decision: serialize `out` before that buffer is read into.
void buildResponseHeaders(const http::ResponseHead& resp, const routing::Decision& decision,
                          const routing::RoutedDestination& destination, int64_t service_time_ms,
                          http::HeaderMap& out);

// Applies only the route's response header operations (a local reply that still passes through
// the route, e.g. a fault abort).
void applyHeaderOps(const routing::HeaderOps& route, const routing::HeaderOps& destination,
                    http::HeaderMap& out);

// A version 4 UUID from `random`, as Envoy generates x-request-id.
std::string makeRequestId(core::Random& random);
void makeRequestId(core::Random& random, std::string& out);

}  // namespace meshroute::proxy
