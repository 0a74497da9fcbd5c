// Turns a finished request into Istio's standard metrics (reporter "source": this is the
// client-side sidecar).
#pragma once

#include <string_view>

#include "proxy/request_log.h"

namespace meshroute::proxy {

class ProxyWorker;

void recordRequest(ProxyWorker& worker, const RequestLog& log);

}  // namespace meshroute::proxy
