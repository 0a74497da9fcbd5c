// Mirrors (VirtualService `mirror` / `mirrors`): fire-and-forget copies of a request, sent on
// their own connections with their own deadline, their answers read and dropped. A slow,
// failing or hung mirror never delays or changes the primary response: nothing of the primary
// waits on a copy, and copies in flight per worker are bounded (beyond the bound they are not
// sent, and counted).
//
// Thread affinity: the worker thread that sends it.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "http/header_map.h"

namespace meshroute::proxy {

class ProxyWorker;
struct ClusterState;

struct MirrorRequest {
  std::string method;
  std::string path;
  http::HeaderMap headers;  // as the primary's upstream saw them (Host kept, Istio >= 1.28)
  std::string body;         // the whole body (a copy is only sent when it fit the bound)
  bool has_body = false;
  std::chrono::milliseconds timeout{15000};
};

// At most this many copies in flight on one worker.
inline constexpr size_t kMaxMirrorsInFlight = 256;

void sendMirror(ProxyWorker& worker, std::shared_ptr<ClusterState> cluster, MirrorRequest request);

}  // namespace meshroute::proxy
