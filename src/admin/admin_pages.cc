#include "admin/admin_pages.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <malloc.h>
#include <unistd.h>

#include <cmath>
#include <deque>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <variant>

#include "api/encode.h"
#include "registry/registry.h"
#include "upstream/connection_policy.h"
#include "upstream/dns_endpoints.h"
#include "upstream/locality_policy.h"
#include "upstream/warmup.h"

namespace meshroute::admin {
namespace {

using nlohmann::json;

std::string isoTime(std::chrono::system_clock::time_point t) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z",
                     std::chrono::time_point_cast<std::chrono::seconds>(t));
}

json specJson(const api::Resource& res) {
  return res.visitSpec([](const auto& spec) -> json {
    if constexpr (std::is_same_v<std::decay_t<decltype(spec)>, std::monostate>) {
      return nullptr;
    } else {
      return api::toJson(spec);
    }
  });
}

// The clusters the proxy can send to: every visible service port, with and without each
// subset its DestinationRule defines, resolved as a request would resolve them.
struct ClusterView {
  routing::DestinationResolution resolution;
  std::string host;
};

std::vector<ClusterView> clustersOf(const routing::Snapshot& snap, const routing::Proxy& proxy) {
  std::vector<ClusterView> out;
  std::set<std::string> seen;
  for (const auto& svc : snap.registry().services()) {
    for (const auto& port : svc.ports) {
      auto base = snap.destinations().resolve(proxy, svc.hostname, "", port.port);
      std::vector<std::string> subsets{""};
      if (base.merged_rule != nullptr) {
        for (const auto& s : base.merged_rule->subsets) subsets.push_back(s.name);
      }
      for (const auto& subset : subsets) {
        auto r = subset.empty()
                     ? base
                     : snap.destinations().resolve(proxy, svc.hostname, subset, port.port);
        if (r.cluster.empty() || !seen.insert(r.cluster).second) continue;
        out.push_back(ClusterView{std::move(r), svc.hostname});
      }
    }
  }
  return out;
}

}  // namespace

std::string prometheusPage(proxy::ProxyServer& server) {
  std::string out = server.metrics().renderPrometheus();
  auto& shared = server.shared();
  auto gen = server.current();
  fmt::format_to(std::back_inserter(out),
                 "# TYPE envoy_server_live gauge\nenvoy_server_live {}\n"
                 "# TYPE envoy_http_downstream_cx_active gauge\n"
                 "envoy_http_downstream_cx_active {}\n"
                 "# TYPE envoy_http_downstream_cx_total counter\n"
                 "envoy_http_downstream_cx_total {}\n"
                 "# TYPE envoy_http_downstream_rq_active gauge\n"
                 "envoy_http_downstream_rq_active {}\n"
                 "# TYPE envoy_listener_downstream_cx_overflow counter\n"
                 "envoy_listener_downstream_cx_overflow {}\n"
                 "# TYPE meshroute_config_version gauge\nmeshroute_config_version {}\n"
                 "# TYPE meshroute_config_rejected_total counter\n"
                 "meshroute_config_rejected_total {}\n",
                 server.ready() ? 1 : 0, shared.connections.load(), shared.connections_total.load(),
                 shared.active_requests.load(), shared.rejected_connections.load(),
                 gen ? gen->version : 0, server.rejectedCount());
  // Envoy's cluster counters behind the router's policies, one series per cluster seen.
  std::map<std::string, std::string> by_counter;
  shared.hosts.forEachCluster([&](const std::string& cluster, const proxy::ClusterStats& cs) {
    cs.forEach([&](std::string_view name, uint64_t value) {
      fmt::format_to(std::back_inserter(by_counter[std::string(name)]),
                     "envoy_cluster_{}{{cluster_name=\"{}\"}} {}\n", name, cluster, value);
    });
  });
  for (const auto& [name, lines] : by_counter) {
    fmt::format_to(std::back_inserter(out), "# TYPE envoy_cluster_{} counter\n{}", name, lines);
  }
  // Endpoints outlier detection keeps out now, per cluster.
  std::string ejected;
  const auto now = std::chrono::steady_clock::now();
  std::vector<std::string> clusters;  // listed first: the table's lock is not reentrant
  shared.hosts.forEachCluster(
      [&](const std::string& cluster, const proxy::ClusterStats&) { clusters.push_back(cluster); });
  for (const std::string& cluster : clusters) {
    fmt::format_to(std::back_inserter(ejected),
                   "envoy_cluster_outlier_detection_ejections_active{{cluster_name=\"{}\"}} {}\n",
                   cluster, shared.hosts.ejectedCount(cluster, now));
  }
  if (!ejected.empty()) {
    out += "# TYPE envoy_cluster_outlier_detection_ejections_active gauge\n";
    out += ejected;
  }
  fmt::format_to(
      std::back_inserter(out),
      "# TYPE meshroute_mirrors_dropped_total counter\nmeshroute_mirrors_dropped_total {}\n"
      "# TYPE meshroute_internal_errors_total counter\nmeshroute_internal_errors_total {}\n",
      shared.mirrors_dropped.load(), shared.internal_errors.load());
  const proxy::Http2Counters& h2 = shared.http2;
  fmt::format_to(
      std::back_inserter(out),
      "# TYPE envoy_http2_rx_reset counter\nenvoy_http2_rx_reset {}\n"
      "# TYPE envoy_http2_tx_reset counter\nenvoy_http2_tx_reset {}\n"
      "# TYPE envoy_http2_goaway_sent counter\nenvoy_http2_goaway_sent {}\n"
      "# TYPE envoy_http2_rx_messaging_error counter\nenvoy_http2_rx_messaging_error {}\n"
      "# TYPE envoy_http2_outbound_control_flood counter\n"
      "envoy_http2_outbound_control_flood {}\n"
      "# TYPE envoy_http2_header_overflow counter\nenvoy_http2_header_overflow {}\n"
      "# TYPE envoy_http2_streams_active gauge\nenvoy_http2_streams_active {}\n",
      h2.rx_reset.load(), h2.tx_reset.load(), h2.goaway_sent.load(), h2.rx_messaging_error.load(),
      h2.outbound_control_flood.load(), h2.header_overflow.load(), h2.streams_active.load());
  return out;
}

std::string configDumpPage(proxy::ProxyServer& server) {
  auto gen = server.current();
  json dump;
  dump["version"] = gen ? gen->version : 0;
  dump["loaded_at"] = gen ? isoTime(gen->loaded_at) : "";
  dump["paths"] = server.paths();
  const auto& p = server.settings().proxy;
  dump["proxy"] = {{"type", "sidecar"}, {"namespace", p.ns}, {"labels", p.labels}};
  json resources = json::array();
  if (gen) {
    for (const auto& res : gen->snapshot->resources()) {
      resources.push_back({{"apiVersion", res.api_version},
                           {"kind", res.kind},
                           {"namespace", res.meta.namespace_},
                           {"name", res.meta.name},
                           {"file", res.file},
                           {"line", res.mark.line},
                           {"spec", specJson(res)}});
    }
    dump["warnings"] = gen->warnings;
  }
  dump["resources"] = std::move(resources);
  auto rejection = server.lastRejection();
  if (rejection) {
    dump["last_rejection"] = {{"at", isoTime(rejection->at)}, {"reasons", rejection->reasons}};
  } else {
    dump["last_rejection"] = nullptr;
  }
  dump["rejected_reloads"] = server.rejectedCount();
  return dump.dump(2) + "\n";
}

std::string clustersPage(proxy::ProxyServer& server, bool as_json) {
  auto gen = server.current();
  if (!gen) return as_json ? "{\"cluster_statuses\":[]}\n" : "";
  const auto& proxy = server.settings().proxy;
  auto& hosts = server.shared().hosts;
  std::string text;
  json statuses = json::array();
  for (const auto& view : clustersOf(*gen->snapshot, proxy)) {
    const auto& r = view.resolution;
    std::string lb = r.policy.load_balancer.empty() ? "LEAST_REQUEST" : r.policy.load_balancer;
    fmt::format_to(std::back_inserter(text), "{}::lb_policy::{}\n", r.cluster, lb);
    json c = {{"name", r.cluster}, {"lb_policy", lb}, {"host_statuses", json::array()}};
    // meshroute's addition: the DestinationRule's TLS mode (SIMPLE and MUTUAL are originated).
    if (r.policy.policy && r.policy.policy->tls && !r.policy.policy->tls->mode.empty()) {
      const std::string& mode = r.policy.policy->tls->mode;
      fmt::format_to(std::back_inserter(text), "{}::tls_mode::{}\n", r.cluster, mode);
      c["tls_mode"] = mode;
    }
    json cstats = json::object();
    hosts.cluster(r.cluster).forEach([&](std::string_view name, uint64_t value) {
      fmt::format_to(std::back_inserter(text), "{}::{}::{}\n", r.cluster, name, value);
      cstats[std::string(name)] = value;
    });
    c["stats"] = std::move(cstats);
    // Envoy's circuit-breaker thresholds (default priority): the connectionPool limits.
    const api::ConnectionPoolSettings* pool = r.policy.policy && r.policy.policy->connection_pool
                                                  ? &*r.policy.policy->connection_pool
                                                  : nullptr;
    const upstream::BreakerLimits limits =
        upstream::compileConnectionPolicy(pool, r.policy.policy && r.policy.policy->retry_budget
                                                    ? &*r.policy.policy->retry_budget
                                                    : nullptr)
            .limits;
    fmt::format_to(std::back_inserter(text),
                   "{0}::default_priority::max_connections::{1}\n"
                   "{0}::default_priority::max_pending_requests::{2}\n"
                   "{0}::default_priority::max_requests::{3}\n"
                   "{0}::default_priority::max_retries::{4}\n",
                   r.cluster, limits.max_connections, limits.max_pending_requests,
                   limits.max_requests, limits.max_retries);
    c["circuit_breakers"] = {
        {"thresholds", json::array({{{"max_connections", limits.max_connections},
                                     {"max_pending_requests", limits.max_pending_requests},
                                     {"max_requests", limits.max_requests},
                                     {"max_retries", limits.max_retries}}})}};
    if (limits.hasRetryBudget()) {
      c["circuit_breakers"]["thresholds"][0]["retry_budget"] = {
          {"budget_percent", {{"value", limits.retry_budget_percent}}},
          {"min_retry_concurrency", limits.min_retry_concurrency}};
    }
    // DNS endpoints as the workers see them: the addresses their names resolve to now.
    std::deque<registry::Endpoint> resolved_storage;
    std::optional<routing::DestinationResolution> resolved;
    if (const runtime::DnsResolver* dns = server.shared().dns;
        dns != nullptr && upstream::usesDns(r)) {
      const auto answers = dns->snapshot();
      resolved = upstream::expandDnsEndpoints(
          r,
          [&](const std::string& name) -> const std::vector<std::string>* {
            const runtime::DnsAnswer* a = answers->find(name);
            return a == nullptr ? nullptr : &a->addresses;
          },
          resolved_storage);
    }
    const std::vector<const registry::Endpoint*>& endpoints =
        resolved ? resolved->endpoints : r.endpoints;
    const upstream::LocalityPlacement placement =
        upstream::localityPlacement(resolved ? *resolved : r, proxy, gen->snapshot->mesh());
    const upstream::WarmupPolicy warmup = upstream::compileWarmup(
        r.policy.policy && r.policy.policy->load_balancer ? &*r.policy.policy->load_balancer
                                                          : nullptr);
    size_t index = 0;
    for (const registry::Endpoint* e : endpoints) {
      if (e == nullptr || e->address.empty()) continue;
      const size_t i = index++;
      const uint32_t priority = placement.active ? placement.priority[i] : 0;
      const upstream::Locality locality = upstream::Locality::parse(e->locality);
      auto port = e->ports.find(r.port);
      uint32_t p = port != e->ports.end() && port->second ? port->second : r.port;
      std::string key = fmt::format("{}:{}", e->address, p);
      const proxy::HostStats* hs = hosts.find(r.cluster, key);
      int64_t active = hs ? hs->rq_active.load(std::memory_order_relaxed) : 0;
      uint64_t total = hs ? hs->rq_total.load(std::memory_order_relaxed) : 0;
      uint64_t errors = hs ? hs->rq_error.load(std::memory_order_relaxed) : 0;
      uint64_t fails = hs ? hs->cx_connect_fail.load(std::memory_order_relaxed) : 0;
      const bool ejected = hs != nullptr && hs->outlier.ejected(std::chrono::steady_clock::now());
      std::string health = e->healthy ? "" : "/failed_eds_health";
      if (ejected) health += "/failed_outlier_check";
      if (health.empty()) health = "healthy";
      fmt::format_to(std::back_inserter(text),
                     "{0}::{1}::rq_active::{2}\n{0}::{1}::rq_total::{3}\n"
                     "{0}::{1}::rq_error::{4}\n{0}::{1}::cx_connect_fail::{5}\n"
                     "{0}::{1}::weight::{6}\n{0}::{1}::health_flags::{7}\n"
                     "{0}::{1}::region::{8}\n{0}::{1}::zone::{9}\n{0}::{1}::sub_zone::{10}\n"
                     "{0}::{1}::priority::{11}\n",
                     r.cluster, key, active, total, errors, fails, e->weight, health,
                     locality.region, locality.zone, locality.subzone, priority);
      if (!e->hostname.empty()) {  // Envoy's hostname line of a DNS cluster's host
        fmt::format_to(std::back_inserter(text), "{}::{}::hostname::{}\n", r.cluster, key,
                       e->hostname);
      }
      // loadBalancer.warmup: the share of its weight the endpoint has now (100 once warm; not
      // seen yet: 0). Not an Envoy line: Envoy shows no slow-start state.
      int warm_percent = -1;
      if (warmup.enabled()) {
        warm_percent =
            hs == nullptr
                ? 0
                : static_cast<int>(std::lround(
                      100 * upstream::warmupFactor(
                                warmup, std::chrono::steady_clock::now() - hs->first_seen)));
        fmt::format_to(std::back_inserter(text), "{}::{}::warmup_percent::{}\n", r.cluster, key,
                       warm_percent);
      }
      c["host_statuses"].push_back({{"address", key},
                                    {"hostname", e->hostname},
                                    {"weight", e->weight},
                                    {"health", e->healthy ? "HEALTHY" : "UNHEALTHY"},
                                    {"failed_outlier_check", ejected},
                                    {"locality", e->locality},
                                    {"region", locality.region},
                                    {"zone", locality.zone},
                                    {"sub_zone", locality.subzone},
                                    {"priority", priority},
                                    {"dropped", placement.active && placement.dropped[i]},
                                    {"warmup_percent", warm_percent},
                                    {"stats",
                                     {{"rq_active", active},
                                      {"rq_total", total},
                                      {"rq_error", errors},
                                      {"cx_connect_fail", fails}}}});
    }
    statuses.push_back(std::move(c));
  }
  if (as_json) return json{{"cluster_statuses", std::move(statuses)}}.dump(2) + "\n";
  return text;
}

std::string routesPage(proxy::ProxyServer& server) {
  auto gen = server.current();
  json out = {{"version", gen ? gen->version : 0}, {"route_configs", json::array()}};
  if (!gen) return out.dump(2) + "\n";
  for (const auto& table : gen->snapshot->routeTables(server.settings().proxy)) {
    json t = {{"name", table.name}, {"virtual_hosts", json::array()}};
    for (const auto& host : table.hosts) {
      json h = {{"name", host.name},
                {"kind", host.kind},
                {"domains", host.domains},
                {"routes", json::array()}};
      for (const auto& r : host.routes) {
        json route = {{"name", r.name}, {"catch_all", r.catch_all}};
        if (!r.virtual_service.empty()) {
          route["virtual_service"] = r.virtual_service;
          route["rule_index"] = r.rule_index;
          if (r.match_index >= 0) route["match_index"] = r.match_index;
        }
        if (!r.delegate.empty()) {
          route["delegate"] = r.delegate;
          route["delegate_rule_index"] = r.delegate_rule_index;
        }
        h["routes"].push_back(std::move(route));
      }
      t["virtual_hosts"].push_back(std::move(h));
    }
    out["route_configs"].push_back(std::move(t));
  }
  return out.dump(2) + "\n";
}

std::string memoryPage() {
  // glibc's counters stand in for tcmalloc's: in use, held from the system, free inside it.
  const struct mallinfo2 m = mallinfo2();
  const size_t allocated = m.uordblks + m.hblkhd;
  const size_t heap = m.arena + m.hblkhd;
  long pages = 0;
  long resident = 0;
  std::ifstream statm("/proc/self/statm");
  statm >> pages >> resident;
  const auto physical = static_cast<uint64_t>(resident) * static_cast<uint64_t>(getpagesize());
  // Envoy prints these as strings (uint64 in proto JSON); the same here.
  json out = {{"allocated", std::to_string(allocated)},
              {"heap_size", std::to_string(heap)},
              {"pageheap_unmapped", "0"},
              {"pageheap_free", std::to_string(m.fordblks)},
              {"total_thread_cache", "0"},
              {"total_physical_bytes", std::to_string(physical)}};
  return out.dump(2) + "\n";
}

}  // namespace meshroute::admin
