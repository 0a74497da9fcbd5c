// A sidecar's outbound view: the Sidecar scope (pilot/pkg/model/sidecar.go: egress hosts,
// imported services and VirtualServices) and the route configuration for one listener port
// (pilot/pkg/networking/core/httproute.go BuildSidecarOutboundVirtualHosts and
// route.go BuildSidecarVirtualHostWrapper).
#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <unordered_set>

#include "routing/snapshot_internal.h"

namespace meshroute::routing {
namespace {

// hostClassification: the egress hosts imported from one namespace.
struct HostClass {
  std::set<std::string> exact;
  std::vector<std::string> all;
  std::vector<std::string> excluded;

  [[nodiscard]] bool isExcluded(std::string_view h) const {
    return std::any_of(excluded.begin(), excluded.end(),
                       [&](const std::string& e) { return hosts::subsetOf(h, e); });
  }
  [[nodiscard]] bool matches(std::string_view h) const {
    if (exact.contains(std::string(h))) return true;
    const bool hw = hosts::isWildcard(h);
    return std::any_of(all.begin(), all.end(), [&](const std::string& imported) {
      return (hw || hosts::isWildcard(imported)) && hosts::subsetOf(h, imported);
    });
  }
  // VSMatches (legacy, non Gateway-API semantics): bidirectional wildcard match.
  [[nodiscard]] bool vsMatches(std::string_view h) const {
    if (exact.contains(std::string(h))) return true;
    const bool hw = hosts::isWildcard(h);
    return std::any_of(all.begin(), all.end(), [&](const std::string& imported) {
      return (hw || hosts::isWildcard(imported)) && hosts::matches(h, imported);
    });
  }
};

std::map<std::string, HostClass> classify(const std::vector<std::string>& egress_hosts,
                                          const std::string& config_ns) {
  std::map<std::string, HostClass> out;
  for (const std::string& h : egress_hosts) {
    const size_t slash = h.find('/');
    if (slash == std::string::npos || h.find('/', slash + 1) != std::string::npos) continue;
    const bool excluded = h.starts_with('~');
    const size_t from = excluded ? 1 : 0;
    std::string ns(h, from, slash - from);
    const std::string name = h.substr(slash + 1);
    if (excluded && ns.empty()) ns.push_back('*');
    if (ns == ".") ns = config_ns;
    HostClass& hc = out[ns];
    if (excluded) {
      hc.excluded.push_back(name);
      continue;
    }
    if (!hosts::isWildcard(name)) hc.exact.insert(name);
    hc.all.push_back(name);
  }
  return out;
}

const registry::ServicePort* findPort(const registry::Service& s, uint32_t port) {
  for (const registry::ServicePort& p : s.ports) {
    if (p.port == port) return &p;
  }
  return nullptr;
}

EgressScope buildEgress(const Snapshot::Compiled& c, const std::string& config_ns,
                        const std::vector<std::string>& egress_hosts, uint32_t port,
                        std::string protocol) {
  EgressScope out;
  out.port = port;
  out.protocol = std::move(protocol);
  const auto by_ns = classify(egress_hosts, config_ns);
  const auto wildcard = by_ns.find("*");

  // SelectVirtualServices.
  std::unordered_set<const CompiledVirtualService*> seen;
  for (const CompiledVirtualService* vs : c.virtualServicesFor(config_ns, "mesh")) {
    if (seen.contains(vs)) continue;
    auto try_add = [&](const HostClass& hc) {
      const auto ns_it = by_ns.find(vs->ns);
      for (const std::string& h : vs->hosts) {
        if (!hc.vsMatches(h)) continue;
        if ((ns_it != by_ns.end() && ns_it->second.isExcluded(h)) ||
            (wildcard != by_ns.end() && wildcard->second.isExcluded(h))) {
          continue;
        }
        out.virtual_services.push_back(vs);
        seen.insert(vs);
        return true;
      }
      return false;
    };
    if (auto it = by_ns.find(vs->ns); it != by_ns.end() && try_add(it->second)) continue;
    if (wildcard != by_ns.end()) try_add(wildcard->second);
  }

  // selectServices over the services exported to the namespace.
  const bool match_port = port != 0 && hosts::toLower(out.protocol) != "http_proxy";
  std::vector<const registry::Service*> imported;
  for (const registry::Service* s : c.services) {
    if (!c.serviceVisible(s, config_ns)) continue;
    const auto ns_it = by_ns.find(s->ns);
    if ((ns_it != by_ns.end() && ns_it->second.isExcluded(s->hostname)) ||
        (wildcard != by_ns.end() && wildcard->second.isExcluded(s->hostname))) {
      continue;
    }
    const bool hit = (ns_it != by_ns.end() && ns_it->second.matches(s->hostname)) ||
                     (wildcard != by_ns.end() && wildcard->second.matches(s->hostname));
    if (!hit) continue;
    if (match_port && findPort(*s, port) == nullptr) continue;
    imported.push_back(s);
  }
  // One service per hostname: the proxy's namespace wins, then Kubernetes over ServiceEntry,
  // then the oldest.
  std::map<std::string, const registry::Service*> chosen;
  for (const registry::Service* s : imported) {
    auto [it, inserted] = chosen.emplace(s->hostname, s);
    if (inserted) continue;
    const registry::Service* ex = it->second;
    if (s->ns == config_ns && ex->ns != config_ns) {
      it->second = s;
    } else if (ex->from_service_entry && !s->from_service_entry &&
               (s->ns == config_ns || ex->ns != config_ns)) {
      it->second = s;
    }
  }
  for (const registry::Service* s : imported) {
    if (chosen[s->hostname] == s) out.services.push_back(s);
  }
  return out;
}

}  // namespace

std::shared_ptr<const SidecarScope> buildSidecarScope(const Snapshot::Compiled& c,
                                                      const api::Resource* sidecar,
                                                      const std::string& ns) {
  auto scope = std::make_shared<SidecarScope>();
  scope->sidecar = sidecar;
  scope->ns = ns;
  scope->allow_any = c.mesh->outbound_allow_any;
  const api::Sidecar* spec = sidecar ? sidecar->as<api::Sidecar>() : nullptr;
  if (spec && spec->outbound_traffic_policy) {
    scope->allow_any = spec->outbound_traffic_policy->mode != "REGISTRY_ONLY";
    if (scope->allow_any) scope->egress_proxy = spec->outbound_traffic_policy->egress_proxy;
  }
  if (spec == nullptr || spec->egress.empty()) {
    scope->egress.push_back(buildEgress(c, ns, {"*/*"}, 0, ""));
    return scope;
  }
  for (const api::IstioEgressListener& e : spec->egress) {
    const uint32_t port = e.port ? e.port->number : 0;
    scope->egress.push_back(buildEgress(c, ns, e.hosts, port, e.port ? e.port->protocol : ""));
  }
  return scope;
}

const EgressScope* egressFor(const SidecarScope& scope, uint32_t port) {
  for (const EgressScope& e : scope.egress) {
    if (e.port == 0 || e.port == port) return &e;
  }
  return nullptr;
}

void RouteConfig::addVhost(VirtualHostEntry v) {
  const int idx = static_cast<int>(vhosts.size());
  for (const std::string& d : v.domains) {
    if (d == "*") {
      if (star < 0) star = idx;
    } else if (hosts::isWildcard(d)) {
      std::string key = d.substr(1);
      if (suffix.emplace(key, idx).second && std::find(suffix_lengths.begin(), suffix_lengths.end(),
                                                       key.size()) == suffix_lengths.end()) {
        suffix_lengths.push_back(key.size());
        std::sort(suffix_lengths.rbegin(), suffix_lengths.rend());
      }
    } else {
      exact.emplace(hosts::toLower(d), idx);
    }
  }
  vhosts.push_back(std::move(v));
}

const registry::Service* RouteConfig::tcpService(std::string_view address,
                                                 std::string_view host) const {
  if (!address.empty()) {
    if (auto it = tcp_by_address.find(std::string(address)); it != tcp_by_address.end()) {
      return it->second;
    }
    for (const auto& [cidr, s] : tcp_by_cidr) {
      if (hosts::cidrContains(cidr, address)) return s;
    }
  }
  if (tcp_by_name.empty()) return nullptr;
  if (auto it = tcp_by_name.find(std::string(host)); it != tcp_by_name.end()) return it->second;
  return nullptr;
}

int RouteConfig::find(std::string_view host) const {
  if (auto it = exact.find(std::string(host)); it != exact.end()) return it->second;
  for (size_t n : suffix_lengths) {
    // Envoy's suffix wildcards need at least one character before the suffix.
    if (host.size() <= n) continue;
    if (auto it = suffix.find(std::string(host.substr(host.size() - n))); it != suffix.end()) {
      return it->second;
    }
  }
  return star;
}

namespace {

struct Wrapper {
  const CompiledVirtualService* vs = nullptr;  // null: default route for `services[0]`
  RouteSegment segment;
  std::vector<std::string> vs_hosts;  // VirtualService hosts without a registry service
  std::vector<const registry::Service*> services;
};

// MostSpecificHostMatch over the VirtualService hosts (exact first, then the most specific
// wildcard), returning the VirtualService that owns the best match for `svc_host`.
const CompiledVirtualService* mostSpecificVs(
    std::string_view svc_host, const std::map<std::string, const CompiledVirtualService*>& fqdn,
    const std::map<std::string, const CompiledVirtualService*>& wild) {
  if (!hosts::isWildcard(svc_host)) {
    if (auto it = fqdn.find(std::string(svc_host)); it != fqdn.end()) return it->second;
  } else if (auto it = wild.find(std::string(svc_host)); it != wild.end()) {
    return it->second;
  }
  const std::string_view needle = hosts::isWildcard(svc_host) ? svc_host.substr(1) : svc_host;
  const std::string* best = nullptr;
  const CompiledVirtualService* best_vs = nullptr;
  for (const auto& [h, vs] : wild) {
    if (!needle.ends_with(std::string_view(h).substr(1))) continue;
    if (best == nullptr || hosts::moreSpecific(h, *best)) {
      best = &h;
      best_vs = vs;
    }
  }
  return best_vs;
}

}  // namespace

std::shared_ptr<const RouteConfig> buildSidecarRouteConfig(const Snapshot::Compiled& c,
                                                           const SidecarScope& scope,
                                                           const StaticContext& ctx) {
  auto rc = std::make_shared<RouteConfig>();
  const uint32_t port = ctx.port;
  rc->name = std::to_string(port);
  rc->listener = fmt::format("0.0.0.0_{}", port);
  const EgressScope* egress = egressFor(scope, port);
  if (egress == nullptr) {
    rc->exists = false;
    return rc;
  }

  // servicesByName: the imported services that expose the listener port.
  std::map<std::string, const registry::Service*> by_name;
  for (const registry::Service* s : egress->services) {
    if (findPort(*s, port) != nullptr) by_name.emplace(hosts::toLower(s->hostname), s);
  }
  std::vector<std::string> wildcard_services;
  for (const auto& [h, s] : by_name) {
    if (hosts::isWildcard(h)) wildcard_services.push_back(h);
    const registry::ServicePort* p = findPort(*s, port);
    if (p != nullptr && isHttpOrSniffed(p->protocol)) {
      rc->http_listener = true;
      continue;
    }
    rc->tcp_by_name.emplace(h, s);
    for (const std::string& alt : hosts::altHosts(s->hostname, scope.ns, c.mesh->cluster_domain)) {
      rc->tcp_by_name.emplace(alt, s);
    }
    for (const std::string& a : s->addresses) {
      if (a.find('/') != std::string::npos) {
        rc->tcp_by_cidr.emplace_back(a, s);
      } else {
        rc->tcp_by_address.emplace(a, s);
        rc->tcp_by_name.emplace(a, s);
      }
    }
  }

  // Only port 80 keeps VirtualServices whose hosts match no service (httproute.go
  // selectVirtualServices, "hack to keep consistent with previous behavior").
  std::vector<const CompiledVirtualService*> vses;
  for (const CompiledVirtualService* vs : egress->virtual_services) {
    bool keep = port == 80;
    for (const std::string& h : vs->hosts) {
      if (keep) break;
      if (by_name.contains(h)) {
        keep = true;
      } else if (hosts::isWildcard(h)) {
        keep = std::any_of(by_name.begin(), by_name.end(),
                           [&](const auto& e) { return hosts::matches(h, e.first); });
      } else {
        keep = std::any_of(wildcard_services.begin(), wildcard_services.end(),
                           [&](const std::string& w) { return hosts::matches(h, w); });
      }
    }
    if (keep) vses.push_back(vs);
  }

  // computeWildcardHostVirtualServiceIndex, over every VirtualService of the listener.
  std::map<std::string, const CompiledVirtualService*> fqdn_index;
  std::map<std::string, const CompiledVirtualService*> wild_index;
  for (const CompiledVirtualService* vs : egress->virtual_services) {
    for (const std::string& h : vs->hosts) {
      (hosts::isWildcard(h) ? wild_index : fqdn_index).emplace(h, vs);
    }
  }

  std::vector<Wrapper> wrappers;
  std::set<std::string> used_services;
  for (const CompiledVirtualService* vs : vses) {
    Wrapper w;
    w.vs = vs;
    w.segment = buildSegment(*vs, ctx);
    // BuildHTTPRoutesForVirtualService returns an error when no route survives: the
    // VirtualService contributes no virtual host for this proxy and port.
    if (!w.segment.any_active) continue;
    std::vector<const registry::Service*> matched;
    for (const std::string& h : vs->hosts) {
      if (hosts::isWildcard(h)) continue;
      if (auto it = by_name.find(h); it != by_name.end()) {
        matched.push_back(it->second);
      } else {
        w.vs_hosts.push_back(h);
      }
    }
    for (const std::string& h : vs->hosts) {
      if (!hosts::isWildcard(h)) continue;
      bool found = false;
      for (const auto& [svc_host, svc] : by_name) {
        if (!hosts::matches(svc_host, h)) continue;
        found = true;
        if (mostSpecificVs(svc_host, fqdn_index, wild_index) != vs) continue;
        matched.push_back(svc);
      }
      if (!found) w.vs_hosts.push_back(h);
    }
    for (const registry::Service* s : matched) {
      const registry::ServicePort* p = findPort(*s, port);
      if (p != nullptr && isHttpOrSniffed(p->protocol)) w.services.push_back(s);
    }
    if (w.services.empty() && port != 80) continue;
    for (const registry::Service* s : w.services) used_services.insert(hosts::toLower(s->hostname));
    wrappers.push_back(std::move(w));
  }
  for (const auto& [h, s] : by_name) {
    if (used_services.contains(h)) continue;
    const registry::ServicePort* p = findPort(*s, port);
    if (p == nullptr || !isHttpOrSniffed(p->protocol)) continue;
    // Aliases (ExternalName) get no virtual host of their own (BuildSidecarVirtualHostWrapper).
    if (s->resolution == registry::Resolution::kAlias) continue;
    Wrapper w;
    w.services.push_back(s);
    wrappers.push_back(std::move(w));
  }

  std::unordered_set<std::string> known_fqdn;
  for (const Wrapper& w : wrappers) {
    for (const registry::Service* s : w.services) {
      known_fqdn.insert(s->hostname);
      known_fqdn.insert(fmt::format("{}:{}", s->hostname, port));
    }
  }
  std::unordered_set<std::string> names;
  std::unordered_set<std::string> used_domains;
  auto dedupe = [&](std::vector<std::string> domains, const std::vector<std::string>& alt) {
    std::vector<std::string> out;
    for (std::string& d : domains) {
      const std::string lower = hosts::toLower(d);
      if (used_domains.contains(lower)) continue;
      if (std::find(alt.begin(), alt.end(), d) != alt.end() && known_fqdn.contains(d)) continue;
      used_domains.insert(lower);
      out.push_back(std::move(d));
    }
    return out;
  };
  for (const Wrapper& w : wrappers) {
    for (const std::string& h : w.vs_hosts) {
      VirtualHostEntry v;
      v.name = fmt::format("{}:{}", h, port);
      if (!names.insert(v.name).second) continue;
      v.domains = dedupe({h}, {});
      if (v.domains.empty()) continue;
      v.segments.push_back(w.segment);
      rc->addVhost(std::move(v));
    }
    for (const registry::Service* s : w.services) {
      VirtualHostEntry v;
      v.name = fmt::format("{}:{}", s->hostname, port);
      if (!names.insert(v.name).second) continue;
      std::vector<std::string> alt = hosts::altHosts(s->hostname, scope.ns, c.mesh->cluster_domain);
      std::vector<std::string> domains{s->hostname};
      domains.insert(domains.end(), alt.begin(), alt.end());
      // Headless Kubernetes services also answer for their pods' names.
      if (!s->from_service_entry && s->resolution == registry::Resolution::kNone) {
        const size_t n = domains.size();
        for (size_t i = 0; i < n; ++i) domains.push_back("*." + domains[i]);
      }
      for (const std::string& a : s->addresses) {
        if (!a.empty() && a != "0.0.0.0") domains.push_back(a);
      }
      v.domains = dedupe(std::move(domains), alt);
      if (v.domains.empty()) continue;
      if (w.vs) {
        v.segments.push_back(w.segment);
      } else {
        v.kind = VhostKind::kDefault;
        v.service = s;
        v.port = port;
      }
      rc->addVhost(std::move(v));
    }
  }

  // The catch-all virtual host (buildCatchAllVirtualHost).
  VirtualHostEntry any;
  any.kind = scope.allow_any ? VhostKind::kAllowAny : VhostKind::kBlockAll;
  any.name = scope.allow_any ? "allow_any" : "block_all";
  any.domains = {"*"};
  rc->addVhost(std::move(any));
  return rc;
}

}  // namespace meshroute::routing
