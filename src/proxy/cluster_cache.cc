#include "proxy/cluster_cache.h"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <deque>
#include <optional>

#include "api/model/service_entry.h"
#include "registry/registry.h"
#include "upstream/dns_endpoints.h"
#include "upstream/hash_lb.h"
#include "upstream/locality_policy.h"
#include "upstream/priority_lb.h"
#include "upstream/warmup.h"

namespace meshroute::proxy {
namespace {

std::string labelOr(const std::map<std::string, std::string>& labels, const char* key) {
  auto it = labels.find(key);
  return it == labels.end() ? "unknown" : it->second;
}

std::unique_ptr<upstream::LoadBalancer> makeBalancer(const ClusterState& c,
                                                     const std::string& policy,
                                                     const api::LoadBalancerSettings* lb,
                                                     std::vector<uint32_t> hosts,
                                                     core::Random& random) {
  const uint32_t choice_count = 2;  // Envoy's default; Istio's API does not set it
  if (policy == "MAGLEV") {
    const auto& maglev = lb->consistent_hash->maglev;
    return std::make_unique<upstream::Maglev>(c.set, hosts, maglev ? maglev->table_size : 0);
  }
  if (policy == "RING_HASH") {
    const api::ConsistentHashLB& hash = *lb->consistent_hash;
    // ringHash.minimumRingSize, else the deprecated top-level field, else Envoy's 1024.
    const uint64_t size = hash.ring_hash && hash.ring_hash->minimum_ring_size
                              ? hash.ring_hash->minimum_ring_size
                              : hash.minimum_ring_size;
    return std::make_unique<upstream::RingHash>(c.set, hosts, size);
  }
  const upstream::Warmup* warmup = c.warmup.policy.enabled() ? &c.warmup : nullptr;
  return upstream::makeLoadBalancer(policy, c.set, std::move(hosts), choice_count, random, warmup);
}

// DestinationRule tls: the cluster's origination, with its context from the generation's table.
void applyTls(ClusterState& c, const routing::DestinationResolution& r, const ClusterContext& ctx) {
  if (!r.policy.policy || !r.policy.policy->tls || ctx.tls == nullptr) return;
  upstream::TlsScope scope = ctx.tls->scope();
  if (const auto* dr =
          r.destination_rule ? r.destination_rule->as<api::DestinationRule>() : nullptr) {
    scope.rule_has_selector = dr->workload_selector.has_value();
  }
  if (r.service != nullptr && r.service->source != nullptr) {
    if (const auto* se = r.service->source->as<api::ServiceEntry>()) {
      scope.service_alt_names = se->subject_alt_names;
    }
  }
  c.tls_origination = upstream::compileTlsOrigination(*r.policy.policy->tls, scope);
  if (!c.tls_origination.originates()) return;
  if (!c.tls_origination.error.empty()) {
    c.tls_error = c.tls_origination.error;
  } else if (const runtime::TlsContextEntry* e = ctx.tls->find(c.tls_origination.files)) {
    c.tls = e->context;
    c.tls_error = e->error;
  } else {
    c.tls_error = "no TLS context was loaded for this rule";  // a bug if ever seen
  }
}

std::shared_ptr<ClusterState> build(const routing::DestinationResolution& r,
                                    const std::string& host, const ClusterContext& ctx);

// A cluster with DNS endpoints is built from the resolver's answers of this moment.
std::shared_ptr<ClusterState> buildResolved(const routing::DestinationResolution& r,
                                            const std::string& host, const ClusterContext& ctx) {
  if (ctx.dns == nullptr || !upstream::usesDns(r)) return build(r, host, ctx);
  const uint64_t epoch = ctx.dns->epoch();  // before the answers: a later change rebuilds
  const std::shared_ptr<const runtime::DnsAnswers> answers = ctx.dns->snapshot();
  std::deque<registry::Endpoint> storage;
  const routing::DestinationResolution expanded = upstream::expandDnsEndpoints(
      r,
      [&](const std::string& name) -> const std::vector<std::string>* {
        const runtime::DnsAnswer* a = answers->find(name);
        return a == nullptr ? nullptr : &a->addresses;
      },
      storage);
  auto c = build(expanded, host, ctx);
  c->uses_dns = true;
  c->dns_epoch = epoch;
  return c;
}

std::shared_ptr<ClusterState> build(const routing::DestinationResolution& r,
                                    const std::string& host, const ClusterContext& ctx) {
  const std::chrono::milliseconds default_connect_timeout = ctx.connect_timeout;
  HostStatsTable& stats = *ctx.stats;
  core::Random& random = *ctx.random;
  auto c = std::make_shared<ClusterState>();
  c->name = r.cluster;
  c->status = r.status;
  c->lb_policy = r.policy.load_balancer;
  c->passthrough = r.cluster == "PassthroughCluster" || c->lb_policy == "CLUSTER_PROVIDED";
  c->connect_timeout = default_connect_timeout;
  if (r.policy.policy && r.policy.policy->connection_pool &&
      r.policy.policy->connection_pool->tcp &&
      r.policy.policy->connection_pool->tcp->connect_timeout) {
    const auto& t = *r.policy.policy->connection_pool->tcp->connect_timeout;
    c->connect_timeout = std::chrono::milliseconds(t.totalNanos() / 1000000);
  }
  const api::ConnectionPoolSettings* pool = r.policy.policy && r.policy.policy->connection_pool
                                                ? &*r.policy.policy->connection_pool
                                                : nullptr;
  c->connection_policy = upstream::compileConnectionPolicy(
      pool,
      r.policy.policy && r.policy.policy->retry_budget ? &*r.policy.policy->retry_budget : nullptr);
  if (r.service != nullptr) {
    c->service_host = r.service->hostname;
    c->service_name = r.service->name;
    c->service_ns = r.service->ns;
  } else if (!host.empty()) {
    c->service_host = host;
  }
  c->version = labelOr(r.subset_labels, "version");
  if (!r.cluster.empty()) {
    c->stats = &stats.cluster(r.cluster);
    // Every generation sets the limits in force (waking requests that wait under old ones).
    c->stats->breaker.setLimits(c->connection_policy.limits);
    if (!c->connection_policy.limits.unlimited()) c->breaker = &c->stats->breaker;
  }
  applyTls(*c, r, ctx);
  const bool own_pool =
      (!c->connection_policy.isDefault() || c->originatesTls()) && !r.cluster.empty();
  if (r.policy.policy && r.policy.policy->outlier_detection && c->stats != nullptr) {
    c->outlier = upstream::compileOutlierPolicy(*r.policy.policy->outlier_detection);
    c->health_epoch = c->stats->health_epoch.load(std::memory_order_acquire);
  }
  const auto now = std::chrono::steady_clock::now();
  std::vector<upstream::HostRef> hosts;
  std::vector<bool> registry_healthy;  // each host's health before outlier detection
  for (const registry::Endpoint* e : r.endpoints) {
    if (e == nullptr || e->address.empty()) continue;
    EndpointInfo info;
    info.host = e->address;
    auto port = e->ports.find(r.port);
    info.port =
        static_cast<uint16_t>(port != e->ports.end() && port->second ? port->second : r.port);
    info.key = fmt::format("{}:{}", info.host, info.port);
    // TLS: connections made from another generation's context (an older certificate) are
    // never taken for this one.
    info.pool_key = !own_pool ? info.key
                    : c->tls  ? fmt::format("{}|tls{}|{}", r.cluster, c->tls->id(), info.key)
                              : r.cluster + "|" + info.key;
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
    registry_healthy.push_back(e->healthy);
    if (c->outlier && info.stats->outlier.ejected(now)) {
      ref.healthy = false;
      const auto back = std::chrono::steady_clock::time_point(std::chrono::nanoseconds(
          info.stats->outlier.ejected_until.load(std::memory_order_acquire)));
      c->next_return = std::min(c->next_return, back);
    }
    hosts.push_back(std::move(ref));
    c->endpoints.push_back(std::move(info));
  }
  // minHealthPercent: with fewer endpoints than that healthy, ejections are ignored (Envoy's
  // panic threshold, which Istio sets from it).
  if (c->outlier && c->outlier->min_health_percent > 0) {
    size_t healthy = 0;
    for (const auto& h : hosts) healthy += h.healthy ? 1 : 0;
    if (healthy * 100 < c->outlier->min_health_percent * hosts.size()) {
      for (size_t i = 0; i < hosts.size(); ++i) hosts[i].healthy = registry_healthy[i];
    }
  }
  std::vector<bool> healthy(hosts.size());
  for (size_t i = 0; i < hosts.size(); ++i) healthy[i] = hosts[i].healthy;
  c->set = upstream::EndpointSet(std::move(hosts));
  std::string policy = c->lb_policy.empty() ? "LEAST_REQUEST" : c->lb_policy;
  const api::LoadBalancerSettings* lb = r.policy.policy && r.policy.policy->load_balancer
                                            ? &*r.policy.policy->load_balancer
                                            : nullptr;
  const bool hashing =
      (policy == "RING_HASH" || policy == "MAGLEV") && lb != nullptr && lb->consistent_hash;
  if (hashing) c->hash_policy = upstream::compileHashPolicy(*lb->consistent_hash);
  if (policy != "ROUND_ROBIN" && policy != "LEAST_REQUEST" && policy != "RANDOM" && !hashing) {
    policy = "ROUND_ROBIN";
  }
  // Warm-up, while an endpoint is new to the proxy.
  if (const upstream::WarmupPolicy warm = upstream::compileWarmup(lb); warm.enabled()) {
    for (const EndpointInfo& e : c->endpoints) {
      const auto until = e.stats->first_seen + warm.window;
      if (until > now) {
        c->warm_until = c->warm_until == std::chrono::steady_clock::time_point::max()
                            ? until
                            : std::max(c->warm_until, until);
      }
    }
    if (c->warm_until != std::chrono::steady_clock::time_point::max()) {
      c->warmup.policy = warm;
      for (const EndpointInfo& e : c->endpoints)
        c->warmup.first_seen.push_back(e.stats->first_seen);
    }
  }
  if (ctx.proxy != nullptr && ctx.snapshot != nullptr) {
    upstream::LocalityPlacement placement =
        upstream::localityPlacement(r, *ctx.proxy, ctx.snapshot->mesh());
    if (placement.active) {
      // A ring per priority: locality weights would move keys between localities.
      if (hashing) placement.locality_weighted = false;
      const std::vector<upstream::LocalityEndpoint> localities = upstream::endpointLocalities(r);
      const upstream::LoadPlan plan = upstream::planLoad(placement, localities, healthy);
      std::vector<upstream::PriorityBalancer::Group> groups;
      for (const upstream::LoadGroup& g : plan.groups) {
        groups.push_back({g.share, makeBalancer(*c, policy, lb, g.hosts, random)});
      }
      c->lb = std::make_unique<upstream::PriorityBalancer>(std::move(groups));
      c->endpoint_priority = placement.priority;
      std::optional<api::LoadBalancerSettings> lb_copy;
      if (lb != nullptr) lb_copy = *lb;
      c->balancer_excluding =
          [state = c.get(), placement, localities, healthy, policy, lb_copy,
           &random](uint64_t excluded) -> std::unique_ptr<upstream::LoadBalancer> {
        const upstream::LoadPlan p = upstream::planLoad(placement, localities, healthy, excluded);
        if (p.exhausted) return nullptr;
        std::vector<upstream::PriorityBalancer::Group> gs;
        for (const upstream::LoadGroup& g : p.groups) {
          gs.push_back({g.share, makeBalancer(*state, policy, lb_copy ? &*lb_copy : nullptr,
                                              g.hosts, random)});
        }
        return std::make_unique<upstream::PriorityBalancer>(std::move(gs));
      };
      return c;
    }
  }
  c->lb = makeBalancer(*c, policy, lb, upstream::candidatesOf(c->set), random);
  return c;
}

struct ClusterParts {
  uint32_t port = 0;
  std::string subset;
  std::string host;
};

// "outbound|9080|v2|reviews.default.svc.cluster.local" -> 9080, "v2", the host.
std::optional<ClusterParts> splitClusterName(std::string_view name) {
  std::array<std::string_view, 4> f;
  for (size_t i = 0; i < 3; ++i) {
    size_t bar = name.find('|');
    if (bar == std::string_view::npos) return std::nullopt;
    f[i] = name.substr(0, bar);
    name.remove_prefix(bar + 1);
  }
  f[3] = name;
  if (f[0] != "outbound" || f[3].empty()) return std::nullopt;
  ClusterParts p;
  auto [end, ec] = std::from_chars(f[1].data(), f[1].data() + f[1].size(), p.port);
  if (ec != std::errc() || end != f[1].data() + f[1].size()) return std::nullopt;
  p.subset = std::string(f[2]);
  p.host = std::string(f[3]);
  return p;
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

int ClusterState::pick(core::Random& random, const upstream::PickContext& context) const {
  if (endpoints.empty() || !lb) return -1;
  return lb->pick(random, context);
}

int ClusterState::pickExcluding(core::Random& random, const upstream::PickContext& context,
                                uint64_t excluded) const {
  if (excluded == 0 || !balancer_excluding) return pick(random, context);
  auto it = balancers_excluding.find(excluded);
  if (it == balancers_excluding.end()) {
    it = balancers_excluding.emplace(excluded, balancer_excluding(excluded)).first;
  }
  if (!it->second) return kNoPriorityLeft;
  return it->second->pick(random, context);
}

std::shared_ptr<ClusterState> ClusterCache::get(const ClusterContext& ctx,
                                                const routing::RoutedDestination& dest) {
  if (ctx.version != version_) {
    clusters_.clear();
    version_ = ctx.version;
  }
  const std::string& name = dest.resolution.cluster;
  auto it = clusters_.find(name);
  if (it != clusters_.end()) {
    const ClusterState& c = *it->second;
    // Outlier detection ejected an endpoint, or one comes back: the state is built again
    // (requests in flight keep the old one).
    const bool stale =
        (c.outlier && (c.stats->health_epoch.load(std::memory_order_acquire) != c.health_epoch ||
                       std::chrono::steady_clock::now() >= c.next_return)) ||
        (c.warm_until != std::chrono::steady_clock::time_point::max() &&
         std::chrono::steady_clock::now() >= c.warm_until) ||
        (c.uses_dns && ctx.dns != nullptr && ctx.dns->epoch() != c.dns_epoch);
    if (!stale) return it->second;
    clusters_.erase(it);
  }
  std::shared_ptr<ClusterState> c;
  const bool resolved = dest.resolution.service != nullptr ||
                        dest.resolution.status != routing::DestinationStatus::kOk ||
                        name == "PassthroughCluster";
  auto parts = splitClusterName(name);
  if (!resolved && parts && ctx.snapshot != nullptr && ctx.proxy != nullptr) {
    routing::DestinationResolution r =
        ctx.snapshot->destinations().resolve(*ctx.proxy, parts->host, parts->subset, parts->port);
    if (r.cluster.empty()) r.cluster = name;
    c = buildResolved(r, parts->host, ctx);
  } else {
    c = buildResolved(dest.resolution, dest.host, ctx);
  }
  clusters_.emplace(name, c);
  return c;
}

}  // namespace meshroute::proxy
