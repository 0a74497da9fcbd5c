#include "proxy/cluster_cache.h"

#include <fmt/format.h>

#include "registry/registry.h"

namespace meshroute::proxy {
namespace {

std::string labelOr(const std::map<std::string, std::string>& labels, const char* key) {
  auto it = labels.find(key);
  return it == labels.end() ? "unknown" : it->second;
}

std::shared_ptr<ClusterState> build(const routing::RoutedDestination& dest,
                                    std::chrono::milliseconds default_connect_timeout,
                                    HostStatsTable& stats, core::Random& random) {
  auto c = std::make_shared<ClusterState>();
  const auto& r = dest.resolution;
  c->name = r.cluster;
  c->lb_policy = r.policy.load_balancer;
  c->passthrough = r.cluster == "PassthroughCluster" || c->lb_policy == "CLUSTER_PROVIDED";
  c->connect_timeout = default_connect_timeout;
  if (r.policy.policy && r.policy.policy->connection_pool &&
      r.policy.policy->connection_pool->tcp &&
      r.policy.policy->connection_pool->tcp->connect_timeout) {
    const auto& t = *r.policy.policy->connection_pool->tcp->connect_timeout;
    c->connect_timeout = std::chrono::milliseconds(t.totalNanos() / 1000000);
  }
  if (r.service != nullptr) {
    c->service_host = r.service->hostname;
    c->service_name = r.service->name;
    c->service_ns = r.service->ns;
  } else if (!dest.host.empty()) {
    c->service_host = dest.host;
  }
  c->version = labelOr(r.subset_labels, "version");
  std::vector<upstream::HostRef> hosts;
  for (const registry::Endpoint* e : r.endpoints) {
    if (e == nullptr || e->address.empty()) continue;
    EndpointInfo info;
    info.host = e->address;
    auto port = e->ports.find(r.port);
    info.port =
        static_cast<uint16_t>(port != e->ports.end() && port->second ? port->second : r.port);
    info.key = fmt::format("{}:{}", info.host, info.port);
    info.stats = &stats.get(r.cluster, info.key);
    if (e->workload != nullptr) {
      info.workload = e->workload->name;
      info.workload_ns = e->workload->ns;
    }
    info.app = labelOr(e->labels, "app");
    info.version = labelOr(e->labels, "version");
    upstream::HostRef ref;
    ref.address = info.host;
    ref.port = info.port;
    ref.weight = e->weight ? e->weight : 1;
    ref.healthy = e->healthy;
    hosts.push_back(std::move(ref));
    c->endpoints.push_back(std::move(info));
  }
  c->set = upstream::EndpointSet(std::move(hosts));
  std::string policy = c->lb_policy.empty() ? "LEAST_REQUEST" : c->lb_policy;
  const uint32_t choice_count = 2;  // Envoy's default; Istio's API does not set it
  if (policy == "ROUND_ROBIN" || policy == "LEAST_REQUEST" || policy == "RANDOM") {
    c->lb = upstream::makeLoadBalancer(policy, c->set, choice_count, random);
  } else {
    // Hash-based and other policies are not in this release: weighted round robin stands in.
    c->lb = upstream::makeLoadBalancer("ROUND_ROBIN", c->set, choice_count, random);
  }
  return c;
}

}  // namespace

ActiveRequest::ActiveRequest(upstream::EndpointSet* set, int index, HostStats* stats)
    : set_(set), index_(index), stats_(stats) {
  if (set_ != nullptr && index_ >= 0) set_->acquire(static_cast<size_t>(index_));
  if (stats_ != nullptr) {
    stats_->rq_active.fetch_add(1, std::memory_order_relaxed);
    stats_->rq_total.fetch_add(1, std::memory_order_relaxed);
  }
}

ActiveRequest::~ActiveRequest() {
  if (set_ != nullptr && index_ >= 0) set_->release(static_cast<size_t>(index_));
  if (stats_ != nullptr) stats_->rq_active.fetch_sub(1, std::memory_order_relaxed);
}

ActiveRequest ClusterState::trackActive(int endpoint) {
  HostStats* stats = endpoint >= 0 && static_cast<size_t>(endpoint) < endpoints.size()
                         ? endpoints[static_cast<size_t>(endpoint)].stats
                         : nullptr;
  return ActiveRequest(passthrough ? nullptr : &set, endpoint, stats);
}

int ClusterState::pick(core::Random& random) const {
  if (endpoints.empty() || !lb) return -1;
  return lb->pick(random);
}

std::shared_ptr<ClusterState> ClusterCache::get(uint64_t version,
                                                const routing::RoutedDestination& dest,
                                                std::chrono::milliseconds default_connect_timeout,
                                                HostStatsTable& stats, core::Random& random) {
  if (version != version_) {
    clusters_.clear();
    version_ = version;
  }
  auto it = clusters_.find(dest.resolution.cluster);
  if (it != clusters_.end()) return it->second;
  auto c = build(dest, default_connect_timeout, stats, random);
  clusters_.emplace(dest.resolution.cluster, c);
  return c;
}

}  // namespace meshroute::proxy
