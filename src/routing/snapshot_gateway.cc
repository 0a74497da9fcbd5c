// A router (gateway) proxy's view: the Gateways that select it (pilot/pkg/model/push_context.go
// mergeGateways, with PILOT_SCOPE_GATEWAY_TO_NAMESPACE off: Gateways of every namespace select
// by labels) and the HTTP route configuration of one port (pilot/pkg/networking/core/gateway.go
// buildGatewayHTTPRouteConfig).
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "routing/snapshot_internal.h"

namespace meshroute::routing {

std::vector<GatewayServer> Snapshot::Compiled::gatewayServers(const Proxy& proxy) const {
  std::vector<GatewayServer> out;
  for (const api::Resource* r : gateways) {
    const api::Gateway& gw = *r->as<api::Gateway>();
    // A Gateway without selector applies to every gateway workload.
    if (!gw.selector.empty() && !registry::labelsMatch(gw.selector, proxy.labels)) continue;
    for (const api::Server& s : gw.servers) {
      if (!s.port) continue;
      GatewayServer g;
      g.gateway = r;
      g.gateway_name = r->meta.namespace_ + "/" + r->meta.name;
      g.server = &s;
      g.protocol = hosts::toLower(s.port->protocol);
      // sanitizeServerHostNamespace: "./h" -> "<ns>/h", "*/h" -> "h", "*/*" -> "*".
      for (const std::string& h : s.hosts) {
        const size_t slash = h.find('/');
        if (slash == std::string::npos) {
          g.hosts.push_back(h);
        } else if (h.substr(0, slash) == ".") {
          g.hosts.push_back(r->meta.namespace_ + h.substr(slash));
        } else if (h.substr(0, slash) == "*") {
          g.hosts.push_back(h.substr(slash + 1));
        } else {
          g.hosts.push_back(h);
        }
      }
      out.push_back(std::move(g));
    }
  }
  return out;
}

namespace {

// host.NamesForNamespace: hosts of a server usable by a VirtualService in `ns`.
std::vector<std::string> hostsForNamespace(const std::vector<std::string>& hosts,
                                           std::string_view ns) {
  std::vector<std::string> out;
  for (const std::string& h : hosts) {
    const size_t slash = h.find('/');
    if (slash == std::string::npos) {
      out.push_back(h);
    } else if (h.substr(0, slash) == ns || h.substr(0, slash) == "*") {
      out.push_back(h.substr(slash + 1));
    }
  }
  return out;
}

// host.Names.Intersection: for each pair, the more specific of the two when one covers the other.
std::vector<std::string> intersect(const std::vector<std::string>& server_hosts,
                                   const std::vector<std::string>& vs_hosts) {
  std::vector<std::string> out;
  auto add = [&](const std::string& h) {
    if (std::find(out.begin(), out.end(), h) == out.end()) out.push_back(h);
  };
  for (const std::string& a : server_hosts) {
    for (const std::string& b : vs_hosts) {
      if (hosts::subsetOf(a, b)) {
        add(a);
      } else if (hosts::subsetOf(b, a)) {
        add(b);
      }
    }
  }
  return out;
}

}  // namespace

std::shared_ptr<const RouteConfig> buildGatewayRouteConfig(
    const Snapshot::Compiled& c, const Proxy& proxy,
    const std::vector<const GatewayServer*>& servers, const std::string& route_name,
    const StaticContext& ctx) {
  auto rc = std::make_shared<RouteConfig>();
  rc->name = route_name;
  rc->listener = fmt::format("0.0.0.0_{}", ctx.port);
  rc->is_gateway = true;

  std::map<std::string, VirtualHostEntry> by_host;  // sorted like the final SortVirtualHosts
  for (const GatewayServer* gs : servers) {
    StaticContext sctx = ctx;
    sctx.gateway = gs->gateway_name;
    const bool https_redirect = gs->server->tls && gs->server->tls->https_redirect;
    for (const CompiledVirtualService* vs : c.virtualServicesFor(proxy.ns, gs->gateway_name)) {
      const std::vector<std::string> hs =
          intersect(hostsForNamespace(gs->hosts, vs->ns), vs->hosts);
      if (hs.empty()) continue;
      RouteSegment seg = buildSegment(*vs, sctx);
      if (!seg.any_active) continue;
      for (const std::string& raw : hs) {
        const std::string h = hosts::toLower(raw);
        auto [it, inserted] = by_host.try_emplace(h);
        VirtualHostEntry& v = it->second;
        if (inserted) {
          v.name = fmt::format("{}:{}", h, ctx.port);
          v.domains = {h};
          v.reorder_catch_all = true;
        }
        // The same VirtualService reached through a second server of the same gateway adds
        // identical routes Envoy never reaches; keep one copy.
        const bool dup = std::any_of(v.segments.begin(), v.segments.end(), [&](const auto& s) {
          return s.vs == vs && s.gateway == seg.gateway;
        });
        if (!dup) v.segments.push_back(seg);
        if (https_redirect) v.require_tls = true;
      }
    }
    if (https_redirect) {
      for (const std::string& raw : gs->hosts) {
        const std::string h = hosts::toLower(raw);
        auto [it, inserted] = by_host.try_emplace(h);
        if (inserted) {
          it->second.kind = VhostKind::kRedirectOnly;
          it->second.name = fmt::format("{}:{}", h, ctx.port);
          it->second.domains = {h};
        }
        it->second.require_tls = true;
      }
    }
  }
  if (by_host.empty()) {
    VirtualHostEntry v;
    v.kind = VhostKind::kEmpty;
    v.name = fmt::format("blackhole:{}", ctx.port);
    v.domains = {"*"};
    rc->addVhost(std::move(v));
    return rc;
  }
  for (auto& [h, v] : by_host) rc->addVhost(std::move(v));
  return rc;
}

}  // namespace meshroute::routing
