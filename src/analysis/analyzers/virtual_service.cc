// istioctl's virtualservice.* analyzers (pkg/config/analysis/analyzers/virtualservice): hosts
// claimed twice for the mesh, destinations and subsets that do not exist, gateways that do not
// exist or do not serve the hosts, JWT claim routes without a RequestAuthentication.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "analysis/analyzers/groups.h"
#include "analysis/analyzers/istio_util.h"
#include "routing/hosts.h"

namespace meshroute::analysis {
namespace {

using istio::FullName;

FullName fullName(const api::Resource& res) { return {res.meta.namespace_, res.meta.name}; }

bool attachedToMesh(const api::VirtualService& vs) {
  return vs.gateways.empty() ||
         std::find(vs.gateways.begin(), vs.gateways.end(), "mesh") != vs.gateways.end();
}

// IsExportToAllNamespaces.
bool exportsToAll(const std::vector<std::string>& export_to) {
  return export_to.empty() || std::find(export_to.begin(), export_to.end(), "*") != export_to.end();
}

// ---- virtualservice.ConflictingMeshGatewayHostsAnalyzer -----------------------------------

void conflictingMeshGatewayHosts(Context& ctx) {
  // "scope/fqdn" -> VirtualServices bound to the mesh gateway that define the host there.
  std::map<std::string, std::vector<const api::Resource*>> by_host;
  for (const api::Resource* res : ctx.store().all(kinds::kVirtualService)) {
    const auto* vs = res->as<api::VirtualService>();
    if (vs == nullptr || !attachedToMesh(*vs)) continue;
    std::set<std::string> scopes;
    if (exportsToAll(vs->export_to)) {
      scopes.insert("*");
    } else {
      for (const std::string& e : vs->export_to) scopes.insert(e == "." ? res->meta.namespace_ : e);
    }
    for (const std::string& scope : scopes) {
      for (const std::string& h : vs->hosts) {
        by_host[scope + "/" + istio::hostToFqdn(res->meta.namespace_, h)].push_back(res);
      }
    }
  }
  std::set<const api::Resource*> reported;
  for (const auto& [scoped, list] : by_host) {
    const size_t slash = scoped.find('/');
    const std::string scope = scoped.substr(0, slash);
    const std::string host = scoped.substr(slash + 1);
    std::vector<const api::Resource*> all = list;
    if (scope != "*") {
      // VirtualServices visible everywhere conflict with those scoped to one namespace.
      for (const auto& [other, others] : by_host) {
        const size_t s = other.find('/');
        if (other.substr(0, s) != "*" || !routing::hosts::matches(host, other.substr(s + 1))) {
          continue;
        }
        all.insert(all.end(), others.begin(), others.end());
      }
    }
    if (all.size() < 2) continue;
    std::vector<std::string> names;
    names.reserve(all.size());
    for (const api::Resource* r : all) names.push_back(fullName(*r).str());
    std::sort(names.begin(), names.end());
    std::string joined;
    for (const std::string& n : names) joined += (joined.empty() ? "" : ",") + n;
    for (const api::Resource* r : all) {
      if (!reported.insert(r).second) continue;
      ctx.report(msg::kConflictingMeshGatewayVirtualServiceHosts, *r, "metadata.name",
                 {joined, scoped});
    }
  }
}

// ---- virtualservice.DestinationHostAnalyzer -----------------------------------------------

void checkServiceEntryPorts(Context& ctx, const api::Resource& res,
                            const istio::AnnotatedDestination& d, const istio::KnownHost& known) {
  const api::Destination& dest = *d.destination;
  if (!dest.port) {
    if (known.ports.size() > 1) {
      std::vector<std::string> numbers;
      for (const istio::HostPort& p : known.ports) numbers.push_back(std::to_string(p.number));
      ctx.report(msg::kVirtualServiceDestinationPortSelectorRequired, res, d.hostPath(),
                 {dest.host, goList(numbers)});
    }
    return;
  }
  const bool found =
      std::any_of(known.ports.begin(), known.ports.end(),
                  [&](const istio::HostPort& p) { return p.number == dest.port->number; });
  if (!found) {
    ctx.report(msg::kReferencedResourceNotFound, res, d.hostPath(),
               {"host:port", fmt::format("{}:{}", dest.host, dest.port->number)});
  }
}

void destinationHosts(Context& ctx) {
  const istio::ScopedHosts known = istio::serviceEntryHostMap(ctx.store());
  const auto& all = ctx.store().all(kinds::kVirtualService);
  // Destinations with a subset whose host is one of their own VirtualService's hosts.
  std::map<std::string, std::vector<FullName>, std::less<>> subset_destinations;  // by host
  for (const api::Resource* res : all) {
    const auto* vs = res->as<api::VirtualService>();
    if (vs == nullptr) continue;
    for (const api::HTTPRoute& rule : vs->http) {
      for (const api::HTTPRouteDestination& rd : rule.route) {
        if (!rd.destination || rd.destination->subset.empty()) continue;
        for (const std::string& h : vs->hosts) {
          if (rd.destination->host == h) subset_destinations[h].push_back(fullName(*res));
        }
      }
    }
  }
  for (const api::Resource* res : all) {
    const auto* vs = res->as<api::VirtualService>();
    if (vs == nullptr) continue;
    const std::string& ns = res->meta.namespace_;
    for (const istio::AnnotatedDestination& d : istio::routeDestinations(*vs)) {
      const istio::KnownHost* host =
          istio::destinationHost(ns, vs->export_to, d.destination->host, known);
      if (host == nullptr) {
        ctx.report(msg::kReferencedResourceNotFound, *res, d.hostPath(),
                   {"host", d.destination->host});
        continue;
      }
      checkServiceEntryPorts(ctx, *res, d, *host);
    }
    for (const istio::AnnotatedDestination& d : istio::mirrorDestinations(*vs)) {
      const istio::KnownHost* host =
          istio::destinationHost(ns, vs->export_to, d.destination->host, known);
      if (host == nullptr) {
        ctx.report(msg::kReferencedResourceNotFound, *res, d.hostPath(),
                   {"mirror host", d.destination->host});
        continue;
      }
      checkServiceEntryPorts(ctx, *res, d, *host);
    }
    // A gateway route without a subset to a host that a VirtualService splits by subset: the
    // split does not apply to traffic entering through the gateway.
    if (vs->gateways.empty()) continue;
    for (size_t i = 0; i < vs->http.size(); ++i) {
      for (size_t j = 0; j < vs->http[i].route.size(); ++j) {
        const auto& dest = vs->http[i].route[j].destination;
        if (!dest || !dest->subset.empty()) continue;
        auto owners = subset_destinations.find(dest->host);
        if (owners == subset_destinations.end()) continue;
        for (const FullName& owner : owners->second) {
          ctx.report(msg::kIngressRouteRulesNotAffected, *res,
                     fmt::format("spec.http[{}].route[{}].destination.host", i, j),
                     {owner.str(), fullName(*res).str()});
        }
      }
    }
  }
}

// ---- virtualservice.DestinationRuleAnalyzer -----------------------------------------------

void destinationRules(Context& ctx) {
  std::set<std::pair<FullName, std::string>> defined;  // (host as a name, subset)
  for (const api::Resource* res : ctx.store().all(kinds::kDestinationRule)) {
    const auto* dr = res->as<api::DestinationRule>();
    if (dr == nullptr) continue;
    const FullName host = istio::resourceNameFromHost(res->meta.namespace_, dr->host);
    for (const api::Subset& s : dr->subsets) defined.emplace(host, s.name);
  }
  auto exists = [&](const std::string& ns, const api::Destination& d) {
    return d.subset.empty() ||
           defined.contains({istio::resourceNameFromHost(ns, d.host), d.subset});
  };
  for (const api::Resource* res : ctx.store().all(kinds::kVirtualService)) {
    const auto* vs = res->as<api::VirtualService>();
    if (vs == nullptr) continue;
    const std::string& ns = res->meta.namespace_;
    for (const istio::AnnotatedDestination& d : istio::routeDestinations(*vs)) {
      if (exists(ns, *d.destination)) continue;
      ctx.report(
          msg::kReferencedResourceNotFound, *res, d.hostPath(),
          {"host+subset in destinationrule", d.destination->host + "+" + d.destination->subset});
    }
    for (const istio::AnnotatedDestination& d : istio::mirrorDestinations(*vs)) {
      if (exists(ns, *d.destination)) continue;
      ctx.report(
          msg::kReferencedResourceNotFound, *res, d.hostPath(),
          {"mirror+subset in destinationrule", d.destination->host + "+" + d.destination->subset});
    }
  }
}

// ---- virtualservice.GatewayAnalyzer -------------------------------------------------------

constexpr std::string_view kInternalGatewayMarker = "~istio-autogenerated-k8s-gateway~";

bool internalGatewayReference(std::string_view name) {
  if (const size_t slash = name.find('/'); slash != std::string_view::npos) {
    name = name.substr(slash + 1);
  }
  return name.find(kInternalGatewayMarker) != std::string_view::npos;
}

// The hosts of an Istio Gateway's servers as the VirtualService's namespace sees them
// (sanitizeServerHostNamespace, then host.NamesForNamespace).
bool hostInGateway(const api::Resource& gw_res, const std::vector<std::string>& vs_hosts,
                   const std::string& vs_ns) {
  const auto* gw = gw_res.as<api::Gateway>();
  if (gw == nullptr) return false;
  std::vector<std::string> hosts;
  for (const api::Server& server : gw->servers) {
    std::vector<std::string> server_hosts = server.hosts;
    for (std::string& h : server_hosts) {
      const size_t slash = h.find('/');
      if (slash == std::string::npos) continue;
      const std::string ns = h.substr(0, slash);
      const std::string name = h.substr(slash + 1);
      if (ns == ".") {
        h = gw_res.meta.namespace_ + "/" + name;
      } else if (ns == "*") {
        if (name == "*") {
          server_hosts = {"*"};
          break;
        }
        h = name;
      }
    }
    hosts.insert(hosts.end(), server_hosts.begin(), server_hosts.end());
  }
  for (const std::string& h : hosts) {
    std::string name = h;
    if (const size_t slash = h.find('/'); slash != std::string::npos) {
      const std::string ns = h.substr(0, slash);
      if (ns != vs_ns && ns != "*") continue;
      name = h.substr(slash + 1);
    }
    for (const std::string& v : vs_hosts) {
      if (routing::hosts::matches(name, v)) return true;
    }
  }
  return false;
}

bool hostInKubernetesGateway(const api::Resource& gw_res,
                             const std::vector<std::string>& vs_hosts) {
  const api::Node* listeners = nodeAt(gw_res, "spec.listeners");
  std::vector<std::string> hosts;
  if (listeners != nullptr) {
    for (const api::Node& l : listeners->items) {
      const api::Node* hostname = l.find("hostname");
      if (hostname == nullptr || hostname->text().empty()) return true;  // every host
      hosts.emplace_back(hostname->text());
    }
  }
  for (const std::string& h : hosts) {
    for (const std::string& v : vs_hosts) {
      if (routing::hosts::matches(h, v)) return true;
    }
  }
  return false;
}

void gateways(Context& ctx) {
  for (const api::Resource* res : ctx.store().all(kinds::kVirtualService)) {
    const auto* vs = res->as<api::VirtualService>();
    if (vs == nullptr) continue;
    const std::string& ns = res->meta.namespace_;
    for (size_t i = 0; i < vs->gateways.size(); ++i) {
      const std::string& gw = vs->gateways[i];
      if (gw == "mesh") continue;
      const std::string field = fmt::format("spec.gateways[{}]", i);
      if (internalGatewayReference(gw)) {
        ctx.report(msg::kReferencedInternalGateway, *res, field, {fullName(*res).str(), gw});
        continue;
      }
      const FullName name = istio::shortOrFullName(ns, gw);
      const api::Resource* istio_gw = ctx.store().find(kinds::kGateway, name.ns, name.name);
      const api::Resource* kube_gw =
          istio_gw != nullptr ? nullptr : ctx.store().find(kinds::kKubeGateway, name.ns, name.name);
      if (istio_gw == nullptr && kube_gw == nullptr) {
        ctx.report(msg::kReferencedResourceNotFound, *res, field, {"gateway", gw});
      }
      const bool matched = kube_gw != nullptr    ? hostInKubernetesGateway(*kube_gw, vs->hosts)
                           : istio_gw != nullptr ? hostInGateway(*istio_gw, vs->hosts, ns)
                                                 : false;
      if (!matched) {
        ctx.report(msg::kVirtualServiceHostNotFoundInGateway, *res, field,
                   {goList(vs->hosts), fullName(*res).str(), name.str()});
      }
    }
  }
}

// ---- virtualservice.JWTClaimRouteAnalyzer -------------------------------------------------

// jwt.ToRoutingClaim(name).Match: "@request.auth.claims.<claim>" or "@request.auth.claims[<c>]".
bool isJwtClaimKey(std::string_view key) {
  constexpr std::string_view kPrefix = "@request.auth.claims";
  if (key.size() < kPrefix.size() ||
      routing::hosts::toLower(key.substr(0, kPrefix.size())) != kPrefix) {
    return false;
  }
  const std::string_view rest = key.substr(kPrefix.size());
  return (rest.starts_with('.') && rest.size() > 1) ||
         (rest.starts_with('[') && rest.ends_with(']') && rest.size() > 2);
}

std::string jwtClaimRouteKey(const api::VirtualService& vs) {
  for (const api::HTTPRoute& rule : vs.http) {
    for (const api::HTTPMatchRequest& m : rule.match) {
      for (const auto& [key, _] : m.headers) {
        if (isJwtClaimKey(key)) return key;
      }
      for (const auto& [key, _] : m.without_headers) {
        if (isJwtClaimKey(key)) return key;
      }
    }
  }
  return "";
}

void jwtClaimRoutes(Context& ctx) {
  std::map<std::string, std::vector<api::StringMap>> authn_selectors;  // namespace -> selectors
  for (const api::Resource* ra : ctx.store().all(kinds::kRequestAuthentication)) {
    authn_selectors[ra->meta.namespace_].push_back(
        istio::rawStringMap(*ra, "spec.selector.matchLabels"));
  }
  for (const api::Resource* res : ctx.store().all(kinds::kVirtualService)) {
    const auto* vs = res->as<api::VirtualService>();
    if (vs == nullptr) continue;
    const std::string key = jwtClaimRouteKey(*vs);
    if (key.empty()) continue;
    for (const std::string& gw_name : vs->gateways) {
      if (gw_name == "mesh") continue;
      const FullName name = istio::shortOrFullName(res->meta.namespace_, gw_name);
      const api::Resource* gw_res = ctx.store().find(kinds::kGateway, name.ns, name.name);
      if (gw_res == nullptr || gw_res->as<api::Gateway>() == nullptr) continue;
      const api::StringMap& selector = gw_res->as<api::Gateway>()->selector;
      for (const api::Resource* pod : ctx.store().all(kinds::kPod)) {
        if (!istio::selectorMatches(selector, pod->meta.labels)) continue;
        std::vector<api::StringMap> selectors = authn_selectors["istio-system"];
        const auto& local = authn_selectors[pod->meta.namespace_];
        selectors.insert(selectors.end(), local.begin(), local.end());
        const bool covered = std::any_of(selectors.begin(), selectors.end(), [&](auto& s) {
          return istio::selectorMatches(s, pod->meta.labels);
        });
        if (!covered) {
          ctx.report(msg::kJwtClaimBasedRoutingWithoutRequestAuthN, *res, "",
                     {key, name.str(), pod->meta.name});
        }
      }
    }
  }
}

}  // namespace

void addVirtualServiceAnalyzers(std::vector<Analyzer>& out) {
  out.push_back({"virtualservice.ConflictingMeshGatewayHostsAnalyzer",
                 "Checks if multiple virtual services associated with the mesh gateway have "
                 "conflicting hosts",
                 conflictingMeshGatewayHosts});
  out.push_back({"virtualservice.DestinationHostAnalyzer",
                 "Checks the destination hosts associated with each virtual service",
                 destinationHosts});
  out.push_back({"virtualservice.DestinationRuleAnalyzer",
                 "Checks the destination rules associated with each virtual service",
                 destinationRules});
  out.push_back({"virtualservice.GatewayAnalyzer",
                 "Checks the gateways associated with each virtual service", gateways});
  out.push_back({"virtualservice.JWTClaimRouteAnalyzer",
                 "Checks the VirtualService using JWT claim based routing has corresponding "
                 "RequestAuthentication",
                 jwtClaimRoutes});
}

}  // namespace meshroute::analysis
