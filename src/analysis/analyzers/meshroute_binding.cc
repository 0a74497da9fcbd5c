// meshroute's binding checks: whether the resources a route depends on reach the proxies that
// run it. Subsets resolved through Istio's DestinationRule lookup order, subsets that select no
// workload, VirtualServices that sidecars never see (gateway-only, dropped by precedence,
// hidden by a Sidecar), and ServiceEntries with nothing to send requests to.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "analysis/analyzers/groups.h"
#include "analysis/analyzers/meshroute_common.h"
#include "routing/http_match.h"

namespace meshroute::analysis {
namespace {

namespace hosts = routing::hosts;

std::string nsName(const api::Resource& res) { return res.meta.namespace_ + "/" + res.meta.name; }

// ---- what the store says a host is ----------------------------------------------------------

// The lookups these checks make per destination, indexed once per run so that a mesh of
// thousands of services is analyzed in linear time.
struct Index {
  struct Rule {
    std::string host;  // the DestinationRule's host, resolved
    const api::Resource* res;
  };
  const Store& store;
  const MeshSettings& mesh;
  std::map<std::string, std::vector<const api::Resource*>, std::less<>> entries_by_host;
  std::map<std::string, std::vector<const api::Resource*>, std::less<>> pods_by_ns;
  std::map<std::string, std::vector<const api::Resource*>, std::less<>> workload_entries_by_ns;
  // DestinationRules without a workloadSelector (those apply to chosen workloads only).
  std::map<std::string, std::vector<Rule>, std::less<>> rules_by_ns;
  std::map<std::string, std::vector<const api::Resource*>, std::less<>> rules_by_host;

  Index(const Store& s, const MeshSettings& m) : store(s), mesh(m) {
    for (const api::Resource* res : store.all(kinds::kServiceEntry)) {
      const auto* se = res->as<api::ServiceEntry>();
      if (se == nullptr) continue;
      std::set<std::string> seen;
      for (const std::string& h : se->hosts) {
        if (seen.insert(hosts::toLower(h)).second)
          entries_by_host[hosts::toLower(h)].push_back(res);
      }
    }
    for (const api::Resource* pod : store.all(kinds::kPod)) {
      pods_by_ns[pod->meta.namespace_].push_back(pod);
    }
    for (const api::Resource* we : store.all(kinds::kWorkloadEntry)) {
      if (we->as<api::WorkloadEntry>() != nullptr) {
        workload_entries_by_ns[we->meta.namespace_].push_back(we);
      }
    }
    for (const api::Resource* dr : store.all(kinds::kDestinationRule)) {
      const auto* spec = dr->as<api::DestinationRule>();
      if (spec == nullptr || spec->workload_selector) continue;
      std::string host = mr::fqdn(spec->host, *dr, mesh);
      rules_by_host[host].push_back(dr);
      rules_by_ns[dr->meta.namespace_].push_back({std::move(host), dr});
    }
  }

  template <class Map>
  static const typename Map::mapped_type& at(const Map& map, std::string_view key) {
    static const typename Map::mapped_type kNone;
    auto it = map.find(key);
    return it == map.end() ? kNone : it->second;
  }
};

// The Kubernetes Service behind "name.ns.svc.<domain>", or nullptr.
const api::Resource* kubeService(const Index& ix, std::string_view host) {
  const std::string suffix = ".svc." + ix.mesh.cluster_domain;
  if (!host.ends_with(suffix)) return nullptr;
  std::string_view head = host.substr(0, host.size() - suffix.size());
  const size_t dot = head.find('.');
  if (dot == std::string_view::npos || head.find('.', dot + 1) != std::string_view::npos) {
    return nullptr;
  }
  return ix.store.find(kinds::kService, head.substr(dot + 1), head.substr(0, dot));
}

// ServiceEntries that declare `host` exactly.
const std::vector<const api::Resource*>& serviceEntries(const Index& ix, std::string_view host) {
  return Index::at(ix.entries_by_host, host);
}

// The namespace that owns `host`: its Service's or ServiceEntry's, else "".
std::string hostNamespace(const Index& ix, std::string_view host) {
  if (const api::Resource* svc = kubeService(ix, host)) return svc->meta.namespace_;
  if (const auto& ses = serviceEntries(ix, host); !ses.empty()) {
    return ses.front()->meta.namespace_;
  }
  return "";
}

bool isMeshService(const Index& ix, std::string_view host) {
  return kubeService(ix, host) != nullptr || !serviceEntries(ix, host).empty();
}

// ---- workloads ------------------------------------------------------------------------------

struct Workload {
  std::string kind;  // "Pod", "WorkloadEntry", "ServiceEntry endpoint"
  std::string name;  // "ns/name", or the endpoint address
  const api::StringMap* labels;
};

void addSelected(const Index& ix, std::string_view ns, const api::StringMap& selector,
                 std::vector<Workload>& out) {
  for (const api::Resource* pod : Index::at(ix.pods_by_ns, ns)) {
    if (mr::selects(selector, pod->meta.labels)) {
      out.push_back({"Pod", nsName(*pod), &pod->meta.labels});
    }
  }
  for (const api::Resource* we : Index::at(ix.workload_entries_by_ns, ns)) {
    const auto* spec = we->as<api::WorkloadEntry>();
    if (mr::selects(selector, spec->labels)) {
      out.push_back({"WorkloadEntry", nsName(*we), &spec->labels});
    }
  }
}

// The workloads a host's endpoints come from, as far as the input shows them.
std::vector<Workload> workloadsOf(const Index& ix, std::string_view host) {
  std::vector<Workload> out;
  if (const api::Resource* svc = kubeService(ix, host)) {
    const auto* spec = svc->as<api::K8sService>();
    if (spec != nullptr && !spec->spec.selector.empty()) {
      addSelected(ix, svc->meta.namespace_, spec->spec.selector, out);
    }
    return out;
  }
  for (const api::Resource* res : serviceEntries(ix, host)) {
    const auto* se = res->as<api::ServiceEntry>();
    for (const api::WorkloadEntry& ep : se->endpoints) {
      out.push_back({"ServiceEntry endpoint", ep.address, &ep.labels});
    }
    if (se->workload_selector) {
      addSelected(ix, res->meta.namespace_, se->workload_selector->labels, out);
    }
  }
  return out;
}

// "pods have version=2.0": which subset labels no workload carries and what the workloads carry
// instead; with several labels, also the workload that has most of them.
std::string explainNoMatch(const api::StringMap& subset, const std::vector<Workload>& workloads) {
  const bool all_pods = std::all_of(workloads.begin(), workloads.end(),
                                    [](const Workload& w) { return w.kind == "Pod"; });
  const std::string noun = all_pods ? "pods" : "workloads";
  std::vector<std::string> parts;
  for (const auto& [key, want] : subset) {
    std::set<std::string> seen;
    bool matched = false;
    for (const Workload& w : workloads) {
      auto it = w.labels->find(key);
      if (it == w.labels->end()) continue;
      if (it->second == want) matched = true;
      seen.insert(key + "=" + it->second);
    }
    if (matched) continue;
    if (seen.empty()) {
      parts.push_back(fmt::format("no {} has label {} (subset wants {}={})",
                                  all_pods ? "pod" : "workload", key, key, want));
    } else {
      std::string have;
      for (const std::string& s : seen) have += (have.empty() ? "" : ", ") + s;
      parts.push_back(fmt::format("{} have {}", noun, have));
    }
  }
  if (parts.empty()) {
    parts.push_back(fmt::format("no single one of the {} {} has all of the subset's labels",
                                workloads.size(), noun));
  }
  const Workload* nearest = nullptr;
  size_t best = 0;
  for (const Workload& w : workloads) {
    size_t n = 0;
    for (const auto& [k, v] : subset) {
      auto it = w.labels->find(k);
      n += it != w.labels->end() && it->second == v ? 1 : 0;
    }
    if (nearest == nullptr || n > best) {
      nearest = &w;
      best = n;
    }
  }
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : "; ") + p;
  if (nearest != nullptr && best > 0)
    out += fmt::format(" (nearest: {} {})", nearest->kind, nearest->name);
  return out;
}

// ---- DestinationRule lookup -----------------------------------------------------------------

// The DestinationRules a proxy in `proxy_ns` applies to `host`, as Istio picks them: those in
// the proxy's namespace, else those exported from the host's namespace, else from the root
// namespace; within a namespace the most specific host wins and rules for it are merged.
struct DrChoice {
  std::vector<const api::Resource*> rules;
  std::string why;  // "in the calling namespace", ...
};

bool exportedTo(const api::Resource& dr, std::string_view ns) {
  const auto* spec = dr.as<api::DestinationRule>();
  return hosts::resolveExportTo(spec->export_to, {}, dr.meta.namespace_).visibleTo(ns);
}

std::vector<const api::Resource*> mostSpecific(const std::vector<Index::Rule>& candidates,
                                               std::string_view host) {
  const std::string* best = nullptr;
  for (const Index::Rule& r : candidates) {
    if (!hosts::matches(host, r.host) || !hosts::subsetOf(host, r.host)) continue;
    if (best == nullptr || hosts::moreSpecific(r.host, *best)) best = &r.host;
  }
  std::vector<const api::Resource*> out;
  if (best == nullptr) return out;
  for (const Index::Rule& r : candidates) {
    if (r.host == *best) out.push_back(r.res);
  }
  return out;
}

DrChoice chooseDestinationRules(const Index& ix, std::string_view proxy_ns, std::string_view host) {
  auto in = [&](std::string_view ns, bool need_export) {
    std::vector<Index::Rule> visible;
    for (const Index::Rule& r : Index::at(ix.rules_by_ns, ns)) {
      if (!need_export || exportedTo(*r.res, proxy_ns)) visible.push_back(r);
    }
    return mostSpecific(visible, host);
  };
  const MeshSettings& mesh = ix.mesh;
  if (proxy_ns != mesh.root_namespace) {
    if (auto local = in(proxy_ns, false); !local.empty()) {
      return {local, fmt::format("in the calling namespace {}", goQuote(proxy_ns))};
    }
  }
  const std::string svc_ns = hostNamespace(ix, host);
  if (!svc_ns.empty()) {
    if (auto svc = in(svc_ns, true); !svc.empty()) {
      return {svc, fmt::format("in the service's namespace {}", goQuote(svc_ns))};
    }
  }
  if (auto root = in(mesh.root_namespace, true); !root.empty()) {
    return {root, fmt::format("in the root namespace {}", goQuote(mesh.root_namespace))};
  }
  return {};
}

const api::Subset* findSubset(const std::vector<const api::Resource*>& rules,
                              std::string_view name) {
  for (const api::Resource* dr : rules) {
    for (const api::Subset& s : dr->as<api::DestinationRule>()->subsets) {
      if (s.name == name) return &s;
    }
  }
  return nullptr;
}

std::string names(const std::vector<const api::Resource*>& rules) {
  std::string out;
  for (const api::Resource* r : rules) out += (out.empty() ? "" : ", ") + nsName(*r);
  return out;
}

// ---- MR0010 / MR0011 ------------------------------------------------------------------------

// Every destination of a VirtualService with its field path.
template <class F>
void forEachDestination(const api::VirtualService& vs, F&& f) {
  for (size_t i = 0; i < vs.http.size(); ++i) {
    for (size_t j = 0; j < vs.http[i].route.size(); ++j) {
      const auto& d = vs.http[i].route[j];
      if (d.destination) {
        f(*d.destination, fmt::format("spec.http[{}].route[{}].destination", i, j),
          d.weight != 0 || vs.http[i].route.size() == 1);
      }
    }
  }
  for (size_t i = 0; i < vs.tcp.size(); ++i) {
    for (size_t j = 0; j < vs.tcp[i].route.size(); ++j) {
      const auto& d = vs.tcp[i].route[j];
      if (d.destination) {
        f(*d.destination, fmt::format("spec.tcp[{}].route[{}].destination", i, j),
          d.weight != 0 || vs.tcp[i].route.size() == 1);
      }
    }
  }
  for (size_t i = 0; i < vs.tls.size(); ++i) {
    for (size_t j = 0; j < vs.tls[i].route.size(); ++j) {
      const auto& d = vs.tls[i].route[j];
      if (d.destination) {
        f(*d.destination, fmt::format("spec.tls[{}].route[{}].destination", i, j),
          d.weight != 0 || vs.tls[i].route.size() == 1);
      }
    }
  }
}

void subsetResolution(Context& ctx) {
  const Store& store = ctx.store();
  const Index ix(store, ctx.mesh());
  for (const api::Resource* res : store.all(kinds::kVirtualService)) {
    const auto* vs = res->as<api::VirtualService>();
    if (vs == nullptr) continue;
    const std::string& ns = res->meta.namespace_;
    forEachDestination(*vs, [&](const api::Destination& d, const std::string& field,
                                bool takes_traffic) {
      if (d.subset.empty()) return;
      const std::string host = mr::fqdn(d.host, *res, ctx.mesh());
      const DrChoice chosen = chooseDestinationRules(ix, ns, host);
      const api::Subset* subset = findSubset(chosen.rules, d.subset);
      if (subset == nullptr) {
        // Only when some DestinationRule does define it: with none at all, Istio's own
        // virtualservice.DestinationRuleAnalyzer reports IST0101.
        std::vector<const api::Resource*> defining;
        for (const api::Resource* dr : Index::at(ix.rules_by_host, host)) {
          if (findSubset({dr}, d.subset) != nullptr) defining.push_back(dr);
        }
        if (defining.empty()) return;
        std::string detail;
        if (!chosen.rules.empty()) {
          detail = fmt::format(": Istio applies {} ({}), which has no such subset, and ignores {}",
                               names(chosen.rules), chosen.why, names(defining));
        } else {
          detail = fmt::format(": {} defines it but is not exported to {}", names(defining),
                               goQuote(ns));
        }
        ctx.report(own::kSubsetWithoutDestinationRule, *res, field + ".subset",
                   {d.subset, host, ns, detail});
        return;
      }
      if (!takes_traffic) return;
      const std::vector<Workload> workloads = workloadsOf(ix, host);
      if (workloads.empty()) return;  // the input has no workloads to judge by
      for (const Workload& w : workloads) {
        if (mr::selects(subset->labels, *w.labels)) return;
      }
      ctx.report(own::kSubsetSelectsNoWorkloads, *res, field + ".subset",
                 {d.subset, host, explainNoMatch(subset->labels, workloads)});
    });
  }
}

// ---- MR0030 / MR0031: which VirtualServices proxies see ---------------------------------------

bool bindsMesh(const api::VirtualService& vs) {
  if (vs.gateways.empty()) return true;
  if (std::find(vs.gateways.begin(), vs.gateways.end(), "mesh") != vs.gateways.end()) return true;
  for (const api::HTTPRoute& r : vs.http) {
    for (const api::HTTPMatchRequest& m : r.match) {
      if (std::find(m.gateways.begin(), m.gateways.end(), "mesh") != m.gateways.end()) {
        return true;
      }
    }
  }
  return false;
}

void gatewayOnly(Context& ctx) {
  const Store& store = ctx.store();
  const Index ix(store, ctx.mesh());
  const auto& all = store.all(kinds::kVirtualService);
  for (const api::Resource* res : all) {
    const auto* vs = res->as<api::VirtualService>();
    if (vs == nullptr || bindsMesh(*vs) || vs->http.empty()) continue;
    for (size_t h = 0; h < vs->hosts.size(); ++h) {
      const std::string host = mr::fqdn(vs->hosts[h], *res, ctx.mesh());
      if (hosts::isWildcard(host) || !isMeshService(ix, host)) continue;
      const bool covered = std::any_of(all.begin(), all.end(), [&](const api::Resource* other) {
        const auto* o = other->as<api::VirtualService>();
        if (o == nullptr || other == res || !bindsMesh(*o)) return false;
        return std::any_of(o->hosts.begin(), o->hosts.end(), [&](const std::string& oh) {
          return hosts::subsetOf(host, mr::fqdn(oh, *other, ctx.mesh()));
        });
      });
      if (covered) continue;
      std::string what;
      if (const api::Resource* svc = kubeService(ix, host)) {
        what = fmt::format(" (Service {})", nsName(*svc));
      } else {
        what = fmt::format(" (ServiceEntry {})", nsName(*serviceEntries(ix, host).front()));
      }
      what += ", and no other VirtualService routes it inside the mesh";
      ctx.report(own::kGatewayOnlyVirtualService, *res, fmt::format("spec.hosts[{}]", h),
                 {goList(vs->gateways), host, what});
    }
  }
}

bool exportsOverlap(const api::Resource& a, const api::Resource& b) {
  const auto ea =
      hosts::resolveExportTo(a.as<api::VirtualService>()->export_to, {}, a.meta.namespace_);
  const auto eb =
      hosts::resolveExportTo(b.as<api::VirtualService>()->export_to, {}, b.meta.namespace_);
  if (ea.none || eb.none) return false;
  if (ea.is_public || eb.is_public) return true;
  return std::any_of(ea.namespaces.begin(), ea.namespaces.end(),
                     [&](const std::string& n) { return eb.namespaces.contains(n); });
}

// Istio's order for VirtualServices sharing a host: oldest first, then by name, then namespace.
bool olderFirst(const api::Resource* a, const api::Resource* b) {
  return std::tie(a->meta.creation_timestamp, a->meta.name, a->meta.namespace_) <
         std::tie(b->meta.creation_timestamp, b->meta.name, b->meta.namespace_);
}

// The first HTTP rule of `vs` that every request reaches on `gateway`, or -1.
int catchAllRule(const api::VirtualService& vs) {
  for (size_t i = 0; i < vs.http.size(); ++i) {
    const api::HTTPRoute& rule = vs.http[i];
    if (rule.match.empty()) return static_cast<int>(i);
    for (size_t m = 0; m < rule.match.size(); ++m) {
      if (routing::compileRouteMatch(rule, static_cast<int>(i), static_cast<int>(m)).catch_all &&
          rule.match[m].gateways.empty() && rule.match[m].port == 0 &&
          rule.match[m].source_labels.empty() && rule.match[m].source_namespace.empty()) {
        return static_cast<int>(i);
      }
    }
  }
  return -1;
}

void rulesDropped(Context& ctx) {
  // (binding, host) -> VirtualServices; the binding is "mesh" or a resolved gateway name.
  std::map<std::pair<std::string, std::string>, std::vector<const api::Resource*>> groups;
  for (const api::Resource* res : ctx.store().all(kinds::kVirtualService)) {
    const auto* vs = res->as<api::VirtualService>();
    if (vs == nullptr || vs->http.empty()) continue;
    std::set<std::string> bindings;
    if (bindsMesh(*vs)) bindings.insert("mesh");
    for (const std::string& g : vs->gateways) {
      if (g != "mesh") bindings.insert(hosts::resolveGatewayName(g, res->meta.namespace_));
    }
    for (const std::string& h : vs->hosts) {
      for (const std::string& b : bindings) {
        auto& list = groups[{b, mr::fqdn(h, *res, ctx.mesh())}];
        if (std::find(list.begin(), list.end(), res) == list.end()) list.push_back(res);
      }
    }
  }
  for (auto& [key, list] : groups) {
    if (list.size() < 2) continue;
    const auto& [binding, host] = key;
    std::sort(list.begin(), list.end(), olderFirst);
    std::vector<std::string> order;
    for (const api::Resource* r : list) order.push_back(nsName(*r));
    for (size_t i = 1; i < list.size(); ++i) {
      const api::Resource& later = *list[i];
      std::string detail;
      if (binding == "mesh") {
        const api::Resource* first = nullptr;
        for (size_t j = 0; j < i && first == nullptr; ++j) {
          if (exportsOverlap(*list[j], later)) first = list[j];
        }
        if (first == nullptr) continue;
        detail = fmt::format(
            "sidecars use only {} (the oldest, then first by name) and ignore {}'s {} HTTP rules "
            "for this host",
            nsName(*first), nsName(later), later.as<api::VirtualService>()->http.size());
      } else {
        const api::Resource* first = nullptr;
        int rule = -1;
        for (size_t j = 0; j < i && first == nullptr; ++j) {
          rule = catchAllRule(*list[j]->as<api::VirtualService>());
          if (rule >= 0) first = list[j];
        }
        if (first == nullptr) continue;
        const auto& shadow = first->as<api::VirtualService>()->http[static_cast<size_t>(rule)];
        detail = fmt::format(
            "the gateway merges their rules in that order and rule {} of {} matches every request, "
            "so {}'s rules for this host are never reached",
            mr::ruleLabel("http", shadow.name, static_cast<size_t>(rule)), nsName(*first),
            nsName(later));
      }
      const auto* vs = later.as<api::VirtualService>();
      size_t idx = 0;
      for (size_t h = 0; h < vs->hosts.size(); ++h) {
        if (mr::fqdn(vs->hosts[h], later, ctx.mesh()) == host) idx = h;
      }
      const std::string where = binding == "mesh" ? "sidecars (mesh)" : "gateway " + binding;
      ctx.report(own::kVirtualServiceRulesDropped, later, fmt::format("spec.hosts[{}]", idx),
                 {goList(order), host, where, detail});
    }
  }
}

// ---- MR0032: Sidecar egress imports -----------------------------------------------------------

struct Import {
  std::string ns;  // "*" any, "~" none, else a namespace ("." already resolved)
  std::string host;
};

bool imports(const std::vector<Import>& list, std::string_view ns, std::string_view host) {
  return std::any_of(list.begin(), list.end(), [&](const Import& i) {
    if (i.ns == "~") return false;
    if (i.ns != "*" && i.ns != ns) return false;
    return i.host == "*" || hosts::matches(host, i.host);
  });
}

void sidecarHides(Context& ctx) {
  const Store& store = ctx.store();
  const Index ix(store, ctx.mesh());
  for (const api::Resource* sc : store.all(kinds::kSidecar)) {
    const auto* spec = sc->as<api::Sidecar>();
    if (spec == nullptr || spec->egress.empty()) continue;
    const std::string& ns = sc->meta.namespace_;
    std::vector<Import> list;
    std::vector<std::string> written;
    for (const api::IstioEgressListener& l : spec->egress) {
      for (const std::string& h : l.hosts) {
        written.push_back(h);
        const size_t slash = h.find('/');
        if (slash == std::string::npos) continue;
        std::string ins = h.substr(0, slash);
        if (ins == ".") ins = ns;
        list.push_back({ins, hosts::toLower(h.substr(slash + 1))});
      }
    }
    const std::string field = "spec.egress[0].hosts";
    const std::string label = nsName(*sc);
    std::set<std::string> reported;
    for (const api::Resource* res : store.all(kinds::kVirtualService)) {
      const auto* vs = res->as<api::VirtualService>();
      if (vs == nullptr || !bindsMesh(*vs)) continue;
      if (!hosts::resolveExportTo(vs->export_to, {}, res->meta.namespace_).visibleTo(ns)) continue;
      std::vector<std::string> vs_hosts;
      for (const std::string& h : vs->hosts) vs_hosts.push_back(mr::fqdn(h, *res, ctx.mesh()));
      const bool vs_imported = std::any_of(vs_hosts.begin(), vs_hosts.end(), [&](auto& h) {
        return imports(list, res->meta.namespace_, h);
      });
      if (!vs_imported) {
        // The workloads can still call a host the VirtualService routes: then they do so
        // without its rules.
        for (const std::string& h : vs_hosts) {
          if (hosts::isWildcard(h) || !isMeshService(ix, h)) continue;
          if (!imports(list, hostNamespace(ix, h), h)) continue;
          if (!reported.insert("vs:" + nsName(*res)).second) break;
          ctx.report(own::kSidecarHidesHost, *sc, field,
                     {label, "VirtualService " + nsName(*res), goList(written),
                      fmt::format("its workloads reach {} without that VirtualService's rules "
                                  "(the import needs \"{}/{}\")",
                                  h, res->meta.namespace_, h)});
          break;
        }
        continue;
      }
      // The VirtualService applies: each destination it routes to must be imported too, or the
      // proxy has no cluster for it and answers 503.
      forEachDestination(*vs, [&](const api::Destination& d, const std::string&, bool traffic) {
        const std::string host = mr::fqdn(d.host, *res, ctx.mesh());
        if (!traffic || !isMeshService(ix, host)) return;
        const std::string host_ns = hostNamespace(ix, host);
        if (imports(list, host_ns, host) || !reported.insert("host:" + host).second) return;
        ctx.report(own::kSidecarHidesHost, *sc, field,
                   {label, "host " + host, goList(written),
                    fmt::format("requests that VirtualService {} routes there fail with 503 (no "
                                "cluster; the import needs \"{}/{}\")",
                                nsName(*res), host_ns, host)});
      });
    }
  }
}

// ---- MR0033: ServiceEntries with nothing to connect to ---------------------------------------

void serviceEntryUnreachable(Context& ctx) {
  for (const api::Resource* res : ctx.store().all(kinds::kServiceEntry)) {
    const auto* se = res->as<api::ServiceEntry>();
    if (se == nullptr || se->hosts.empty()) continue;
    const bool static_like = se->resolution == "STATIC";
    if (!static_like || !se->endpoints.empty() || se->workload_selector) continue;
    std::string hosts_text;
    for (const std::string& h : se->hosts) hosts_text += (hosts_text.empty() ? "" : ", ") + h;
    const bool written = nodeAt(*res, "spec.resolution") != nullptr;
    ctx.report(own::kServiceEntryUnreachable, *res, written ? "spec.resolution" : "spec.hosts[0]",
               {hosts_text, se->resolution, "but no endpoints and no workloadSelector"});
  }
}

}  // namespace

void addMeshrouteBindingAnalyzers(std::vector<Analyzer>& out) {
  out.push_back({"meshroute.SubsetResolutionAnalyzer",
                 "Checks that each routed subset resolves through the DestinationRule Istio "
                 "applies and selects a workload",
                 subsetResolution});
  out.push_back({"meshroute.GatewayOnlyAnalyzer",
                 "Checks for gateway-only VirtualServices whose hosts are mesh services no "
                 "sidecar route covers",
                 gatewayOnly});
  out.push_back({"meshroute.RulesDroppedAnalyzer",
                 "Checks for VirtualServices sharing a host where Istio's precedence or merge "
                 "drops rules",
                 rulesDropped});
  out.push_back({"meshroute.SidecarImportAnalyzer",
                 "Checks that Sidecar egress imports cover the VirtualServices and destinations "
                 "their workloads use",
                 sidecarHides});
  out.push_back({"meshroute.ServiceEntryEndpointsAnalyzer",
                 "Checks for STATIC ServiceEntries with no endpoints to send requests to",
                 serviceEntryUnreachable});
}

}  // namespace meshroute::analysis
