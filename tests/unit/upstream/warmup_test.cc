#include "upstream/warmup.h"

#include <gtest/gtest.h>

#include "upstream/load_balancer.h"

namespace meshroute::upstream {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

WarmupPolicy policy(double min_percent = 10, double aggression = 1.0) {
  api::LoadBalancerSettings lb;
  lb.simple = "ROUND_ROBIN";
  lb.warmup.emplace();
  lb.warmup->duration = api::Duration{10, 0};
  lb.warmup->minimum_percent = min_percent;
  lb.warmup->aggression = aggression;
  return compileWarmup(&lb);
}

TEST(UpstreamWarmup, CompilesAsIstiodWritesSlowStart) {
  EXPECT_FALSE(compileWarmup(nullptr).enabled());
  api::LoadBalancerSettings lb;
  lb.warmup_duration_secs = api::Duration{30, 0};  // the older field
  WarmupPolicy p = compileWarmup(&lb);
  EXPECT_EQ(p.window, seconds(30));
  EXPECT_DOUBLE_EQ(p.min_fraction, 0.1);  // Envoy's defaults
  EXPECT_DOUBLE_EQ(p.aggression, 1.0);
  lb.simple = "RANDOM";  // istiod sets slow start for round robin and least request only
  EXPECT_FALSE(compileWarmup(&lb).enabled());
  p = policy(25, 2.0);
  EXPECT_EQ(p.window, seconds(10));
  EXPECT_DOUBLE_EQ(p.min_fraction, 0.25);
  EXPECT_DOUBLE_EQ(p.aggression, 2.0);
}

TEST(UpstreamWarmup, TheFactorRampsFromTheMinimumToOne) {
  const WarmupPolicy linear = policy();
  EXPECT_DOUBLE_EQ(warmupFactor(linear, seconds(0)), 0.1);  // the floor
  EXPECT_DOUBLE_EQ(warmupFactor(linear, seconds(5)), 0.5);
  EXPECT_DOUBLE_EQ(warmupFactor(linear, milliseconds(9000)), 0.9);
  EXPECT_DOUBLE_EQ(warmupFactor(linear, seconds(10)), 1.0);
  EXPECT_DOUBLE_EQ(warmupFactor(linear, seconds(3600)), 1.0);
  // Aggression 2: the square root of the time factor, faster early on.
  EXPECT_NEAR(warmupFactor(policy(10, 2.0), milliseconds(2500)), 0.5, 1e-12);
  EXPECT_DOUBLE_EQ(warmupFactor(WarmupPolicy{}, seconds(0)), 1.0);  // no warm-up
}

// The share of picks the new endpoint (index 1) gets over `n` picks.
double newShare(LoadBalancer& lb, int n) {
  core::Random random(3);
  int hits = 0;
  for (int i = 0; i < n; ++i) hits += lb.pick(random) == 1 ? 1 : 0;
  return static_cast<double>(hits) / n;
}

TEST(UpstreamWarmup, ANewEndpointsShareGrowsOnAFakeClock) {
  for (const char* algorithm : {"ROUND_ROBIN", "LEAST_REQUEST"}) {
    SCOPED_TRACE(algorithm);
    core::FakeClock clock;
    EndpointSet set(std::vector<HostRef>(2));
    Warmup warmup;
    warmup.policy = policy();
    warmup.clock = &clock;
    warmup.first_seen = {clock.now() - std::chrono::hours(1), clock.now()};
    core::Random seed(1);
    auto lb = makeLoadBalancer(algorithm, set, candidatesOf(set), 2, seed, &warmup);
    // Weights 1 : 0.1 at first, 1 : 0.5 halfway, even once warm.
    EXPECT_NEAR(newShare(*lb, 11000), 0.1 / 1.1, 0.01);
    clock.advance(seconds(5));
    EXPECT_NEAR(newShare(*lb, 12000), 0.5 / 1.5, 0.01);
    clock.advance(seconds(5));
    EXPECT_NEAR(newShare(*lb, 10000), 0.5, 0.01);
  }
}

}  // namespace
}  // namespace meshroute::upstream
