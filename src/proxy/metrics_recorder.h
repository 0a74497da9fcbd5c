// Turns a finished request into Istio's standard metrics (reporter "source": this is the
// client-side sidecar) and writes its access log line.
#pragma once

#include <string_view>

#include "proxy/request_log.h"

namespace meshroute::proxy {

class ProxyWorker;

void recordRequest(ProxyWorker& worker, const RequestLog& log);
// Writes a finished line to standard output with one write(2): lines from several workers
// never interleave and no lock is taken.
void writeAccessLog(std::string_view line);

}  // namespace meshroute::proxy
