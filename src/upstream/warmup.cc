#include "upstream/warmup.h"

#include <algorithm>
#include <cmath>

namespace meshroute::upstream {

WarmupPolicy compileWarmup(const api::LoadBalancerSettings* lb) {
  WarmupPolicy p;
  if (lb == nullptr) return p;
  const std::string simple = lb->simple.value_or("");
  // istiod sets slow start on the round-robin and least-request configurations only; an
  // unset policy is least request.
  if (!simple.empty() && simple != "ROUND_ROBIN" && simple != "LEAST_REQUEST" &&
      simple != "LEAST_CONN") {
    return p;
  }
  if (lb->consistent_hash) return p;
  if (lb->warmup) {
    if (lb->warmup->duration) {
      p.window = std::chrono::milliseconds(lb->warmup->duration->totalNanos() / 1000000);
    }
    if (lb->warmup->minimum_percent) {
      p.min_fraction = std::clamp(*lb->warmup->minimum_percent, 0.0, 100.0) / 100.0;
    }
    if (lb->warmup->aggression && *lb->warmup->aggression > 0) {
      p.aggression = *lb->warmup->aggression;
    }
  } else if (lb->warmup_duration_secs) {
    p.window = std::chrono::milliseconds(lb->warmup_duration_secs->totalNanos() / 1000000);
  }
  return p;
}

double warmupFactor(const WarmupPolicy& policy, std::chrono::nanoseconds age) {
  if (!policy.enabled() || age >= policy.window) return 1.0;
  // At least a millisecond in, as Envoy counts, so that a brand-new endpoint is not at zero.
  const double elapsed = std::max(1.0, std::chrono::duration<double, std::milli>(age).count());
  const double time_factor = elapsed / static_cast<double>(policy.window.count());
  const double ramp =
      policy.aggression == 1.0 ? time_factor : std::pow(time_factor, 1.0 / policy.aggression);
  return std::max(ramp, policy.min_fraction);
}

}  // namespace meshroute::upstream
