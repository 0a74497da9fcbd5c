// Snapshot::build: registry, destination index, and the compiled VirtualServices with Istio's
// visibility indexes (pilot/pkg/model/push_context.go initVirtualServices,
// virtualservice_controller.go mergeVirtualServices).
#include "routing/snapshot.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <tuple>

#include "routing/route_action.h"
#include "routing/snapshot_internal.h"

namespace meshroute::routing {
namespace {

// configCompareByCreationTime: creation time, then name, then namespace.
bool olderThan(const api::Resource* a, const api::Resource* b) {
  return std::tie(a->meta.creation_timestamp, a->meta.name, a->meta.namespace_) <
         std::tie(b->meta.creation_timestamp, b->meta.name, b->meta.namespace_);
}

void resolveDestination(std::optional<api::Destination>& d, const std::string& ns,
                        const std::string& domain) {
  if (d) d->host = hosts::resolveShortname(d->host, ns, domain);
}

// ResolveVirtualServiceShortnames: hosts, gateways and destination hosts in `ns`.
void resolveShortnames(api::VirtualService& vs, const std::string& ns, const std::string& domain) {
  for (std::string& h : vs.hosts) h = hosts::resolveShortname(h, ns, domain);
  for (std::string& g : vs.gateways) g = hosts::resolveGatewayName(g, ns);
  for (api::HTTPRoute& r : vs.http) {
    for (api::HTTPMatchRequest& m : r.match) {
      for (std::string& g : m.gateways) g = hosts::resolveGatewayName(g, ns);
    }
    for (api::HTTPRouteDestination& d : r.route) resolveDestination(d.destination, ns, domain);
    if (r.mirror) r.mirror->host = hosts::resolveShortname(r.mirror->host, ns, domain);
    for (api::HTTPMirrorPolicy& m : r.mirrors) resolveDestination(m.destination, ns, domain);
  }
  for (api::TCPRoute& r : vs.tcp) {
    for (api::L4MatchAttributes& m : r.match) {
      for (std::string& g : m.gateways) g = hosts::resolveGatewayName(g, ns);
    }
    for (api::RouteDestination& d : r.route) resolveDestination(d.destination, ns, domain);
  }
  for (api::TLSRoute& r : vs.tls) {
    for (api::TLSMatchAttributes& m : r.match) {
      for (std::string& g : m.gateways) g = hosts::resolveGatewayName(g, ns);
    }
    for (api::RouteDestination& d : r.route) resolveDestination(d.destination, ns, domain);
  }
}

// ---- delegate merging (pilot/pkg/model/virtualservice.go) ----------------------------------

const std::string* exactOf(const std::optional<api::StringMatch>& m) {
  return m && m->exact && !m->exact->empty() ? &*m->exact : nullptr;
}
const std::string* prefixOf(const std::optional<api::StringMatch>& m) {
  return m && m->prefix && !m->prefix->empty() ? &*m->prefix : nullptr;
}
const std::string* regexOf(const std::optional<api::StringMatch>& m) {
  return m && m->regex && !m->regex->empty() ? &*m->regex : nullptr;
}

// stringMatchConflict: the leaf must narrow the root's match.
bool stringMatchConflict(const std::optional<api::StringMatch>& root,
                         const std::optional<api::StringMatch>& leaf) {
  if (!root || !leaf) return false;
  if (regexOf(root) && (regexOf(leaf) || prefixOf(leaf) || exactOf(leaf))) return true;
  if (regexOf(leaf) && (regexOf(root) || prefixOf(root) || exactOf(root))) return true;
  if (const std::string* e = exactOf(root)) {
    if (prefixOf(leaf)) return true;
    const std::string* le = exactOf(leaf);
    return le == nullptr ? !e->empty() : *le != *e;
  }
  if (const std::string* p = prefixOf(root)) {
    if (const std::string* lp = prefixOf(leaf)) return !lp->starts_with(*p);
    if (const std::string* le = exactOf(leaf)) return !le->starts_with(*p);
  }
  return true;
}

std::optional<api::StringMatch> lookup(const std::map<std::string, api::StringMatch>& m,
                                       const std::string& k) {
  auto it = m.find(k);
  if (it == m.end()) return std::nullopt;
  return it->second;
}

bool hasConflict(const api::HTTPMatchRequest& root, const api::HTTPMatchRequest& leaf) {
  if (stringMatchConflict(root.uri, leaf.uri) || stringMatchConflict(root.scheme, leaf.scheme) ||
      stringMatchConflict(root.method, leaf.method) ||
      stringMatchConflict(root.authority, leaf.authority)) {
    return true;
  }
  for (const auto& [k, v] : leaf.headers) {
    if (stringMatchConflict(lookup(root.headers, k), v)) return true;
  }
  for (const auto& [k, v] : leaf.without_headers) {
    if (stringMatchConflict(lookup(root.without_headers, k), v)) return true;
  }
  for (const auto& [k, v] : leaf.query_params) {
    if (stringMatchConflict(lookup(root.query_params, k), v)) return true;
  }
  if (root.ignore_uri_case != leaf.ignore_uri_case) return true;
  if (root.port > 0 && leaf.port > 0 && root.port != leaf.port) return true;
  if (!root.source_namespace.empty() && leaf.source_namespace != root.source_namespace) {
    return true;
  }
  for (const auto& [k, v] : leaf.source_labels) {
    auto it = root.source_labels.find(k);
    if (it != root.source_labels.end() && it->second != v) return true;
  }
  if (!root.gateways.empty() && !leaf.gateways.empty()) {
    if (root.gateways.size() < leaf.gateways.size()) return true;
    for (const std::string& g : leaf.gateways) {
      if (std::find(root.gateways.begin(), root.gateways.end(), g) == root.gateways.end()) {
        return true;
      }
    }
  }
  return false;
}

template <class M>
M mergeMaps(const M& root, const M& leaf) {
  M out = root;
  for (const auto& [k, v] : leaf) out[k] = v;
  return out;
}

api::HTTPMatchRequest mergeMatch(const api::HTTPMatchRequest& root,
                                 const api::HTTPMatchRequest& leaf) {
  api::HTTPMatchRequest out = leaf;
  if (out.name.empty()) {
    out.name = root.name;
  } else if (!root.name.empty()) {
    out.name = root.name + "-" + out.name;
  }
  if (!out.uri) out.uri = root.uri;
  if (!out.scheme) out.scheme = root.scheme;
  if (!out.method) out.method = root.method;
  if (!out.authority) out.authority = root.authority;
  out.headers = mergeMaps(root.headers, leaf.headers);
  out.without_headers = mergeMaps(root.without_headers, leaf.without_headers);
  out.query_params = mergeMaps(root.query_params, leaf.query_params);
  if (out.port == 0) out.port = root.port;
  out.source_labels = mergeMaps(root.source_labels, leaf.source_labels);
  if (out.source_namespace.empty()) out.source_namespace = root.source_namespace;
  if (out.gateways.empty()) out.gateways = root.gateways;
  if (out.stat_prefix.empty()) out.stat_prefix = root.stat_prefix;
  return out;
}

// mergeHTTPRoute: nullopt when the delegate's match cannot narrow the root's.
std::optional<api::HTTPRoute> mergeRoute(const api::HTTPRoute& root, api::HTTPRoute leaf) {
  if (!root.match.empty() && !leaf.match.empty()) {
    std::vector<api::HTTPMatchRequest> merged;
    for (const api::HTTPMatchRequest& sub : leaf.match) {
      bool found = false;
      for (const api::HTTPMatchRequest& r : root.match) {
        if (hasConflict(r, sub)) continue;
        merged.push_back(mergeMatch(r, sub));
        found = true;
      }
      if (!found) return std::nullopt;
    }
    if (merged.empty()) return std::nullopt;
    leaf.match = std::move(merged);
  } else if (leaf.match.empty()) {
    leaf.match = root.match;
  }
  if (leaf.name.empty()) {
    leaf.name = root.name;
  } else if (!root.name.empty()) {
    leaf.name = root.name + "-" + leaf.name;
  }
  if (!leaf.rewrite) leaf.rewrite = root.rewrite;
  if (!leaf.direct_response) leaf.direct_response = root.direct_response;
  if (!leaf.timeout) leaf.timeout = root.timeout;
  if (!leaf.retries) leaf.retries = root.retries;
  if (!leaf.fault) leaf.fault = root.fault;
  if (!leaf.mirror) leaf.mirror = root.mirror;
  if (!leaf.mirrorPercent()) {
    leaf.mirror_percent = root.mirror_percent;
    leaf.mirror_percent_proto_name = root.mirror_percent_proto_name;
  }
  if (!leaf.mirror_percentage) leaf.mirror_percentage = root.mirror_percentage;
  if (!leaf.cors_policy) leaf.cors_policy = root.cors_policy;
  if (leaf.mirrors.empty()) leaf.mirrors = root.mirrors;
  if (!leaf.headers) leaf.headers = root.headers;
  leaf.delegate.reset();
  return leaf;
}

struct DelegateEntry {
  const api::Resource* resource = nullptr;
  api::VirtualService spec;  // short names resolved in the delegate's namespace
  hosts::ExportTo export_to;
};

}  // namespace

bool CompiledVirtualService::boundTo(std::string_view gateway) const {
  return std::find(gateways.begin(), gateways.end(), gateway) != gateways.end();
}

RouteSegment buildSegment(const CompiledVirtualService& vs, const StaticContext& ctx) {
  RouteSegment seg;
  seg.vs = &vs;
  seg.gateway = std::string(ctx.gateway);
  seg.state.assign(vs.routes.size(), RouteState::kUnreachable);
  for (size_t i = 0; i < vs.routes.size(); ++i) {
    const HttpRouteMatch& r = vs.routes[i];
    if (!staticMatch(r, ctx, nullptr)) {
      seg.state[i] = RouteState::kFiltered;
      continue;
    }
    seg.state[i] = RouteState::kActive;
    seg.any_active = true;
    // BuildHTTPRoutesForVirtualService stops after a rule without match or a catch-all route.
    if (r.catch_all) break;
  }
  return seg;
}

bool isHttpProtocol(std::string_view p) {
  const std::string u = hosts::toLower(p);
  return u == "http" || u == "http2" || u == "grpc" || u == "grpc-web" || u == "http_proxy";
}

bool isHttpOrSniffed(std::string_view p) {
  if (isHttpProtocol(p)) return true;
  static const char* const kKnown[] = {"https", "tls", "tcp",    "mongo", "redis",
                                       "mysql", "udp", "thrift", "hbone"};
  const std::string u = hosts::toLower(p);
  return std::none_of(std::begin(kKnown), std::end(kKnown), [&](const char* k) { return u == k; });
}

bool isTlsProtocol(std::string_view p) {
  const std::string u = hosts::toLower(p);
  return u == "https" || u == "tls";
}

std::string labelsKey(const StringMap& labels) {
  std::string out;
  for (const auto& [k, v] : labels) {
    out += k;
    out += '=';
    out += v;
    out += '\x1f';
  }
  return out;
}

bool Snapshot::Compiled::serviceVisible(const registry::Service* s, std::string_view ns) const {
  auto it = service_export.find(s);
  if (it == service_export.end()) return true;
  return it->second.visibleTo(ns);
}

std::vector<const CompiledVirtualService*> Snapshot::Compiled::virtualServicesFor(
    std::string_view ns, std::string_view gateway) const {
  std::vector<const CompiledVirtualService*> out;
  const auto key = std::make_pair(std::string(ns), std::string(gateway));
  if (auto it = private_by_ns_gateway.find(key); it != private_by_ns_gateway.end()) {
    for (int i : it->second) out.push_back(&virtual_services[static_cast<size_t>(i)]);
  }
  if (auto it = exported_by_ns_gateway.find(key); it != exported_by_ns_gateway.end()) {
    for (int i : it->second) out.push_back(&virtual_services[static_cast<size_t>(i)]);
  }
  if (auto it = public_by_gateway.find(std::string(gateway)); it != public_by_gateway.end()) {
    for (int i : it->second) out.push_back(&virtual_services[static_cast<size_t>(i)]);
  }
  return out;
}

std::vector<const CompiledVirtualService*> Snapshot::Compiled::virtualServicesMatching(
    std::string_view host) const {
  std::vector<int> idx;
  if (hosts::isWildcard(host)) {
    for (size_t i = 0; i < virtual_services.size(); ++i) {
      const auto& hs = virtual_services[i].hosts;
      if (std::any_of(hs.begin(), hs.end(),
                      [&](const std::string& h) { return hosts::matches(h, host); })) {
        idx.push_back(static_cast<int>(i));
      }
    }
  } else {
    if (auto it = vs_by_host.find(std::string(host)); it != vs_by_host.end()) idx = it->second;
    for (int i : wildcard_vs) {
      const auto& hs = virtual_services[static_cast<size_t>(i)].hosts;
      if (std::any_of(hs.begin(), hs.end(), [&](const std::string& h) {
            return hosts::isWildcard(h) && hosts::matches(h, host);
          })) {
        idx.push_back(i);
      }
    }
    std::sort(idx.begin(), idx.end());
    idx.erase(std::unique(idx.begin(), idx.end()), idx.end());
  }
  std::vector<const CompiledVirtualService*> out;
  out.reserve(idx.size());
  for (int i : idx) out.push_back(&virtual_services[static_cast<size_t>(i)]);
  return out;
}

const registry::Service* Snapshot::Compiled::serviceFor(std::string_view host,
                                                        std::string_view proxy_ns) const {
  const registry::Service* best = nullptr;
  for (const registry::Service* s : registry->findServices(host)) {
    if (!serviceVisible(s, proxy_ns)) continue;
    if (s->ns == proxy_ns) return s;
    if (best == nullptr || (best->from_service_entry && !s->from_service_entry)) best = s;
  }
  return best;
}

std::shared_ptr<const SidecarScope> Snapshot::Compiled::sidecarScope(const Proxy& proxy) const {
  const api::Resource* chosen = nullptr;
  if (proxy.type == ProxyType::kSidecar) {
    // doGetSidecarScope: selector Sidecars first (oldest first), then the namespace-wide one,
    // then the root namespace's.
    for (const api::Resource* r : sidecars) {
      if (r->meta.namespace_ != proxy.ns) continue;
      const api::Sidecar* sc = r->as<api::Sidecar>();
      if (sc->workload_selector &&
          !registry::labelsMatch(sc->workload_selector->labels, proxy.labels)) {
        continue;
      }
      chosen = r;
      break;
    }
    if (chosen == nullptr) chosen = root_sidecar;
  }
  const std::string key = fmt::format("{}|{}", static_cast<const void*>(chosen), proxy.ns);
  {
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = scope_cache.find(key); it != scope_cache.end()) return it->second;
  }
  auto scope = buildSidecarScope(*this, chosen, proxy.ns);
  std::lock_guard<std::mutex> lock(mu);
  if (scope_cache.size() > 4096) scope_cache.clear();
  scope_cache.emplace(key, scope);
  return scope;
}

std::shared_ptr<const RouteConfig> Snapshot::Compiled::sidecarRouteConfig(
    const Proxy& proxy, const SidecarScope& scope, const StaticContext& ctx) const {
  // A scope is a function of its Sidecar resource and namespace; keying on those (not on the
  // scope's address) stays right when the scope cache is emptied and reallocated.
  const std::string key =
      fmt::format("s|{}|{}|{}|{}|{}|{}", static_cast<const void*>(scope.sidecar), scope.ns,
                  proxy.ns, ctx.ns, ctx.port, labelsKey(*ctx.labels));
  {
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = route_cache.find(key); it != route_cache.end()) return it->second;
  }
  auto rc = buildSidecarRouteConfig(*this, scope, ctx);
  std::lock_guard<std::mutex> lock(mu);
  if (route_cache.size() > 4096) route_cache.clear();
  route_cache.emplace(key, rc);
  return rc;
}

std::shared_ptr<const RouteConfig> Snapshot::Compiled::gatewayRouteConfig(
    const Proxy& proxy, const std::vector<const GatewayServer*>& servers,
    const std::string& route_name, const StaticContext& ctx) const {
  std::string key =
      fmt::format("g|{}|{}|{}|{}", proxy.ns, route_name, ctx.port, labelsKey(*ctx.labels));
  for (const GatewayServer* s : servers)
    key += fmt::format("|{}", static_cast<const void*>(s->server));
  {
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = route_cache.find(key); it != route_cache.end()) return it->second;
  }
  auto rc = buildGatewayRouteConfig(*this, proxy, servers, route_name, ctx);
  std::lock_guard<std::mutex> lock(mu);
  if (route_cache.size() > 4096) route_cache.clear();
  route_cache.emplace(key, rc);
  return rc;
}

// ---- build ----------------------------------------------------------------------------------

namespace {

void compileRoutes(CompiledVirtualService& vs, const MeshConfig& mesh) {
  for (size_t i = 0; i < vs.spec.http.size(); ++i) {
    const api::HTTPRoute& rule = vs.spec.http[i];
    vs.retries.push_back(retryPolicy(rule.retries, mesh));
    vs.cors.push_back(rule.cors_policy
                          ? std::make_shared<const CompiledCors>(compileCors(*rule.cors_policy))
                          : nullptr);
    const int ri = static_cast<int>(i);
    if (rule.match.empty()) {
      vs.routes.push_back(compileRouteMatch(rule, ri, -1));
      continue;
    }
    for (size_t m = 0; m < rule.match.size(); ++m) {
      vs.routes.push_back(compileRouteMatch(rule, ri, static_cast<int>(m)));
    }
  }
  vs.index.build(vs.routes);
}

void mergeDelegates(CompiledVirtualService& vs,
                    const std::map<std::string, DelegateEntry>& delegates,
                    const std::map<std::string, const api::Resource*>& all_vs) {
  std::vector<api::HTTPRoute> merged;
  std::vector<HttpRuleOrigin> origins;
  for (size_t i = 0; i < vs.spec.http.size(); ++i) {
    const api::HTTPRoute& rule = vs.spec.http[i];
    const int ri = static_cast<int>(i);
    if (!rule.delegate) {
      merged.push_back(rule);
      origins.push_back({ri, nullptr, -1});
      continue;
    }
    const std::string dns = rule.delegate->namespace_.empty() ? vs.ns : rule.delegate->namespace_;
    const std::string dkey = dns + "/" + rule.delegate->name;
    auto it = delegates.find(dkey);
    if (it == delegates.end()) {
      if (all_vs.contains(dkey)) {
        vs.notes.push_back(fmt::format(
            "http[{}] delegates to {}, which has hosts: Istio only delegates to VirtualServices "
            "without hosts, so this route is dropped",
            i, dkey));
      } else {
        vs.notes.push_back(
            fmt::format("http[{}] delegates to {}, which does not exist: route dropped", i, dkey));
      }
      continue;
    }
    const DelegateEntry& d = it->second;
    if (!d.export_to.visibleTo(vs.ns)) {
      vs.notes.push_back(fmt::format(
          "http[{}] delegates to {}, which is not exported to namespace {}: route dropped", i, dkey,
          vs.ns));
      continue;
    }
    for (size_t j = 0; j < d.spec.http.size(); ++j) {
      std::optional<api::HTTPRoute> m = mergeRoute(rule, d.spec.http[j]);
      if (!m) {
        vs.notes.push_back(fmt::format(
            "delegate {} http[{}]: its match conflicts with the root's http[{}] match (a "
            "delegate may only narrow it): route dropped",
            dkey, j, i));
        continue;
      }
      merged.push_back(std::move(*m));
      origins.push_back({ri, d.resource, static_cast<int>(j)});
    }
  }
  vs.spec.http = std::move(merged);
  vs.origins = std::move(origins);
}

}  // namespace

std::shared_ptr<const Snapshot> Snapshot::build(std::vector<api::Resource> resources,
                                                const MeshConfig& mesh, core::Diagnostics& diags) {
  static std::atomic<uint64_t> next_id{1};
  std::shared_ptr<Snapshot> snap(new Snapshot());
  snap->id_ = next_id.fetch_add(1, std::memory_order_relaxed);
  snap->mesh_ = mesh;
  snap->resources_.reserve(resources.size());
  // Applying a manifest with two objects of the same kind, namespace and name leaves the later
  // one (kubectl apply updates in order): a blue-green "switch" document replaces the first.
  std::vector<bool> replaced(resources.size(), false);
  {
    std::set<std::tuple<std::string, std::string, std::string, std::string>> seen;
    for (size_t i = resources.size(); i-- > 0;) {
      const api::Resource& r = resources[i];
      if (!seen.emplace(r.group, r.kind, r.meta.namespace_, r.meta.name).second) {
        replaced[i] = true;
      }
    }
  }
  for (size_t i = 0; i < resources.size(); ++i) {
    api::Resource& r = resources[i];
    if (replaced[i]) {
      diags.add({core::Level::kInfo, r.file, r.mark, "",
                 fmt::format("{} {}/{} ({}:{}) is replaced by a later definition with the same "
                             "name, as kubectl apply would",
                             r.kind, r.meta.namespace_, r.meta.name, r.file, r.mark.line)});
      continue;
    }
    if (r.decode_diagnostics.hasErrors()) {
      diags.warning(r.file, r.mark, "",
                    fmt::format("{} {}/{} is skipped for routing: it does not decode (see "
                                "meshroute validate)",
                                r.kind, r.meta.namespace_, r.meta.name));
      continue;
    }
    snap->resources_.push_back(std::move(r));
  }
  registry::Options opts;
  opts.cluster_domain = mesh.cluster_domain;
  snap->registry_ = registry::Registry::build(snap->resources_, opts);
  snap->destinations_ = DestinationIndex::build(snap->resources_, snap->registry_, snap->mesh_);

  auto c = std::make_unique<Compiled>();
  c->resources = &snap->resources_;
  c->registry = &snap->registry_;
  c->destinations = snap->destinations_.get();
  c->mesh = &snap->mesh_;
  const std::string& domain = mesh.cluster_domain;

  std::vector<const api::Resource*> vs_resources;
  std::map<std::string, const api::Resource*> all_vs;
  for (const api::Resource& r : snap->resources_) {
    if (r.as<api::VirtualService>()) {
      vs_resources.push_back(&r);
      all_vs[r.meta.namespace_ + "/" + r.meta.name] = &r;
    } else if (r.as<api::Sidecar>()) {
      c->sidecars.push_back(&r);
    } else if (r.as<api::Gateway>()) {
      c->gateways.push_back(&r);
    }
  }
  std::stable_sort(vs_resources.begin(), vs_resources.end(), olderThan);
  std::stable_sort(c->gateways.begin(), c->gateways.end(), olderThan);
  std::stable_sort(c->sidecars.begin(), c->sidecars.end(), olderThan);
  std::stable_partition(c->sidecars.begin(), c->sidecars.end(), [](const api::Resource* r) {
    return r->as<api::Sidecar>()->workload_selector.has_value();
  });
  for (const api::Resource* r : c->sidecars) {
    if (r->meta.namespace_ == mesh.root_namespace && !r->as<api::Sidecar>()->workload_selector) {
      c->root_sidecar = r;
      break;
    }
  }

  // Delegates: VirtualServices without hosts (delegateVirtualServices).
  std::map<std::string, DelegateEntry> delegates;
  for (const api::Resource* r : vs_resources) {
    const api::VirtualService& spec = *r->as<api::VirtualService>();
    if (!spec.hosts.empty()) continue;
    DelegateEntry d;
    d.resource = r;
    d.spec = spec;
    resolveShortnames(d.spec, r->meta.namespace_, domain);
    d.export_to = hosts::resolveExportTo(spec.export_to, mesh.default_virtual_service_export_to,
                                         r->meta.namespace_);
    delegates.emplace(r->meta.namespace_ + "/" + r->meta.name, std::move(d));
    c->delegate_resources.push_back(r);
  }

  for (const api::Resource* r : vs_resources) {
    const api::VirtualService& spec = *r->as<api::VirtualService>();
    if (spec.hosts.empty()) continue;
    CompiledVirtualService vs;
    vs.resource = r;
    vs.ns = r->meta.namespace_;
    vs.name = r->meta.name;
    vs.key = vs.ns + "/" + vs.name;
    vs.created = r->meta.creation_timestamp;
    vs.spec = spec;
    resolveShortnames(vs.spec, vs.ns, domain);
    for (const std::string& h : vs.spec.hosts) vs.hosts.push_back(hosts::toLower(h));
    vs.gateways = vs.spec.gateways.empty() ? std::vector<std::string>{"mesh"} : vs.spec.gateways;
    vs.export_to =
        hosts::resolveExportTo(spec.export_to, mesh.default_virtual_service_export_to, vs.ns);
    const bool is_root =
        std::any_of(spec.http.begin(), spec.http.end(),
                    [](const api::HTTPRoute& h) { return h.delegate.has_value(); });
    if (is_root) {
      mergeDelegates(vs, delegates, all_vs);
    } else {
      for (size_t i = 0; i < vs.spec.http.size(); ++i) {
        vs.origins.push_back({static_cast<int>(i), nullptr, -1});
      }
    }
    compileRoutes(vs, mesh);
    c->virtual_services.push_back(std::move(vs));
  }

  for (size_t i = 0; i < c->virtual_services.size(); ++i) {
    const CompiledVirtualService& vs = c->virtual_services[i];
    const int idx = static_cast<int>(i);
    bool wildcard = false;
    for (const std::string& h : vs.hosts) {
      if (hosts::isWildcard(h)) {
        wildcard = true;
      } else {
        auto& list = c->vs_by_host[h];
        if (list.empty() || list.back() != idx) list.push_back(idx);
      }
    }
    if (wildcard) c->wildcard_vs.push_back(idx);
    for (const std::string& gw : vs.gateways) {
      if (vs.export_to.is_public) {
        c->public_by_gateway[gw].push_back(idx);
        continue;
      }
      for (const std::string& ns : vs.export_to.namespaces) {
        auto& index = ns == vs.ns ? c->private_by_ns_gateway : c->exported_by_ns_gateway;
        index[{ns, gw}].push_back(idx);
      }
    }
  }

  for (const registry::Service& s : snap->registry_.services()) {
    c->services.push_back(&s);
    c->service_export.emplace(
        &s, hosts::resolveExportTo(s.export_to, mesh.default_service_export_to, s.ns));
  }
  std::stable_sort(c->services.begin(), c->services.end(),
                   [](const registry::Service* a, const registry::Service* b) {
                     const std::string& ca = a->source ? a->source->meta.creation_timestamp : "";
                     const std::string& cb = b->source ? b->source->meta.creation_timestamp : "";
                     return std::tie(ca, a->hostname) < std::tie(cb, b->hostname);
                   });

  for (const CompiledVirtualService& vs : c->virtual_services) {
    for (const HttpRouteMatch& r : vs.routes) {
      for (const std::string& e : r.errors) {
        diags.warning(vs.resource->file, vs.resource->mark, "",
                      fmt::format("VirtualService {} route {}: {}", vs.key, r.name, e));
      }
    }
  }
  snap->compiled_ = std::move(c);
  return snap;
}

Snapshot::~Snapshot() = default;

}  // namespace meshroute::routing
