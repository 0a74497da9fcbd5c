// A new endpoint's warm-up (a DestinationRule's loadBalancer.warmup, or the older
// warmupDurationSecs; Envoy's slow start): for `window` after the proxy first sees an endpoint,
// round robin and least request give it a share of its weight that grows with time, from
// `min_fraction` up to all of it, faster with a higher `aggression`. Pure: time is passed in.
#pragma once

#include <chrono>
#include <vector>

#include "api/model/destination_rule.h"
#include "core/clock.h"

namespace meshroute::upstream {

struct WarmupPolicy {
  std::chrono::milliseconds window{0};  // 0: no warm-up
  double min_fraction = 0.1;            // minimumPercent / 100 (Envoy's default 10%)
  double aggression = 1.0;              // 1: linear
  [[nodiscard]] bool enabled() const { return window.count() > 0; }
};

// `lb`: the traffic policy's loadBalancer (null: none). Warm-up applies to ROUND_ROBIN and
// LEAST_REQUEST only, as istiod configures it.
WarmupPolicy compileWarmup(const api::LoadBalancerSettings* lb);

// Envoy's slow-start factor of an endpoint first seen `age` ago: its weight is multiplied by
// max(min_fraction, (age / window) ^ (1 / aggression)) while age < window, by 1 after.
double warmupFactor(const WarmupPolicy& policy, std::chrono::nanoseconds age);

// What a balancer needs to warm its endpoints up: the policy, when each endpoint (by index in
// the endpoint set) was first seen, and the clock. Owned by the cluster's state.
struct Warmup {
  WarmupPolicy policy;
  std::vector<std::chrono::steady_clock::time_point> first_seen;
  const core::Clock* clock = &core::SteadyClock::instance();
  [[nodiscard]] double factor(uint32_t host) const {
    return warmupFactor(policy, clock->now() - first_seen[host]);
  }
};

}  // namespace meshroute::upstream
