#include "upstream/load_balancer.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

namespace meshroute::upstream {
namespace {

EndpointSet makeSet(std::vector<uint32_t> weights, std::vector<bool> healthy = {}) {
  std::vector<HostRef> hosts;
  for (size_t i = 0; i < weights.size(); ++i) {
    HostRef h;
    h.address = "10.0.0." + std::to_string(i + 1);
    h.port = 9080;
    h.weight = weights[i];
    h.healthy = healthy.empty() || healthy[i];
    hosts.push_back(h);
  }
  return EndpointSet(std::move(hosts));
}

std::map<int, int> pickMany(LoadBalancer& lb, core::Random& random, int n) {
  std::map<int, int> counts;
  for (int i = 0; i < n; ++i) counts[lb.pick(random)]++;
  return counts;
}

TEST(UpstreamLoadBalancer, EmptySetPicksNothing) {
  core::Random random(1);
  EndpointSet set;
  for (const char* policy : {"ROUND_ROBIN", "LEAST_REQUEST", "RANDOM"}) {
    EXPECT_EQ(makeLoadBalancer(policy, set, 2, random)->pick(random), -1) << policy;
  }
}

TEST(UpstreamLoadBalancer, RoundRobinVisitsEachInTurn) {
  core::Random random(7);
  auto set = makeSet({1, 1, 1});
  auto lb = makeLoadBalancer("ROUND_ROBIN", set, 2, random);
  int first = lb->pick(random);
  EXPECT_EQ(lb->pick(random), (first + 1) % 3);
  EXPECT_EQ(lb->pick(random), (first + 2) % 3);
  EXPECT_EQ(lb->pick(random), first);
}

TEST(UpstreamLoadBalancer, WeightedRoundRobinIsProportionalAndSmooth) {
  core::Random random(3);
  auto set = makeSet({1, 3});
  auto lb = makeLoadBalancer("ROUND_ROBIN", set, 2, random);
  auto counts = pickMany(*lb, random, 40000);
  EXPECT_NEAR(counts[1] / 40000.0, 0.75, 0.01);
  // Smooth: host 0 never gets two picks in a row with weights 1:3.
  int prev = -1;
  for (int i = 0; i < 100; ++i) {
    int p = lb->pick(random);
    EXPECT_FALSE(p == 0 && prev == 0);
    prev = p;
  }
}

TEST(UpstreamLoadBalancer, RandomIsUniform) {
  core::Random random(11);
  auto set = makeSet({1, 1, 1, 1});
  auto lb = makeLoadBalancer("RANDOM", set, 2, random);
  auto counts = pickMany(*lb, random, 40000);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(counts[i] / 40000.0, 0.25, 0.01) << i;
}

TEST(UpstreamLoadBalancer, LeastRequestPrefersIdleHosts) {
  core::Random random(5);
  auto set = makeSet({1, 1, 1});
  for (int i = 0; i < 5; ++i) set.acquire(0);  // host 0 is busy
  auto lb = makeLoadBalancer("LEAST_REQUEST", set, 2, random);
  auto counts = pickMany(*lb, random, 30000);
  // Host 0 wins only when both random choices are host 0: 1/9 of picks.
  EXPECT_NEAR(counts[0] / 30000.0, 1.0 / 9, 0.01);
  for (int i = 0; i < 5; ++i) set.release(0);
  EXPECT_EQ(set.active(0), 0U);
}

TEST(UpstreamLoadBalancer, WeightedLeastRequestFollowsWeightOverLoad) {
  core::Random random(9);
  auto set = makeSet({1, 3});
  auto lb = makeLoadBalancer("LEAST_REQUEST", set, 2, random);
  auto counts = pickMany(*lb, random, 40000);
  EXPECT_NEAR(counts[1] / 40000.0, 0.75, 0.01);  // idle hosts: weights alone decide
}

TEST(UpstreamLoadBalancer, UnhealthyHostsSkippedAndPanicWhenNoneHealthy) {
  core::Random random(13);
  auto set = makeSet({1, 1, 1}, {true, false, true});
  for (const char* policy : {"ROUND_ROBIN", "LEAST_REQUEST", "RANDOM"}) {
    auto lb = makeLoadBalancer(policy, set, 2, random);
    auto counts = pickMany(*lb, random, 3000);
    EXPECT_EQ(counts.count(1), 0U) << policy;
  }
  auto none = makeSet({1, 1}, {false, false});
  auto lb = makeLoadBalancer("ROUND_ROBIN", none, 2, random);
  EXPECT_EQ(pickMany(*lb, random, 100).size(), 2U);  // Envoy's panic mode: all hosts
}

TEST(CoreRandom, SeededIsDeterministicAndBelowIsInRange) {
  core::Random a(42);
  core::Random b(42);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.next(), b.next());
  for (int i = 0; i < 1000; ++i) {
    EXPECT_LT(a.below(7), 7U);
    double u = a.uniform01();
    EXPECT_GE(u, 0.0);
    EXPECT_LT(u, 1.0);
  }
  EXPECT_EQ(a.below(0), 0U);
}

}  // namespace
}  // namespace meshroute::upstream
