#include "upstream/outlier.h"

#include <algorithm>

namespace meshroute::upstream {
namespace {

std::chrono::milliseconds millis(const api::Duration& d) {
  return std::chrono::milliseconds(d.totalNanos() / 1000000);
}

bool isGatewayError(int status) { return status == 502 || status == 503 || status == 504; }

// Adds one to `counter`; true when that made it reach `threshold` (0: the detector is off).
bool bump(std::atomic<uint32_t>& counter, uint32_t threshold) {
  const uint32_t now = counter.fetch_add(1, std::memory_order_acq_rel) + 1;
  return threshold > 0 && now == threshold;
}

}  // namespace

OutlierPolicy compileOutlierPolicy(const api::OutlierDetection& od) {
  OutlierPolicy p;
  // As istiod writes Envoy's outlier_detection: a field set to 0 turns its detector off.
  if (od.consecutive_5xx_errors) p.consecutive_5xx = *od.consecutive_5xx_errors;
  if (od.consecutive_gateway_errors) p.consecutive_gateway = *od.consecutive_gateway_errors;
  if (od.consecutive_errors > 0) {  // deprecated: gateway errors only
    p.consecutive_gateway = static_cast<uint32_t>(od.consecutive_errors);
  }
  p.split_local_origin = od.split_external_local_origin_errors;
  if (p.split_local_origin && od.consecutive_local_origin_failures) {
    p.consecutive_local_origin = *od.consecutive_local_origin_failures;
  }
  if (od.interval) p.interval = millis(*od.interval);
  if (od.base_ejection_time) p.base_ejection_time = millis(*od.base_ejection_time);
  if (od.max_ejection_percent > 0) {
    p.max_ejection_percent = static_cast<uint32_t>(std::min(od.max_ejection_percent, 100));
  }
  p.error_codes = od.outlier_detection_http_error_codes;
  std::sort(p.error_codes.begin(), p.error_codes.end());
  if (od.min_health_percent > 0) {
    p.min_health_percent = static_cast<uint32_t>(std::min(od.min_health_percent, 100));
  }
  return p;
}

bool OutlierPolicy::isError(int status) const {
  if (error_codes.empty()) return status >= 500 && status <= 599;
  return status > 0 &&
         std::binary_search(error_codes.begin(), error_codes.end(), static_cast<uint32_t>(status));
}

namespace {

// `status` counted as an error (or not) by the caller's rule.
EjectionCause record(HostOutlierState& host, int status, bool error, const OutlierPolicy& policy) {
  if (!error) {
    host.consecutive_5xx.store(0, std::memory_order_release);
    host.consecutive_gateway.store(0, std::memory_order_release);
    // An answer proves the connection works: local-origin failures start again too.
    host.consecutive_local.store(0, std::memory_order_release);
    return EjectionCause::kNone;
  }
  EjectionCause cause = EjectionCause::kNone;
  if (isGatewayError(status)) {
    if (bump(host.consecutive_gateway, policy.consecutive_gateway)) {
      cause = EjectionCause::kConsecutiveGateway;
    }
  } else {
    host.consecutive_gateway.store(0, std::memory_order_release);
  }
  if (bump(host.consecutive_5xx, policy.consecutive_5xx)) cause = EjectionCause::kConsecutive5xx;
  return cause;
}

}  // namespace

EjectionCause recordStatus(HostOutlierState& host, int status, const OutlierPolicy& policy) {
  return record(host, status, policy.isError(status), policy);
}

EjectionCause recordLocalFailure(HostOutlierState& host, bool timeout,
                                 const OutlierPolicy& policy) {
  if (policy.split_local_origin) {
    return bump(host.consecutive_local, policy.consecutive_local_origin)
               ? EjectionCause::kLocalOrigin
               : EjectionCause::kNone;
  }
  // Not split: Envoy counts a connect failure or reset as a 503 and a timeout as a 504, errors
  // whatever outlierDetectionHttpErrorCodes lists.
  return record(host, timeout ? 504 : 503, true, policy);
}

bool tryEject(HostOutlierState& host, std::chrono::steady_clock::time_point now,
              const OutlierPolicy& policy, size_t ejected_now, size_t hosts) {
  host.consecutive_5xx.store(0, std::memory_order_release);
  host.consecutive_gateway.store(0, std::memory_order_release);
  host.consecutive_local.store(0, std::memory_order_release);
  if (host.ejected(now)) return false;
  // maxEjectionPercent of the cluster, but one endpoint may always go.
  if (ejected_now > 0 && (ejected_now + 1) * 100 > policy.max_ejection_percent * hosts) {
    return false;
  }
  const int64_t now_ns = now.time_since_epoch().count();
  int64_t until = host.ejected_until.load(std::memory_order_acquire);
  if (until > now_ns) return false;
  // The multiplier comes down by one for each interval the endpoint served since it returned
  // (Envoy's ejection back-off), then up by one for this ejection.
  uint32_t times = host.ejections.load(std::memory_order_acquire);
  if (until > 0 && policy.interval.count() > 0) {
    const auto healthy_intervals = static_cast<uint64_t>(
        (now_ns - until) /
        std::chrono::duration_cast<std::chrono::nanoseconds>(policy.interval).count());
    times = healthy_intervals >= times ? 0 : times - static_cast<uint32_t>(healthy_intervals);
  }
  ++times;
  const auto cap = std::max(policy.max_ejection_time, policy.base_ejection_time);
  const auto duration = std::min<std::chrono::nanoseconds>(policy.base_ejection_time * times, cap);
  // One worker wins a race to eject the same endpoint.
  if (!host.ejected_until.compare_exchange_strong(until, now_ns + duration.count(),
                                                  std::memory_order_acq_rel)) {
    return false;
  }
  host.ejections.store(times, std::memory_order_release);
  return true;
}

}  // namespace meshroute::upstream
