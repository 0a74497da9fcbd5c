// The routing core's view of a request head: authority from the Host header or an
// absolute-form target, path, method, lower-cased header names, port (80 by default).
#pragma once

#include <string>

#include "proxy/downstream/downstream_stream.h"
#include "routing/request.h"

namespace meshroute::proxy {

// Refills `out` in place, so its strings and header vector keep their capacity between the
// requests of a connection.
void toRoutingRequest(const RequestHead& head, const std::string& client_ip, routing::Request& out);

}  // namespace meshroute::proxy
