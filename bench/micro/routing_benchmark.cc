// Routing decision benchmarks (issue 3): decide() for one host with 10, 1,000 and 10,000 routes
// (the request matching the first, middle or last route, or none), and for one host among
// 10,000. The routes mix the shapes real tables have: exact paths, path prefixes, and a header
// value under a shared prefix. Target: 10,000 routes within 3x of 10 routes.
//
//   build/release/bench/micro/routing_benchmark --benchmark_min_time=0.5s
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <map>
#include <memory>
#include <string>

#include "api/loader.h"
#include "routing/snapshot.h"

namespace meshroute::routing {
namespace {

std::string service(const std::string& name, uint32_t port) {
  return fmt::format(R"(---
apiVersion: v1
kind: Service
metadata: {{name: {0}, namespace: default}}
spec:
  selector: {{app: {0}}}
  ports: [{{name: http, port: {1}}}]
)",
                     name, port);
}

// Route i: kind i % 3 is an exact path, a path prefix, or a header value under "/h".
std::string routeYaml(int i) {
  switch (i % 3) {
    case 0: return fmt::format("  - name: r{0}\n    match:\n    - uri: {{exact: /svc/{0}}}\n", i);
    case 1: return fmt::format("  - name: r{0}\n    match:\n    - uri: {{prefix: /pre/{0}/}}\n", i);
    default:
      return fmt::format(
          "  - name: r{0}\n    match:\n    - uri: {{prefix: /h}}\n      headers: {{x-route: "
          "{{exact: \"{0}\"}}}}\n",
          i);
  }
}

Request requestFor(int i) {
  Request r;
  r.port = 9080;
  r.authority = "reviews:9080";
  switch (i % 3) {
    case 0: r.path = fmt::format("/svc/{}", i); break;
    case 1: r.path = fmt::format("/pre/{}/items?page=2", i); break;
    default:
      r.path = "/h/x";
      r.headers = {{"x-route", std::to_string(i)}, {"user-agent", "bench"}};
      break;
  }
  return r;
}

std::shared_ptr<const Snapshot> load(const std::string& yaml) {
  api::LoadResult loaded;
  api::loadText(yaml, "bench.yaml", loaded);
  core::Diagnostics diags;
  return Snapshot::build(std::move(loaded.resources), MeshConfig{}, diags);
}

std::shared_ptr<const Snapshot> routesSnapshot(int n) {
  static std::map<int, std::shared_ptr<const Snapshot>> cache;
  auto& s = cache[n];
  if (s) return s;
  std::string yaml = service("reviews", 9080);
  yaml +=
      "---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: "
      "reviews, namespace: default}\nspec:\n  hosts: [reviews]\n  http:\n";
  for (int i = 0; i < n; ++i) {
    yaml += routeYaml(i);
    yaml += fmt::format("    route:\n    - destination: {{host: reviews, subset: s{}}}\n", i);
  }
  s = load(yaml);
  return s;
}

// range(0): routes; range(1): 0 first, 1 middle, 2 last, 3 no match.
void runRoutes(benchmark::State& state, bool trace) {
  const int n = static_cast<int>(state.range(0));
  const int where = static_cast<int>(state.range(1));
  auto snap = routesSnapshot(n);
  Request r;
  if (where == 3) {
    r = requestFor(0);
    r.path = "/nothing/here";
  } else {
    r = requestFor(where == 0 ? 0 : where == 1 ? n / 2 : n - 1);
  }
  Proxy proxy;
  const DecideOptions opts{.trace = trace};
  Decision warm = snap->decide(proxy, r, opts);  // builds the proxy's route config once
  if ((where == 3) != (warm.outcome == Outcome::kNoRoute)) {
    state.SkipWithError("unexpected decision");
    return;
  }
  for (auto _ : state) {
    Decision d = snap->decide(proxy, r, opts);
    benchmark::DoNotOptimize(d);
  }
}

void BM_DecideRoutes(benchmark::State& state) { runRoutes(state, false); }
void BM_DecideRoutesTraced(benchmark::State& state) { runRoutes(state, true); }

void routeArgs(benchmark::internal::Benchmark* b) {
  for (int n : {10, 1000, 10000}) {
    for (int where = 0; where < 4; ++where) b->Args({n, where});
  }
}
BENCHMARK(BM_DecideRoutes)->Apply(routeArgs);
BENCHMARK(BM_DecideRoutesTraced)->Apply(routeArgs);

// 10,000 services, each with a VirtualService of three routes; a request for one in the middle.
void BM_DecideHosts(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  static std::map<int, std::shared_ptr<const Snapshot>> cache;
  auto& snap = cache[n];
  if (!snap) {
    std::string yaml;
    for (int i = 0; i < n; ++i) {
      const std::string name = fmt::format("svc{}", i);
      yaml += service(name, 8080);
      yaml += fmt::format(R"(---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: {0}, namespace: default}}
spec:
  hosts: [{0}]
  http:
  - match:
    - headers: {{x-canary: {{exact: "true"}}}}
    route:
    - destination: {{host: {0}, subset: canary}}
  - match:
    - uri: {{prefix: /api}}
    route:
    - destination: {{host: {0}, subset: v2}}
  - route:
    - destination: {{host: {0}, subset: v1}}
)",
                          name);
    }
    snap = load(yaml);
  }
  Request r;
  r.port = 8080;
  r.authority = fmt::format("svc{}:8080", n / 2);
  r.path = "/api/items";
  Proxy proxy;
  const DecideOptions opts{.trace = state.range(1) != 0};
  Decision warm = snap->decide(proxy, r, opts);
  if (warm.destinations.empty() || warm.destinations[0].subset != "v2") {
    state.SkipWithError("unexpected decision");
    return;
  }
  for (auto _ : state) {
    Decision d = snap->decide(proxy, r, opts);
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_DecideHosts)->Args({10000, 0})->Args({10000, 1});

// Snapshot::build for the 10,000-route table (parse excluded).
void BM_BuildSnapshot10kRoutes(benchmark::State& state) {
  std::string yaml = service("reviews", 9080);
  yaml +=
      "---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: "
      "reviews, namespace: default}\nspec:\n  hosts: [reviews]\n  http:\n";
  for (int i = 0; i < 10000; ++i) {
    yaml += routeYaml(i);
    yaml += fmt::format("    route:\n    - destination: {{host: reviews, subset: s{}}}\n", i);
  }
  api::LoadResult loaded;
  api::loadText(yaml, "bench.yaml", loaded);
  for (auto _ : state) {
    std::vector<api::Resource> copy = loaded.resources;
    core::Diagnostics diags;
    auto snap = Snapshot::build(std::move(copy), MeshConfig{}, diags);
    benchmark::DoNotOptimize(snap);
  }
}
BENCHMARK(BM_BuildSnapshot10kRoutes)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace meshroute::routing

BENCHMARK_MAIN();
