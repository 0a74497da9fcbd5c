#include "routing/snapshot_tcp.h"

#include <fmt/format.h>

#include <algorithm>

#include "routing/route_action.h"

namespace meshroute::routing {
namespace {

const registry::ServicePort* portOf(const registry::Service& s, uint32_t port) {
  for (const registry::ServicePort& p : s.ports) {
    if (p.port == port) return &p;
  }
  return nullptr;
}

bool sniMatches(const std::vector<std::string>& sni_hosts, std::string_view sni) {
  return std::any_of(sni_hosts.begin(), sni_hosts.end(), [&](const std::string& h) {
    return h == "*" || hosts::subsetOf(sni, hosts::toLower(h));
  });
}

bool subnetsMatch(const std::vector<std::string>& subnets, std::string_view address) {
  if (subnets.empty()) return true;
  return std::any_of(subnets.begin(), subnets.end(),
                     [&](const std::string& s) { return hosts::cidrContains(s, address); });
}

// matchTCP / matchTLS: istiod's generation-time conditions.
template <class M>
bool staticL4(const M& m, const StringMap& labels, std::string_view gateway, uint32_t port,
              std::string_view ns, std::string* reason) {
  if (!m.gateways.empty() &&
      std::find(m.gateways.begin(), m.gateways.end(), gateway) == m.gateways.end()) {
    *reason =
        fmt::format("gateways: want one of [{}], got \"{}\"", fmt::join(m.gateways, ", "), gateway);
    return false;
  }
  if (!registry::labelsMatch(m.source_labels, labels)) {
    *reason = "sourceLabels do not match the proxy's labels";
    return false;
  }
  if (m.port != 0 && m.port != port) {
    *reason = fmt::format("port: want {}, got {}", m.port, port);
    return false;
  }
  if (!m.source_namespace.empty() && m.source_namespace != ns) {
    *reason = fmt::format("sourceNamespace: want \"{}\", got \"{}\"", m.source_namespace, ns);
    return false;
  }
  return true;
}

// Cluster port for an L4 destination: its port, else the service's only port, else the
// listener's (GetDestinationCluster with ServiceForHostname's full service).
void routeL4(const Snapshot::Compiled& c, const Proxy& proxy, const Request& request,
             const std::vector<api::RouteDestination>& route, Decision& d) {
  const RequestView req(request);
  ActionContext actx{&c, &proxy, &req, request.port, true, false, nullptr};
  int64_t total = 0;
  for (const api::RouteDestination& r : route) total += std::max(r.weight, 0);
  for (const api::RouteDestination& r : route) {
    if (!r.destination) continue;
    if (route.size() > 1 && r.weight <= 0) continue;
    RoutedDestination out;
    out.host = r.destination->host;
    out.subset = r.destination->subset;
    out.port = destinationPort(actx, *r.destination);
    out.weight_percent =
        route.size() == 1 || total == 0 ? 100.0 : 100.0 * r.weight / static_cast<double>(total);
    out.resolution = resolveDestination(actx, out.host, out.subset, out.port);
    d.destinations.push_back(std::move(out));
  }
  d.route.retries = RetryPolicy{};
  settleForwarding(d);
}

void routeDefault(const Snapshot::Compiled& c, const Proxy& proxy, const Request& request,
                  const registry::Service& svc, Decision& d) {
  api::RouteDestination r;
  r.destination = api::Destination{};
  r.destination->host = svc.hostname;
  if (svc.ports.size() != 1) {
    r.destination->port = api::PortSelector{};
    r.destination->port->number = request.port;
  }
  d.route_name = "default";
  routeL4(c, proxy, request, {r}, d);
}

TraceStep l4Step(const char* kind, const CompiledVirtualService& vs, size_t i, bool matched,
                 std::string reason) {
  TraceStep t;
  t.kind = kind;
  t.virtual_service = vs.key;
  t.route_index = static_cast<int>(i);
  t.matched = matched;
  t.reason = std::move(reason);
  return t;
}

}  // namespace

std::string servicePortProtocol(const registry::Service& svc, uint32_t port) {
  const registry::ServicePort* p = portOf(svc, port);
  return p ? p->protocol : "";
}

const registry::Service* tcpTargetService(const Snapshot::Compiled& c, const SidecarScope& scope,
                                          const Request& request) {
  const EgressScope* egress = egressFor(scope, request.port);
  if (egress == nullptr) return nullptr;
  if (!request.destination_address.empty()) {
    for (const registry::Service* s : egress->services) {
      if (portOf(*s, request.port) == nullptr) continue;
      for (const std::string& a : s->addresses) {
        if (a == request.destination_address ||
            hosts::cidrContains(a, request.destination_address)) {
          return s;
        }
      }
    }
  }
  std::string name = !request.sni.empty() ? hosts::toLower(request.sni) : request.host();
  if (name.empty()) return nullptr;
  for (const registry::Service* s : egress->services) {
    if (portOf(*s, request.port) == nullptr) continue;
    if (hosts::toLower(s->hostname) == name) return s;
    if (hosts::isWildcard(s->hostname) && hosts::subsetOf(name, hosts::toLower(s->hostname))) {
      return s;
    }
    for (const std::string& alt : hosts::altHosts(s->hostname, scope.ns, c.mesh->cluster_domain)) {
      if (alt == name) return s;
    }
    if (std::find(s->addresses.begin(), s->addresses.end(), name) != s->addresses.end()) return s;
  }
  return nullptr;
}

void decidePassthrough(const Snapshot::Compiled& /*c*/, const Proxy& /*proxy*/,
                       const SidecarScope& scope, const Request& request, Decision& d) {
  d.listener = "virtualOutbound";
  d.route_config.clear();
  d.virtual_host.clear();
  RoutedDestination out;
  out.host = request.sni.empty() ? request.host() : request.sni;
  out.port = request.port;
  if (scope.allow_any) {
    d.outcome = Outcome::kRoute;
    out.resolution.cluster = "PassthroughCluster";
    d.notes.push_back(fmt::format(
        "no listener of this sidecar takes port {} for this destination: the virtual outbound "
        "listener passes the connection through (outboundTrafficPolicy ALLOW_ANY)",
        request.port));
  } else {
    d.outcome = Outcome::kNoListener;
    out.resolution.cluster = "BlackHoleCluster";
    out.resolution.status = DestinationStatus::kUnknownHost;
    d.notes.push_back(fmt::format(
        "no listener of this sidecar takes port {} for this destination: outboundTrafficPolicy "
        "REGISTRY_ONLY sends the connection to BlackHoleCluster (closed, no HTTP answer)",
        request.port));
  }
  d.destinations.push_back(std::move(out));
}

void decideSidecarTcp(const Snapshot::Compiled& c, const Proxy& proxy, const SidecarScope& scope,
                      const Request& request, const registry::Service* svc,
                      const DecideOptions& opts, Decision& d) {
  if (svc == nullptr) {
    decidePassthrough(c, proxy, scope, request, d);
    return;
  }
  const registry::ServicePort* port = portOf(*svc, request.port);
  const bool tls_port = port != nullptr && isTlsProtocol(port->protocol);
  const std::string vip =
      svc->addresses.empty() || svc->addresses.front().find('/') != std::string::npos
          ? "0.0.0.0"
          : svc->addresses.front();
  d.listener = fmt::format("{}_{}", vip, request.port);
  const StringMap& labels = request.source_labels.empty() ? proxy.labels : request.source_labels;
  const std::string& ns = request.source_ns.empty() ? proxy.ns : request.source_ns;
  const std::string sni = request.sni.empty() ? request.host() : hosts::toLower(request.sni);
  const std::string& address = request.destination_address;
  const EgressScope* egress = egressFor(scope, request.port);
  std::vector<const CompiledVirtualService*> configs;
  if (egress != nullptr) {
    for (const CompiledVirtualService* vs : egress->virtual_services) {
      if (std::any_of(vs->hosts.begin(), vs->hosts.end(),
                      [&](const std::string& h) { return hosts::matches(h, svc->hostname); })) {
        configs.push_back(vs);
      }
    }
  }
  for (const CompiledVirtualService* vs : configs) {
    if (tls_port) {
      for (size_t i = 0; i < vs->spec.tls.size(); ++i) {
        const api::TLSRoute& rule = vs->spec.tls[i];
        if (rule.route.empty()) continue;
        std::string reason;
        bool ok = false;
        for (const api::TLSMatchAttributes& m : rule.match) {
          if (!staticL4(m, labels, "mesh", request.port, ns, &reason)) continue;
          if (!sniMatches(m.sni_hosts, sni)) {
            reason = fmt::format("sniHosts: want one of [{}], got \"{}\"",
                                 fmt::join(m.sni_hosts, ", "), sni);
            continue;
          }
          if (!address.empty() && !subnetsMatch(m.destination_subnets, address)) {
            reason = fmt::format("destinationSubnets: {} is not in [{}]", address,
                                 fmt::join(m.destination_subnets, ", "));
            continue;
          }
          ok = true;
          break;
        }
        if (opts.trace) {
          d.trace.push_back(l4Step("tls", *vs, i, ok, ok ? "" : reason));
        }
        if (ok) {
          d.virtual_service = vs->resource;
          d.route_index = static_cast<int>(i);
          routeL4(c, proxy, request, rule.route, d);
          return;
        }
      }
      continue;
    }
    for (size_t i = 0; i < vs->spec.tcp.size(); ++i) {
      const api::TCPRoute& rule = vs->spec.tcp[i];
      if (rule.route.empty()) continue;
      std::string reason;
      bool ok = rule.match.empty();
      for (const api::L4MatchAttributes& m : rule.match) {
        if (!staticL4(m, labels, "mesh", request.port, ns, &reason)) continue;
        // Subnets become the filter chain's destination CIDRs: they need the address.
        if (!m.destination_subnets.empty() &&
            (address.empty() || !subnetsMatch(m.destination_subnets, address))) {
          reason = fmt::format("destinationSubnets: [{}] does not contain {}",
                               fmt::join(m.destination_subnets, ", "),
                               address.empty() ? std::string("(no destination address)") : address);
          continue;
        }
        ok = true;
        break;
      }
      if (opts.trace) {
        d.trace.push_back(l4Step("tcp", *vs, i, ok, ok ? "" : reason));
      }
      if (ok) {
        d.virtual_service = vs->resource;
        d.route_index = static_cast<int>(i);
        routeL4(c, proxy, request, rule.route, d);
        return;
      }
    }
  }
  if (opts.trace) {
    d.notes.push_back(
        fmt::format("no {} route of a VirtualService applies: the connection goes to "
                    "the service's default cluster",
                    tls_port ? "TLS" : "TCP"));
  }
  routeDefault(c, proxy, request, *svc, d);
}

void decideGatewayTcp(const Snapshot::Compiled& c, const Proxy& proxy, const Request& request,
                      const std::vector<const GatewayServer*>& servers, const DecideOptions& opts,
                      Decision& d) {
  d.listener = fmt::format("0.0.0.0_{}", request.port);
  if (servers.empty()) {
    d.outcome = Outcome::kNoListener;
    d.notes.push_back(fmt::format("no Gateway server listens on port {}", request.port));
    return;
  }
  const std::string sni = request.sni.empty() ? request.host() : hosts::toLower(request.sni);
  for (const GatewayServer* gs : servers) {
    const api::Server& server = *gs->server;
    const bool passthrough =
        server.tls && (server.tls->mode == "PASSTHROUGH" || server.tls->mode == "AUTO_PASSTHROUGH");
    if (server.tls && server.tls->mode == "AUTO_PASSTHROUGH") {
      // The SNI names the cluster: outbound_.PORT_.SUBSET_.HOST.
      if (!sni.starts_with("outbound_.")) continue;
      std::vector<std::string> parts;
      std::string_view rest = sni;
      for (int i = 0; i < 3; ++i) {
        const size_t p = rest.find("_.");
        if (p == std::string_view::npos) break;
        parts.emplace_back(rest.substr(0, p));
        rest = rest.substr(p + 2);
      }
      if (parts.size() != 3) continue;
      RoutedDestination out;
      out.host = std::string(rest);
      out.subset = parts[2];
      out.port = static_cast<uint32_t>(std::strtoul(parts[1].c_str(), nullptr, 10));
      const RequestView req(request);
      ActionContext actx{&c, &proxy, &req, request.port, true, true, nullptr};
      out.resolution = resolveDestination(actx, out.host, out.subset, out.port);
      d.destinations.push_back(std::move(out));
      settleForwarding(d);
      return;
    }
    if (passthrough && !std::any_of(gs->hosts.begin(), gs->hosts.end(), [&](const std::string& h) {
          const size_t slash = h.find('/');
          const std::string name = slash == std::string::npos ? h : h.substr(slash + 1);
          return name == "*" || hosts::subsetOf(sni, hosts::toLower(name));
        })) {
      continue;
    }
    for (const CompiledVirtualService* vs : c.virtualServicesFor(proxy.ns, gs->gateway_name)) {
      // pickMatchingGatewayHosts: a server host (namespace-qualified hosts for this namespace
      // only) that matches a VirtualService host.
      const bool host_ok =
          std::any_of(gs->hosts.begin(), gs->hosts.end(), [&](const std::string& h) {
            const size_t slash = h.find('/');
            if (slash != std::string::npos && h.substr(0, slash) != vs->ns) return false;
            const std::string name = slash == std::string::npos ? h : h.substr(slash + 1);
            return std::any_of(vs->hosts.begin(), vs->hosts.end(),
                               [&](const std::string& x) { return hosts::matches(name, x); });
          });
      if (!host_ok) continue;
      auto l4ok = [&](uint32_t port, const std::vector<std::string>& gws) {
        return (port == 0 || port == server.port->number) &&
               (gws.empty() || std::find(gws.begin(), gws.end(), gs->gateway_name) != gws.end());
      };
      if (passthrough) {
        for (size_t i = 0; i < vs->spec.tls.size(); ++i) {
          const api::TLSRoute& rule = vs->spec.tls[i];
          if (rule.route.empty()) continue;
          for (const api::TLSMatchAttributes& m : rule.match) {
            if (!l4ok(m.port, m.gateways) || !sniMatches(m.sni_hosts, sni)) continue;
            if (opts.trace) d.trace.push_back(l4Step("tls", *vs, i, true, ""));
            d.virtual_service = vs->resource;
            d.route_index = static_cast<int>(i);
            routeL4(c, proxy, request, rule.route, d);
            return;
          }
          if (opts.trace) {
            d.trace.push_back(
                l4Step("tls", *vs, i, false, "no match block accepts this SNI, port and gateway"));
          }
        }
        continue;
      }
      for (size_t i = 0; i < vs->spec.tcp.size(); ++i) {
        const api::TCPRoute& rule = vs->spec.tcp[i];
        bool ok = rule.match.empty();
        for (const api::L4MatchAttributes& m : rule.match) ok = ok || l4ok(m.port, m.gateways);
        if (!ok || rule.route.empty()) {
          if (opts.trace) {
            d.trace.push_back(
                l4Step("tcp", *vs, i, false, "no match block accepts this port and gateway"));
          }
          continue;
        }
        if (opts.trace) d.trace.push_back(l4Step("tcp", *vs, i, true, ""));
        d.virtual_service = vs->resource;
        d.route_index = static_cast<int>(i);
        routeL4(c, proxy, request, rule.route, d);
        return;
      }
    }
  }
  d.outcome = Outcome::kNoListener;
  d.notes.push_back(fmt::format(
      "no TCP/TLS route of a VirtualService bound to the gateway takes this connection on port "
      "{}: Envoy closes it",
      request.port));
}

}  // namespace meshroute::routing
