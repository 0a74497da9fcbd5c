// The route's fault injection (VirtualService `fault`), as Envoy's fault filter applies it before
// the router: a delay and/or an abort, each drawn per request with its percentage from the
// injected random source. Pure: the stream waits and answers; this only decides.
//
//   FaultVerdict v = evaluateFault(*decision.route.fault, worker_random);
//   if (v.delay.count() > 0) wait v.delay, flag DI;
//   if (v.abort_status > 0) answer v.abort_status "fault filter abort", flag FI;
#pragma once

#include <chrono>
#include <string_view>

#include "core/grpc_status.h"
#include "core/random.h"
#include "routing/decision.h"

namespace meshroute::proxy {

struct FaultVerdict {
  std::chrono::milliseconds delay{0};  // 0: no delay
  int abort_status = 0;                // HTTP status to answer with; 0: no abort
  // gRPC abort (`abort.grpcStatus`): the status code number to put in grpc-status; -1: none.
  int grpc_status = -1;
};

// Envoy draws percentages as fractions of a million (Istio converts `percentage.value` so).
// True with probability percent/100.
bool drawPercent(double percent, core::Random& random);

FaultVerdict evaluateFault(const routing::FaultPolicy& fault, core::Random& random);

}  // namespace meshroute::proxy
