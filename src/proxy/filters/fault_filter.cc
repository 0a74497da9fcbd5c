#include "proxy/filters/fault_filter.h"

namespace meshroute::proxy {

bool drawPercent(double percent, core::Random& random) {
  if (percent <= 0) return false;
  if (percent >= 100) return true;
  constexpr uint64_t kMillion = 1000000;
  const auto numerator = static_cast<uint64_t>(percent * 10000.0);
  return random.below(kMillion) < numerator;
}

FaultVerdict evaluateFault(const routing::FaultPolicy& fault, core::Random& random) {
  FaultVerdict v;
  if (fault.delay && drawPercent(fault.delay_percent, random)) {
    v.delay = std::chrono::milliseconds(fault.delay->totalNanos() / 1000000);
  }
  const bool has_abort = fault.abort_http_status || !fault.abort_grpc_status.empty();
  if (has_abort && drawPercent(fault.abort_percent, random)) {
    if (fault.abort_http_status) {
      v.abort_status = *fault.abort_http_status;
    } else {
      v.grpc_status = core::grpcStatusCode(fault.abort_grpc_status);
      if (v.grpc_status >= 0) v.abort_status = 200;  // gRPC errors travel in grpc-status
    }
  }
  return v;
}

}  // namespace meshroute::proxy
