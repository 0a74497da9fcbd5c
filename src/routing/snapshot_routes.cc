// Snapshot::routeTables: the sidecar's route configurations as data (admin /routes).
#include <set>

#include "routing/snapshot_internal.h"

namespace meshroute::routing {
namespace {

std::string_view kindName(VhostKind k) {
  switch (k) {
    case VhostKind::kVirtualService: return "virtual_service";
    case VhostKind::kDefault: return "default";
    case VhostKind::kAllowAny: return "allow_any";
    case VhostKind::kBlockAll: return "block_all";
    case VhostKind::kRedirectOnly: return "redirect_only";
    case VhostKind::kEmpty: return "empty";
  }
  return "unknown";
}

RouteTableHost describeHost(const VirtualHostEntry& v) {
  RouteTableHost host;
  host.name = v.name;
  host.kind = std::string(kindName(v.kind));
  host.domains = v.domains;
  if (v.kind == VhostKind::kDefault || v.kind == VhostKind::kAllowAny) {
    host.routes.push_back(RouteTableRoute{v.kind == VhostKind::kDefault ? "default" : "allow_any"});
  }
  for (const auto& seg : v.segments) {
    const CompiledVirtualService& vs = *seg.vs;
    for (size_t i = 0; i < vs.routes.size(); ++i) {
      if (i < seg.state.size() && seg.state[i] != RouteState::kActive) continue;
      const HttpRouteMatch& m = vs.routes[i];
      RouteTableRoute r;
      r.name = m.name;
      r.virtual_service = vs.key;
      r.match_index = m.match;
      r.catch_all = m.catch_all;
      if (m.rule >= 0 && static_cast<size_t>(m.rule) < vs.origins.size()) {
        const HttpRuleOrigin& o = vs.origins[static_cast<size_t>(m.rule)];
        r.rule_index = o.root_rule;
        if (o.delegate != nullptr) {
          r.delegate = o.delegate->meta.namespace_ + "/" + o.delegate->meta.name;
          r.delegate_rule_index = o.delegate_rule;
        }
      } else {
        r.rule_index = m.rule;
      }
      host.routes.push_back(std::move(r));
    }
  }
  return host;
}

}  // namespace

std::vector<RouteTable> Snapshot::routeTables(const Proxy& proxy) const {
  const Compiled& c = *compiled_;
  std::vector<RouteTable> out;
  if (proxy.type != ProxyType::kSidecar) return out;
  const auto scope = c.sidecarScope(proxy);
  std::set<uint32_t> ports;
  for (const auto& egress : scope->egress) {
    if (egress.port != 0) {
      ports.insert(egress.port);
      continue;
    }
    for (const registry::Service* s : egress.services) {
      for (const auto& p : s->ports) {
        if (isHttpOrSniffed(p.protocol)) ports.insert(p.port);
      }
    }
  }
  for (uint32_t port : ports) {
    const StaticContext ctx{&proxy.labels, proxy.ns, port, "mesh"};
    const auto rc = c.sidecarRouteConfig(proxy, *scope, ctx);
    if (!rc->exists || !rc->http_listener) continue;
    RouteTable table;
    table.name = rc->name;
    for (const auto& v : rc->vhosts) table.hosts.push_back(describeHost(v));
    out.push_back(std::move(table));
  }
  return out;
}

}  // namespace meshroute::routing
