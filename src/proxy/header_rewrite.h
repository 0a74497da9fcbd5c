// The heads the proxy writes: the request as the upstream sees it (route and destination
// header operations, rewritten path and authority, the x-forwarded-* / x-request-id headers
// Envoy adds, hop-by-hop headers dropped) and the response as the client sees it.
#pragma once

#include <string>

#include "core/random.h"
#include "http/h1.h"
#include "routing/decision.h"
#include "routing/request.h"

namespace meshroute::proxy {

struct UpstreamHeadInput {
  const http::RequestHead& head;
  const routing::Request& request;
  const routing::Decision& decision;
  const routing::RoutedDestination& destination;
  const std::string& client_ip;
  const std::string& request_id;  // the client's x-request-id, "" when absent
  core::Random& random;
  // Set when one had to be generated. Set it beforehand to send a request again with the id
  // generated the first time.
  std::string generated_request_id;
};

void appendUpstreamRequestHead(std::string& out, UpstreamHeadInput& in);

void appendResponseHead(std::string& out, const http::ResponseHead& resp, int client_version_minor,
                        const routing::Decision& decision,
                        const routing::RoutedDestination& destination, int64_t service_time_ms,
                        bool close, bool upgrade);

// A version 4 UUID from `random`, as Envoy generates x-request-id.
std::string makeRequestId(core::Random& random);

}  // namespace meshroute::proxy
