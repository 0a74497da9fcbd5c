// The routing core's view of a parsed HTTP/1 request head: authority from the Host header or
// an absolute-form target, path, method, lower-cased header names, port (80 by default).
#pragma once

#include <string>

#include "http/h1.h"
#include "routing/request.h"

namespace meshroute::proxy {

// Refills `out` in place, so its strings and header vector keep their capacity between the
// requests of a connection.
void toRoutingRequest(const http::RequestHead& head, const std::string& client_ip,
                      routing::Request& out);

}  // namespace meshroute::proxy
