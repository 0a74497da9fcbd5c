// Picking an endpoint, per algorithm, for 3 and for 1,000 endpoints: the pick must cost about
// the same whatever the cluster's size (locality-aware and warming-up balancers included). Also
// what a consistentHash request key costs, and what building a ring or a Maglev table costs (once
// per worker per endpoint set, off the request).
//
//   build/release/bench/micro/load_balancer_benchmark --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "upstream/hash_lb.h"
#include "upstream/hash_policy.h"
#include "upstream/load_balancer.h"
#include "upstream/locality.h"
#include "upstream/priority_lb.h"
#include "upstream/warmup.h"

namespace meshroute::upstream {
namespace {

EndpointSet makeSet(int64_t n) {
  std::vector<HostRef> hosts;
  for (int64_t i = 0; i < n; ++i) {
    HostRef h;
    h.address = "10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
    h.port = 8080;
    hosts.push_back(h);
  }
  return EndpointSet(std::move(hosts));
}

enum class Algo {
  kRoundRobin,
  kLeastRequest,
  kRandom,
  kRingHash,
  kMaglev,
  kLocality,  // round robin under locality failover: three priorities, the first degraded
  kWarmup,    // round robin while every endpoint warms up
};

// Every endpoint warming up, on the machine's clock.
const Warmup& warming(size_t hosts) {
  static Warmup w;
  if (w.first_seen.size() != hosts) {
    w.policy.window = std::chrono::hours(1);
    w.first_seen.assign(hosts, std::chrono::steady_clock::now());
  }
  return w;
}

// Priorities 0, 1, 2 over thirds of the set, one in ten of priority 0 unhealthy: traffic spills
// over, so a pick chooses among groups first.
std::unique_ptr<LoadBalancer> localityBalancer(const EndpointSet& set, core::Random& random) {
  LocalityPlacement placement;
  placement.active = true;
  std::vector<LocalityEndpoint> endpoints(set.size());
  std::vector<bool> healthy(set.size(), true);
  for (size_t i = 0; i < set.size(); ++i) {
    placement.priority.push_back(static_cast<uint32_t>(i * 3 / set.size()));
    placement.dropped.push_back(false);
    placement.locality_weight.push_back(1);
    healthy[i] = !(placement.priority[i] == 0 && i % 10 == 0);
  }
  std::vector<PriorityBalancer::Group> groups;
  for (const LoadGroup& g : planLoad(placement, endpoints, healthy).groups) {
    groups.push_back({g.share, makeLoadBalancer("ROUND_ROBIN", set, g.hosts, 2, random)});
  }
  return std::make_unique<PriorityBalancer>(std::move(groups));
}

std::unique_ptr<LoadBalancer> make(Algo a, const EndpointSet& set, core::Random& random) {
  switch (a) {
    case Algo::kRoundRobin: return makeLoadBalancer("ROUND_ROBIN", set, 2, random);
    case Algo::kLeastRequest: return makeLoadBalancer("LEAST_REQUEST", set, 2, random);
    case Algo::kRandom: return makeLoadBalancer("RANDOM", set, 2, random);
    case Algo::kRingHash: return std::make_unique<RingHash>(set, 0);
    case Algo::kMaglev: return std::make_unique<Maglev>(set, 0);
    case Algo::kLocality: return localityBalancer(set, random);
    case Algo::kWarmup:
      return makeLoadBalancer("ROUND_ROBIN", set, candidatesOf(set), 2, random,
                              &warming(set.size()));
  }
  return nullptr;
}

void BM_Pick(benchmark::State& state, Algo algo) {
  const EndpointSet set = makeSet(state.range(0));
  core::Random random(42);
  auto lb = make(algo, set, random);
  // Hashing balancers get a different key each time, as requests from many users would.
  uint64_t key = 0x9e3779b97f4a7c15ULL;
  for (auto _ : state) {
    key = key * 6364136223846793005ULL + 1442695040888963407ULL;
    benchmark::DoNotOptimize(lb->pick(random, PickContext{key, 0}));
  }
}
BENCHMARK_CAPTURE(BM_Pick, RoundRobin, Algo::kRoundRobin)->Arg(3)->Arg(1000);
BENCHMARK_CAPTURE(BM_Pick, LeastRequest, Algo::kLeastRequest)->Arg(3)->Arg(1000);
BENCHMARK_CAPTURE(BM_Pick, Random, Algo::kRandom)->Arg(3)->Arg(1000);
BENCHMARK_CAPTURE(BM_Pick, RingHash, Algo::kRingHash)->Arg(3)->Arg(1000);
BENCHMARK_CAPTURE(BM_Pick, Maglev, Algo::kMaglev)->Arg(3)->Arg(1000);
BENCHMARK_CAPTURE(BM_Pick, Locality, Algo::kLocality)->Arg(3)->Arg(1000);
BENCHMARK_CAPTURE(BM_Pick, Warmup, Algo::kWarmup)->Arg(3)->Arg(1000);

void BM_Build(benchmark::State& state, Algo algo) {
  const EndpointSet set = makeSet(state.range(0));
  core::Random random(42);
  for (auto _ : state) benchmark::DoNotOptimize(make(algo, set, random));
}
BENCHMARK_CAPTURE(BM_Build, RingHash, Algo::kRingHash)->Arg(3)->Arg(1000);
BENCHMARK_CAPTURE(BM_Build, Maglev, Algo::kMaglev)->Arg(3)->Arg(1000);
BENCHMARK_CAPTURE(BM_Build, Locality, Algo::kLocality)->Arg(3)->Arg(1000);

void BM_HashRequestHeader(benchmark::State& state) {
  api::ConsistentHashLB lb;
  lb.http_header_name = "x-user";
  const HashPolicy policy = compileHashPolicy(lb);
  routing::Request r;
  r.headers = {{"host", "reviews:9080"},
               {"user-agent", "curl/7.88.1"},
               {"accept", "*/*"},
               {"x-user", "jason"}};
  const HashConnection conn{"10.0.0.7", "10.0.0.7:51234", "10.0.0.1:15001"};
  for (auto _ : state) benchmark::DoNotOptimize(hashRequest(policy, r, conn));
}
BENCHMARK(BM_HashRequestHeader);

}  // namespace
}  // namespace meshroute::upstream

BENCHMARK_MAIN();
