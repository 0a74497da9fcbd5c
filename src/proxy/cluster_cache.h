// A worker's view of the clusters of one configuration generation: for each Envoy cluster a
// request was routed to, its endpoints (addresses, ports, weights, the workload labels metrics
// need) and a load balancer with per-worker state. Built lazily on first use and dropped when
// a new generation arrives; a request in flight keeps its own through shared_ptr.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/random.h"
#include "proxy/host_stats.h"
#include "routing/decision.h"
#include "routing/snapshot.h"
#include "runtime/dns_resolver.h"
#include "runtime/tls_contexts.h"
#include "stats/metrics.h"
#include "upstream/connection_policy.h"
#include "upstream/hash_policy.h"
#include "upstream/load_balancer.h"
#include "upstream/outlier.h"
#include "upstream/tls_policy.h"

namespace meshroute::proxy {

struct EndpointInfo {
  std::string host;  // IP address or DNS name
  uint16_t port = 0;
  std::string key;  // "host:port"
  // The connection pool's key: `key`, or "cluster|key" for a cluster with a connectionPool or
  // TLS of its own (auto SNI adds "|sni" per request: connections differ by SNI).
  std::string pool_key;
  // For metrics: the workload behind the endpoint.
  std::string workload = "unknown";
  std::string workload_ns = "unknown";
  std::string app = "unknown";
  std::string version = "unknown";
  HostStats* stats = nullptr;  // shared across workers; null for passthrough endpoints
};

// Counts a request against an endpoint's active requests (LEAST_REQUEST, /clusters) while it
// lives.
class ActiveRequest {
 public:
  ActiveRequest(upstream::EndpointSet* set, int index, HostStats* stats);
  ~ActiveRequest();
  ActiveRequest(const ActiveRequest&) = delete;
  ActiveRequest& operator=(const ActiveRequest&) = delete;

 private:
  upstream::EndpointSet* set_;
  int index_;
  HostStats* stats_;
};

struct ClusterState {
  std::string name;       // "outbound|9080|v2|reviews.default.svc.cluster.local"
  std::string lb_policy;  // ROUND_ROBIN, LEAST_REQUEST, RANDOM, RING_HASH, MAGLEV, CLUSTER_PROVIDED
  // kNoCluster / kNoHealthyUpstream / kUnknownHost: requests to it get 503 NC or UH.
  routing::DestinationStatus status = routing::DestinationStatus::kOk;
  bool passthrough = false;  // send to the request's own authority (PassthroughCluster)
  std::vector<EndpointInfo> endpoints;
  upstream::EndpointSet set;  // the load balancer's view (weights, active requests, health)
  std::unique_ptr<upstream::LoadBalancer> lb;
  // consistentHash: what a request hashes to (kind kNone for the other balancers).
  upstream::HashPolicy hash_policy;
  std::chrono::milliseconds connect_timeout{0};
  // connectionPool: the limits, and the breaker that counts them across workers (null when the
  // cluster sets none: then nothing is counted).
  upstream::ConnectionPolicy connection_policy;
  upstream::CircuitBreaker* breaker = nullptr;
  // outlierDetection, when the DestinationRule sets it. This state left out the endpoints
  // ejected when it was built: it is rebuilt after the next ejection (the cluster's
  // health_epoch moves) or when the first of them returns (`next_return`).
  std::optional<upstream::OutlierPolicy> outlier;
  uint64_t health_epoch = 0;
  std::chrono::steady_clock::time_point next_return = std::chrono::steady_clock::time_point::max();
  // loadBalancer.warmup: the endpoints' warm-up, while one of them is in it; the state is built
  // again when the last one ends (`warm_until`), so that balancing is plain again after.
  upstream::Warmup warmup;
  std::chrono::steady_clock::time_point warm_until = std::chrono::steady_clock::time_point::max();
  // ServiceEntry DNS endpoints: the resolver's epoch the endpoints were resolved in; the state
  // is built again when it moves.
  bool uses_dns = false;
  uint64_t dns_epoch = 0;
  // DestinationRule tls SIMPLE or MUTUAL: what connections are made from (a context loaded
  // with the configuration), the SNI and names they send and check. `tls_error` when TLS is
  // asked for and cannot be had: connections fail with it (503 UF), never go in plaintext.
  upstream::TlsOrigination tls_origination;
  std::shared_ptr<const runtime::TlsClientContext> tls;
  std::string tls_error;
  [[nodiscard]] bool originatesTls() const { return tls_origination.originates(); }
  // Metric labels of the destination service.
  std::string service_host = "unknown";
  std::string service_name = "unknown";
  std::string service_ns = "unknown";
  std::string version = "unknown";  // the subset's version label
  ClusterStats* stats = nullptr;    // shared across workers; null for passthrough clusters
  // The metric series requests to this cluster recorded into, by endpoint, status and flags:
  // every other label is fixed for a worker's cluster, so the label set is built and hashed
  // once per combination instead of once per request. The owning worker's only.
  struct SeriesSlot {
    int endpoint = -1;
    int status = 0;
    uint32_t flags = 0;  // ResponseFlags bits
    stats::Series* series = nullptr;
  };
  mutable std::vector<SeriesSlot> series_cache;

  // Locality-aware clusters: each endpoint's priority, and (retryRemoteLocalities) the
  // balancer of the load that excludes some priorities, made the first time a retry needs it.
  std::vector<uint32_t> endpoint_priority;
  std::function<std::unique_ptr<upstream::LoadBalancer>(uint64_t excluded)> balancer_excluding;
  mutable std::unordered_map<uint64_t, std::unique_ptr<upstream::LoadBalancer>> balancers_excluding;

  // Index into `endpoints` of the picked endpoint; -1 when none is available.
  int pick(core::Random& random, const upstream::PickContext& context = {}) const;
  // The same with priorities `excluded` (bit p) given no load; kNoPriorityLeft when the others
  // have no healthy endpoint.
  static constexpr int kNoPriorityLeft = -2;
  int pickExcluding(core::Random& random, const upstream::PickContext& context,
                    uint64_t excluded) const;
};

// What building a cluster's state needs: the generation it belongs to and the proxy it is for.
struct ClusterContext {
  const routing::Snapshot* snapshot = nullptr;
  const routing::Proxy* proxy = nullptr;
  uint64_t version = 0;
  std::chrono::milliseconds connect_timeout{10000};  // unless the DestinationRule sets one
  HostStatsTable* stats = nullptr;
  core::Random* random = nullptr;
  // The generation's TLS contexts (null: none loaded) and the DNS answers (null: names are
  // resolved per connection).
  const runtime::TlsContextTable* tls = nullptr;
  const runtime::DnsResolver* dns = nullptr;
};

class ClusterCache {
 public:
  // The state of `dest`'s cluster in generation ctx.version, resolved (DestinationRule, subset,
  // endpoints, policy) the first time the generation routes to it; all of it is dropped when
  // the version changes. Decisions made with resolve_destinations off carry only the cluster
  // name; it says everything needed to resolve: outbound|PORT|SUBSET|HOST.
  std::shared_ptr<ClusterState> get(const ClusterContext& ctx,
                                    const routing::RoutedDestination& dest);
  [[nodiscard]] size_t size() const { return clusters_.size(); }

 private:
  uint64_t version_ = 0;
  std::unordered_map<std::string, std::shared_ptr<ClusterState>> clusters_;
};

}  // namespace meshroute::proxy
