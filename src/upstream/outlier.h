// Outlier detection (a DestinationRule's outlierDetection, Envoy's consecutive-error detectors):
// an endpoint that answers with enough consecutive errors is ejected from its cluster's load
// balancing for baseEjectionTime times the number of times it has been ejected, then returns.
//
// The state of an endpoint is shared by every worker (atomics), so errors seen on any worker
// count together and an ejection takes effect on all of them. Pure: time is passed in.
//
//   OutlierPolicy p = compileOutlierPolicy(&dr.outlier_detection);
//   if (recordStatus(host, 503, p) && tryEject(host, now, p, ejected_now, hosts)) ...;
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <vector>

#include "api/model/destination_rule.h"

namespace meshroute::upstream {

struct OutlierPolicy {
  // 0 disables a detector. Envoy's defaults where Istio leaves a field unset: 5 consecutive
  // 5xx (enforced); gateway errors only when set; local-origin failures only when split.
  uint32_t consecutive_5xx = 5;
  uint32_t consecutive_gateway = 0;
  uint32_t consecutive_local_origin = 0;
  bool split_local_origin = false;
  std::chrono::milliseconds interval{10000};
  std::chrono::milliseconds base_ejection_time{30000};
  std::chrono::milliseconds max_ejection_time{300000};
  uint32_t max_ejection_percent = 10;  // at least one endpoint may always be ejected
  uint32_t min_health_percent = 0;     // below it, every endpoint takes traffic (panic)
  // outlierDetectionHttpErrorCodes, sorted: the answers that count as errors (empty: 5xx).
  std::vector<uint32_t> error_codes;

  [[nodiscard]] bool isError(int status) const;
};

OutlierPolicy compileOutlierPolicy(const api::OutlierDetection& od);

enum class EjectionCause : uint8_t { kNone, kConsecutive5xx, kConsecutiveGateway, kLocalOrigin };

// One endpoint's detector state, shared by the workers.
struct HostOutlierState {
  std::atomic<uint32_t> consecutive_5xx{0};
  std::atomic<uint32_t> consecutive_gateway{0};
  std::atomic<uint32_t> consecutive_local{0};
  std::atomic<int64_t> ejected_until{0};  // steady-clock nanoseconds; 0 or past: not ejected
  std::atomic<uint32_t> ejections{0};     // the multiplier of baseEjectionTime

  [[nodiscard]] bool ejected(std::chrono::steady_clock::time_point now) const {
    return ejected_until.load(std::memory_order_acquire) > now.time_since_epoch().count();
  }
};

// An answer from the endpoint (`status`), or a failure of the proxy's own making before one
// (connect failure, timeout, reset: `local_origin`). The cause whose threshold this reached, if
// one did: the caller then tries to eject.
EjectionCause recordStatus(HostOutlierState& host, int status, const OutlierPolicy& policy);
EjectionCause recordLocalFailure(HostOutlierState& host, bool timeout, const OutlierPolicy& policy);

// Ejects `host` unless maxEjectionPercent forbids it (`ejected_now` of `hosts` are ejected
// already; one may always be). True when this call ejected it (not another worker's racing
// call). Its counters start again either way.
bool tryEject(HostOutlierState& host, std::chrono::steady_clock::time_point now,
              const OutlierPolicy& policy, size_t ejected_now, size_t hosts);

}  // namespace meshroute::upstream
