// The proxy's per-request pipeline without sockets: parse a typical request head and copy it
// into the stream's header map, build the routing request, decide, check the route's filters,
// pick the cluster and endpoint, mutate and write the upstream head, parse the upstream's
// response head, mutate and write the downstream head, record metrics and format the access
// log line. Reports heap allocations per request next to the time.
//
//   build/release/bench/micro/proxy_benchmark --benchmark_min_time=0.5s
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "api/loader.h"
#include "http/h1.h"
#include "proxy/cluster_cache.h"
#include "proxy/downstream/h1_codec.h"
#include "proxy/filters/header_ops.h"
#include "proxy/request_builder.h"
#include "proxy/request_log.h"
#include "proxy/router/retry_state.h"
#include "routing/snapshot.h"
#include "stats/metrics.h"

namespace {
std::atomic<uint64_t> g_allocations{0};
}  // namespace

// Counting allocator: every operator new in the process bumps the counter.
void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t /*size*/) noexcept { std::free(p); }

namespace meshroute::proxy {
namespace {

constexpr const char* kConfig = R"(apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews.default.svc.cluster.local]
  location: MESH_INTERNAL
  ports: [{number: 9080, name: http, protocol: HTTP}]
  resolution: STATIC
  workloadSelector: {labels: {app: reviews}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: reviews-v1, namespace: default}
spec: {address: 10.0.0.1, ports: {http: 9080}, labels: {app: reviews, version: v1}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: reviews-v2, namespace: default}
spec: {address: 10.0.0.2, ports: {http: 9080}, labels: {app: reviews, version: v2}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews.default.svc.cluster.local
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - match: [{headers: {x-user-type: {exact: beta}}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - route:
    - {destination: {host: reviews, subset: v1}, weight: 90}
    - {destination: {host: reviews, subset: v2}, weight: 10}
)";

// A browser-like request head of about 600 bytes.
const std::string kRequest =
    "GET /reviews/1?page=2&sort=desc HTTP/1.1\r\n"
    "Host: reviews:9080\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Safari/537.36\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Accept-Language: en-US,en;q=0.9\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Cookie: session=0123456789abcdef0123456789abcdef; theme=dark; user=jason\r\n"
    "X-User-Type: premium\r\n"
    "X-Request-Id: 6f1c2d3e-4a5b-4c6d-8e7f-901234567890\r\n"
    "Referer: http://productpage:9080/productpage?u=normal\r\n"
    "Cache-Control: no-cache\r\n"
    "Connection: keep-alive\r\n\r\n";

const std::string kResponse =
    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 295\r\n"
    "date: Sun, 22 Nov 2026 12:00:00 GMT\r\nserver: istio-envoy\r\n\r\n";

void BM_RequestPipeline(benchmark::State& state) {
  api::LoadResult loaded;
  api::loadText(kConfig, "bench.yaml", loaded);
  core::Diagnostics diags;
  auto snapshot = routing::Snapshot::build(std::move(loaded.resources), {}, diags);
  routing::Proxy proxy;
  ClusterCache clusters;
  HostStatsTable hosts;
  core::Random random(1);
  stats::MetricsRegistry metrics(1);
  stats::RequestLabels labels;
  labels.reporter = "source";
  labels.response_code = "200";
  http::RequestHead parsed;
  RequestHead head;
  http::ResponseHead resp;
  http::HeaderMap upstream_headers;
  http::HeaderMap response_headers;
  routing::Request request;
  RequestLog log;
  const std::string client_ip = "10.1.2.3";
  const std::string local = "127.0.0.1:15001";
  const std::string remote = "10.1.2.3:50000";
  const std::string request_id;  // the client sent one
  std::string upstream_head;
  std::string downstream_head;
  std::string line;
  routing::DecisionMemo memo;
  ClusterContext ctx{snapshot.get(), &proxy, 1, std::chrono::seconds(10), &hosts, &random};
  // The worker finds its series through the cluster state: the labels are hashed once.
  stats::Series& series = metrics.shard(0).series(labels);
  uint64_t allocations = 0;
  for (auto _ : state) {
    const uint64_t before = g_allocations.load(std::memory_order_relaxed);
    http::parseRequestHead(kRequest, http::Limits{}, parsed);
    toRequestHead(parsed, kRequest, head);
    toRoutingRequest(head, client_ip, request);
    const auto decision = snapshot->decideShared(proxy, request, memo);
    const routing::Decision& d = *decision;
    benchmark::DoNotOptimize(d.route.cors_compiled.get());  // the filters' checks
    benchmark::DoNotOptimize(d.route.fault.has_value());
    const routing::RoutedDestination& dest = d.destinations[0];
    auto cluster = clusters.get(ctx, dest);
    RetryState retry(d.route.retries, random);
    int endpoint = cluster->pick(random);
    buildUpstreamHeaders({head, request, d, dest, client_ip, request_id}, upstream_headers);
    upstream_head.clear();
    appendUpstreamHead(upstream_head, head.method, upstreamPath(request, d), upstream_headers, head,
                       1);
    http::parseResponseHead(kResponse, http::Limits{}, "GET", resp);
    benchmark::DoNotOptimize(retry.onResponse(resp.status, -1));
    buildResponseHeaders(resp, d, dest, 3, response_headers);
    ResponseStart start;
    start.status = resp.status;
    start.reason = resp.reason;
    start.headers = &response_headers;
    start.length_known = true;
    start.content_length = resp.content_length;
    downstream_head.clear();
    appendResponseHead(downstream_head, start, 1, false);
    stats::MetricsShard::record(series, 3, 0, 295);
    log.reset();
    log.method.assign(head.method);
    log.path = request.path;
    log.status = 200;
    log.upstream_host = cluster->endpoints[static_cast<size_t>(endpoint)].key;
    line.clear();
    appendAccessLog(line, log, AccessLogFormat::kText, local, remote);
    benchmark::DoNotOptimize(line.data());
    allocations += g_allocations.load(std::memory_order_relaxed) - before;
  }
  state.counters["allocs_per_request"] =
      benchmark::Counter(static_cast<double>(allocations), benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_RequestPipeline);

void BM_ParseRequestHead(benchmark::State& state) {
  http::RequestHead head;
  for (auto _ : state) {
    auto r = http::parseRequestHead(kRequest, http::Limits{}, head);
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kRequest.size()));
}
BENCHMARK(BM_ParseRequestHead);

std::shared_ptr<const routing::Snapshot> benchSnapshot() {
  api::LoadResult loaded;
  api::loadText(kConfig, "bench.yaml", loaded);
  core::Diagnostics diags;
  return routing::Snapshot::build(std::move(loaded.resources), {}, diags);
}

routing::Request benchRequest() {
  http::RequestHead parsed;
  http::parseRequestHead(kRequest, http::Limits{}, parsed);
  RequestHead head;
  toRequestHead(parsed, kRequest, head);
  routing::Request request;
  toRoutingRequest(head, "10.1.2.3", request);
  return request;
}

void BM_Decide(benchmark::State& state) {
  auto snapshot = benchSnapshot();
  const routing::Request request = benchRequest();
  routing::DecideOptions options;
  options.trace = false;
  options.resolve_destinations = state.range(0) != 0;
  for (auto _ : state) {
    auto d = snapshot->decide(routing::Proxy{}, request, options);
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_Decide)->Arg(1)->Arg(0);  // with / without resolving destinations

// The request path's decision: the route is matched, its decision reused.
void BM_DecideShared(benchmark::State& state) {
  auto snapshot = benchSnapshot();
  const routing::Request request = benchRequest();
  const routing::Proxy proxy;
  routing::DecisionMemo memo;
  for (auto _ : state) {
    auto d = snapshot->decideShared(proxy, request, memo);
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_DecideShared);

}  // namespace
}  // namespace meshroute::proxy
BENCHMARK_MAIN();
