// Istio's admission rules for VirtualService: hosts, gateways, delegation, the TLS and TCP
// routes, exportTo; HTTP routes are in virtual_service_http.cc and the unreachable-rule
// analysis in virtual_service_analysis.cc.
#include <fmt/format.h>

#include <algorithm>

#include "validate/common.h"
#include "validate/validate.h"
#include "validate/virtual_service_internal.h"

namespace meshroute::validate {
namespace {

using api::VirtualService;

constexpr std::string_view kRouteSemanticsAnnotation = "internal.istio.io/gateway-semantics";
constexpr std::string_view kMeshGateway = "mesh";

bool isNull(const api::Message& m) { return m.mark == Mark{}; }

bool isWildcarded(std::string_view h) { return !h.empty() && h.front() == '*'; }

// Istio's host.Name.Matches: the two hosts overlap, either one covering the other.
bool hostsOverlap(std::string_view a, std::string_view b) {
  bool wa = isWildcarded(a);
  bool wb = isWildcarded(b);
  if (wa && wb) {
    return a.size() < b.size() ? b.substr(1).ends_with(a.substr(1))
                               : a.substr(1).ends_with(b.substr(1));
  }
  if (wa) return b.ends_with(a.substr(1));
  if (wb) return a.ends_with(b.substr(1));
  return a == b;
}

// Istio's host.Name.SubsetOf: every name `a` covers is covered by `b`.
bool hostSubsetOf(std::string_view a, std::string_view b) {
  bool wa = isWildcarded(a);
  bool wb = isWildcarded(b);
  if (wa && wb) return a.size() >= b.size() && a.substr(1).ends_with(b.substr(1));
  if (wa) return false;
  if (wb) return a.ends_with(b.substr(1));
  return a == b;
}

// Bound to a real gateway: "mesh" is not among the gateways (also true when none is listed).
bool namesNonMeshGateway(const VirtualService& vs) {
  return std::find(vs.gateways.begin(), vs.gateways.end(), kMeshGateway) == vs.gateways.end();
}

bool hasSniHosts(const VirtualService& vs) {
  for (const auto& tls : vs.tls) {
    for (const auto& m : tls.match) {
      if (!m.sni_hosts.empty()) return true;
    }
  }
  return false;
}

std::string goStringList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i == 0 ? "" : " ") + items[i];
  return out + "]";
}

void checkJwtClaimRoutes(const VirtualService& vs, const Loc& spec, Report& report) {
  for (size_t i = 0; i < vs.http.size(); ++i) {
    const auto& route = vs.http[i];
    Loc rloc = spec.item("http", i, route);
    for (size_t j = 0; j < route.match.size(); ++j) {
      const auto& m = route.match[j];
      Loc mloc = rloc.item("match", j, m);
      for (std::string_view field : {"headers", "withoutHeaders"}) {
        const auto& map = field == "headers" ? m.headers : m.without_headers;
        for (const auto& [key, value] : map) {
          if (!vs::isJwtClaimRoute(key)) continue;
          report.error(mloc.key(m, field, key),
                       fmt::format("JWT claim based routing (key: {}) is only supported for "
                                   "gateway, found no gateways: {}",
                                   key, goStringList(vs.gateways)));
        }
      }
    }
  }
}

void checkHosts(const VirtualService& vs, bool applies_to_gateway, bool applies_to_mesh,
                const Loc& spec, Report& report) {
  bool all_valid = true;
  bool sni = hasSniHosts(vs);
  for (size_t i = 0; i < vs.hosts.size(); ++i) {
    const std::string& host = vs.hosts[i];
    Loc loc = spec.item(vs, "hosts", i);
    Errors errs = applies_to_gateway
                      ? validateWildcardDomainForVirtualServiceBoundToGateway(sni, host)
                      : validateWildcardDomain(host);
    if (!errs.empty()) {
      // Istio accepts IP addresses as hosts.
      if (!isIPAddress(host)) {
        for (const auto& e : errs) report.error(loc, e);
        all_valid = false;
      }
    } else if (applies_to_mesh && host == "*") {
      report.error(loc,
                   "wildcard host * is not allowed for virtual services bound to the mesh "
                   "gateway");
      all_valid = false;
    }
  }
  if (!all_valid) return;
  for (size_t i = 0; i < vs.hosts.size(); ++i) {
    for (size_t j = i + 1; j < vs.hosts.size(); ++j) {
      if (hostsOverlap(vs.hosts[i], vs.hosts[j])) {
        report.error(
            spec.item(vs, "hosts", j),
            fmt::format("duplicate hosts in virtual service: {} & {}", vs.hosts[i], vs.hosts[j]));
      }
    }
  }
}

void checkRouteDestinations(const std::vector<api::RouteDestination>& route,
                            const api::Message& owner, bool gateway_semantics, const Loc& at,
                            Report& report) {
  uint32_t total = 0;  // Istio sums in int32, wrapping on overflow
  for (size_t i = 0; i < route.size(); ++i) {
    const auto& rd = route[i];
    Loc loc = at.item("route", i, rd);
    if (isNull(rd)) {
      report.error(loc, "weight may not be nil");
      continue;
    }
    if (!rd.destination) report.error(loc, "destination is required");
    if (!gateway_semantics && rd.destination) {
      vs::validateDestination(*rd.destination, loc.field(rd, "destination"), report);
    }
    if (auto e = validateWeight(rd.weight)) report.error(loc.field(rd, "weight"), *e);
    total += static_cast<uint32_t>(rd.weight);
  }
  if (route.size() > 1 && total == 0) {
    report.error(at.field(owner, "route"), "total destination weight = 0");
  }
}

void checkSubnets(const api::Message& owner, const std::vector<std::string>& subnets, const Loc& at,
                  Report& report) {
  for (size_t i = 0; i < subnets.size(); ++i) {
    if (auto e = validateIPSubnet(subnets[i])) {
      report.error(at.item(owner, "destinationSubnets", i), *e);
    }
  }
}

void checkSniHost(const VirtualService& vs, const std::string& sni, const Loc& at, Report& report) {
  Errors errs = namesNonMeshGateway(vs)
                    ? validateWildcardDomainForVirtualServiceBoundToGateway(true, sni)
                    : validateWildcardDomain(sni);
  if (!errs.empty()) {
    if (isIPAddress(sni)) {
      report.warning(at, fmt::format("using an IP address ({}) goes against SNI spec and most "
                                     "clients do not support this",
                                     goQuote(sni)));
      return;
    }
    for (const auto& e : errs) report.error(at, e);
    return;
  }
  for (const auto& host : vs.hosts) {
    if (hostSubsetOf(sni, host)) return;
  }
  std::string hosts;
  for (size_t i = 0; i < vs.hosts.size(); ++i) hosts += (i == 0 ? "" : ", ") + vs.hosts[i];
  report.error(at, fmt::format("SNI host {} is not a compatible subset of any of the virtual "
                               "service hosts: [{}]",
                               goQuote(sni), hosts));
}

void checkTLSRoute(const VirtualService& vs, const api::TLSRoute& tls, bool gateway_semantics,
                   const Loc& at, Report& report) {
  if (tls.match.empty()) report.error(at, "TLS route must have at least one match condition");
  for (size_t i = 0; i < tls.match.size(); ++i) {
    const auto& m = tls.match[i];
    Loc loc = at.item("match", i, m);
    if (isNull(m)) {
      report.error(loc, "TLS match may not be null");
      continue;
    }
    if (m.sni_hosts.empty()) {
      report.error(loc, "TLS match must have at least one SNI host");
    } else {
      for (size_t j = 0; j < m.sni_hosts.size(); ++j) {
        checkSniHost(vs, m.sni_hosts[j], loc.item(m, "sniHosts", j), report);
      }
    }
    checkSubnets(m, m.destination_subnets, loc, report);
    if (m.port != 0) vs::validatePortNumber(m.port, loc.field(m, "port"), report);
    validateLabels(m, "sourceLabels", m.source_labels, loc, report);
    vs::validateGatewayNames(m, m.gateways, false, loc, report);
  }
  if (tls.route.empty()) report.error(at, "TLS route is required");
  checkRouteDestinations(tls.route, tls, gateway_semantics, at, report);
}

void checkTCPRoute(const api::TCPRoute& tcp, bool gateway_semantics, const Loc& at,
                   Report& report) {
  for (size_t i = 0; i < tcp.match.size(); ++i) {
    const auto& m = tcp.match[i];
    Loc loc = at.item("match", i, m);
    if (isNull(m)) {
      report.error(loc, "tcp match may not be nil");
      continue;
    }
    checkSubnets(m, m.destination_subnets, loc, report);
    if (m.port != 0) vs::validatePortNumber(m.port, loc.field(m, "port"), report);
    validateLabels(m, "sourceLabels", m.source_labels, loc, report);
    // Istio keeps only the errors of TCP match gateway checks.
    Report errors_only = report.errorsOnly();
    vs::validateGatewayNames(m, m.gateways, false, loc, errors_only);
  }
  if (tcp.route.empty()) report.error(at, "TCP route is required");
  checkRouteDestinations(tcp.route, tcp, gateway_semantics, at, report);
}

}  // namespace

void validateVirtualService(const api::Resource& res, const VirtualService& vs, Report& r) {
  Loc spec("spec", isNull(vs) ? res.mark : vs.mark);
  bool delegate = vs.hosts.empty();
  if (delegate) {
    // A delegate VirtualService is only reachable through a root's HTTP route.
    if (!vs.gateways.empty()) {
      r.error(spec.field(vs, "gateways"),
              "delegate virtual service must have no gateways specified");
    }
    if (!vs.tls.empty()) {
      r.error(spec.field(vs, "tls"), "delegate virtual service must have no tls route specified");
    }
    if (!vs.tcp.empty()) {
      r.error(spec.field(vs, "tcp"), "delegate virtual service must have no tcp route specified");
    }
  }
  auto ann = res.meta.annotations.find(std::string(kRouteSemanticsAnnotation));
  bool gateway_semantics = ann != res.meta.annotations.end() && ann->second == "gateway";

  bool applies_to_mesh = true;
  bool applies_to_gateway = false;
  if (!vs.gateways.empty()) {
    vs::validateGatewayNames(vs, vs.gateways, gateway_semantics, spec, r);
    applies_to_gateway = namesNonMeshGateway(vs);
    applies_to_mesh = !applies_to_gateway;
  }
  if (!applies_to_gateway) checkJwtClaimRoutes(vs, spec, r);
  checkHosts(vs, applies_to_gateway, applies_to_mesh, spec, r);

  if (vs.http.empty() && vs.tcp.empty() && vs.tls.empty()) {
    r.error(spec, "http, tcp or tls must be provided in virtual service");
  }
  vs::RouteContext ctx{.delegate_vs = delegate, .gateway_semantics = gateway_semantics};
  for (size_t i = 0; i < vs.http.size(); ++i) {
    Loc loc = spec.item("http", i, vs.http[i]);
    if (isNull(vs.http[i])) {
      r.error(loc, "http route may not be null");
      continue;
    }
    vs::validateHTTPRoute(vs.http[i], ctx, loc, r);
  }
  for (size_t i = 0; i < vs.tls.size(); ++i) {
    if (isNull(vs.tls[i])) continue;
    checkTLSRoute(vs, vs.tls[i], gateway_semantics, spec.item("tls", i, vs.tls[i]), r);
  }
  for (size_t i = 0; i < vs.tcp.size(); ++i) {
    if (isNull(vs.tcp[i])) continue;
    checkTCPRoute(vs.tcp[i], gateway_semantics, spec.item("tcp", i, vs.tcp[i]), r);
  }
  validateExportTo(res.meta.namespace_, vs.export_to, false, false, spec.field(vs, "exportTo"), r);
  vs::analyzeUnreachableRules(vs, spec, r);
}

}  // namespace meshroute::validate
