// Istio's admission rules for Sidecar (pkg/config/validation ValidateSidecar and the listener
// checks it calls), plus the CRD's schema rules on workload selector labels and ingress TLS.
#include <fmt/format.h>

#include <map>
#include <set>
#include <variant>

#include "validate/common.h"
#include "validate/go_format.h"
#include "validate/schema_rules.h"
#include "validate/server_tls.h"
#include "validate/validate.h"

namespace meshroute::validate {
namespace {

constexpr std::string_view kUnixAddressPrefix = "unix://";

// The CRD's limits on selector labels (the wildcard CEL rule repeats Istio's own check).
void validateSelectorSchema(const api::SidecarWorkloadSelector& sel, const Loc& at,
                            Report& report) {
  if (sel.labels.size() > 256) {
    report.error(at.field(sel, "labels"), tooMany(sel.labels.size(), 256));
  }
  for (const auto& [k, v] : sel.labels) {
    if (v.size() > 63) {
      report.error(at.key(sel, "labels", k), tooLong(63));
    }
  }
}

// Istio's networking WorkloadSelector rules: returns false when the selector has errors.
bool validateSelector(const api::SidecarWorkloadSelector& sel, const Loc& at, Report& report) {
  bool ok = true;
  for (const auto& [k, v] : sel.labels) {
    Loc entry = at.key(sel, "labels", k);
    if (k.empty()) {
      report.error(entry, fmt::format("empty key is not supported in selector: {}",
                                      goQuote(fmt::format("{}={}", k, v))));
      ok = false;
    }
    if (k.find('*') != std::string::npos || v.find('*') != std::string::npos) {
      report.error(entry, fmt::format("wildcard is not supported in selector: {}",
                                      goQuote(fmt::format("{}={}", k, v))));
      ok = false;
    }
  }
  return ok;
}

// Go's net.SplitHostPort: host and port, or the AddrError text.
struct HostPort {
  std::string host;
  std::string port;
  std::string error;
};
HostPort splitHostPort(std::string_view hp) {
  auto fail = [&](std::string_view why) {
    return HostPort{"", "", fmt::format("address {}: {}", hp, why)};
  };
  size_t last = hp.rfind(':');
  if (last == std::string_view::npos) return fail("missing port in address");
  std::string_view host;
  size_t j = 0;
  size_t k = 0;
  if (hp.front() == '[') {
    size_t end = hp.find(']');
    if (end == std::string_view::npos) return fail("missing ']' in address");
    if (end + 1 == hp.size()) return fail("missing port in address");
    if (end + 1 != last) {
      return fail(hp[end + 1] == ':' ? "too many colons in address" : "missing port in address");
    }
    host = hp.substr(1, end - 1);
    j = 1;
    k = end + 1;
  } else {
    host = hp.substr(0, last);
    if (host.find(':') != std::string_view::npos) return fail("too many colons in address");
  }
  if (hp.substr(j).find('[') != std::string_view::npos) {
    return fail("unexpected '[' in address");
  }
  if (hp.substr(k).find(']') != std::string_view::npos) {
    return fail("unexpected ']' in address");
  }
  return {std::string(host), std::string(hp.substr(last + 1)), ""};
}

void validateDefaultEndpoint(const api::IstioIngressListener& in, const Loc& at, Report& report) {
  Loc loc = at.field(in, "defaultEndpoint");
  std::string_view ep = in.default_endpoint;
  if (ep.starts_with(kUnixAddressPrefix)) {
    if (auto e = validateUnixAddress(ep.substr(kUnixAddressPrefix.size()))) report.error(loc, *e);
    return;
  }
  HostPort hp = splitHostPort(ep);
  if (!hp.error.empty()) report.error(loc, hp.error);
  if (!hp.host.empty() && hp.host != "127.0.0.1" && hp.host != "0.0.0.0" && hp.host != "::1" &&
      hp.host != "::") {
    report.error(loc,
                 "sidecar: defaultEndpoint must be of form 127.0.0.1:<port>,0.0.0.0:<port>,"
                 "[::1]:port,[::]:port,unix://filepath or unset");
  }
  auto port = goAtoi(hp.port);
  if (const auto* err = std::get_if<std::string>(&port)) {
    report.error(
        loc, fmt::format("sidecar: defaultEndpoint port ({}) is not a number: {}", hp.port, *err));
  } else if (auto e = validatePort(std::get<int64_t>(port))) {
    report.error(loc, *e);
  }
}

// Ingress TLS: Sidecars terminate TLS with files only, and only on HTTPS/TLS ports.
void validateIngressTLS(const api::IstioIngressListener& in, const Loc& at, Report& report) {
  const api::ServerTLSSettings& tls = *in.tls;
  Loc loc = at.field(in, "tls");
  validateServerTLSSchema(tls, loc, report);
  if (!tls.subject_alt_names.empty()) {
    report.error(loc.field(tls, "subjectAltNames"),
                 "sidecar: subjectAltNames is not supported in ingress tls");
  }
  if (tls.https_redirect) {
    report.error(loc.field(tls, "httpsRedirect"), "sidecar: httpsRedirect is not supported");
  }
  if (!tls.credential_name.empty()) {
    report.error(loc.field(tls, "credentialName"),
                 "sidecar: credentialName is not currently supported");
  }
  if (!tls.credential_names.empty()) {
    report.error(loc.field(tls, "credentialNames"),
                 "sidecar: credentialNames is not currently supported");
  }
  if (!tls.tls_certificates.empty()) {
    report.error(loc.field(tls, "tlsCertificates"),
                 "sidecar: tls_certificates is not currently supported");
  }
  if (tls.mode == "ISTIO_MUTUAL" || tls.mode == "AUTO_PASSTHROUGH") {
    report.error(loc.field(tls, "mode"),
                 fmt::format("configuration is invalid: cannot set mode to {} in sidecar ingress "
                             "tls",
                             tls.mode));
  }
  if (!isTLSProtocol(parseProtocol(in.port->protocol))) {
    report.error(loc, "server cannot have TLS settings for non HTTPS/TLS ports");
  }
  validateServerTLSOptions(tls, loc, report);
}

void validateIngress(const api::Sidecar& sc, const Loc& spec, Report& report) {
  std::set<uint32_t> ports;
  for (size_t i = 0; i < sc.ingress.size(); ++i) {
    const auto& in = sc.ingress[i];
    Loc at = spec.item("ingress", i, in);
    if (!in.port) {
      report.error(at.field(in, "port"), "sidecar: port is required for ingress listeners");
      continue;
    }
    const api::SidecarPort& port = *in.port;
    Loc port_loc = at.field(in, "port");
    if (port.target_port > 0) {
      report.error(port_loc.field(port, "targetPort"), "targetPort has no impact on Sidecars");
    }
    if (!port.name.empty()) {
      if (auto e = validatePortName(port.name)) report.error(port_loc.field(port, "name"), *e);
    }
    if (auto e = validateProtocol(port.protocol)) {
      report.error(port_loc.field(port, "protocol"), *e);
    }
    if (auto e = validatePort(port.number)) report.error(port_loc.field(port, "number"), *e);
    if (!in.bind.empty()) {
      if (auto e = validateIPAddress(in.bind)) report.error(at.field(in, "bind"), *e);
    }
    if (!ports.insert(port.number).second) {
      report.error(port_loc.field(port, "number"),
                   "sidecar: ports on IP bound listeners must be unique");
    }
    if (!in.default_endpoint.empty()) validateDefaultEndpoint(in, at, report);
    if (in.tls) validateIngressTLS(in, at, report);
    if (in.connection_pool) {
      Loc pool = at.field(in, "connectionPool");
      validateConnectionPool(*in.connection_pool, pool, report);
      if (in.connection_pool->http && !isHTTPProtocol(parseProtocol(port.protocol))) {
        report.warning(pool.field(*in.connection_pool, "http"),
                       fmt::format("sidecar: HTTP connection pool settings are configured for "
                                   "port {} ({}) but its protocol is not HTTP ({}); only TCP "
                                   "settings will apply",
                                   port.number, goQuote(port.name), port.protocol));
      }
    }
  }
}

void validateEgressPort(const api::IstioEgressListener& eg, const Loc& at, Report& report) {
  const api::SidecarPort& port = *eg.port;
  Loc port_loc = at.field(eg, "port");
  Loc bind = at.field(eg, "bind");
  if (!port.name.empty()) {
    if (auto e = validatePortName(port.name)) report.error(port_loc.field(port, "name"), *e);
  }
  if (auto e = validateProtocol(port.protocol)) {
    report.error(port_loc.field(port, "protocol"), *e);
  }
  if (port.number == 0) {
    // Port 0 means a Unix-socket listener.
    if (!eg.bind.starts_with(kUnixAddressPrefix)) {
      report.error(bind, "sidecar: ports with 0 value must have a unix domain socket bind address");
    } else if (auto e = validateUnixAddress(
                   std::string_view(eg.bind).substr(kUnixAddressPrefix.size()))) {
      report.error(bind, *e);
    }
    if (eg.capture_mode != "DEFAULT" && eg.capture_mode != "NONE") {
      report.error(at.field(eg, "captureMode"),
                   "sidecar: captureMode must be DEFAULT/NONE for unix domain socket listeners");
    }
    return;
  }
  if (auto e = validatePort(port.number)) report.error(port_loc.field(port, "number"), *e);
  if (!eg.bind.empty()) {
    if (auto e = validateIPAddress(eg.bind)) report.error(bind, *e);
  }
}

// Overlapping namespace/host selections only warn: Istio keeps accepting them.
void validateEgressHosts(const api::Resource& res, const api::IstioEgressListener& eg,
                         const Loc& at, Report& report) {
  if (eg.hosts.empty()) {
    report.error(at.field(eg, "hosts"), "sidecar: egress listener must contain at least one host");
    return;
  }
  std::map<std::string, std::set<std::string>> selected;  // namespace -> hosts
  for (size_t i = 0; i < eg.hosts.size(); ++i) {
    const std::string& host = eg.hosts[i];
    Loc loc = at.item(eg, "hosts", i);
    size_t slash = host.find('/');
    if (slash != std::string::npos && !host.starts_with("~")) {
      std::string ns = host.substr(0, slash);
      std::string svc = host.substr(slash + 1);
      if (ns == ".") ns = res.meta.namespace_;
      auto& hosts = selected[ns];
      bool duplicate = svc == "*" ? !hosts.empty() : hosts.count(svc) != 0 || hosts.count("*");
      if (duplicate) report.warning(loc, fmt::format("duplicated egress host: {}", host));
      hosts.insert(svc);
    }
    for (const auto& e : validateNamespaceSlashWildcardHostname(host, false, false)) {
      report.error(loc, e);
    }
  }
  auto all = selected.find("*");
  if (all != selected.end() && all->second.count("*") != 0 && selected.size() != 1) {
    report.warning(at.field(eg, "hosts"),
                   "`*/*` host select all resources, no other hosts can be added");
  }
}

void validateEgress(const api::Resource& res, const api::Sidecar& sc, const Loc& spec,
                    Report& report) {
  std::set<uint32_t> ports;
  std::set<std::string> sockets;
  bool catch_all_found = false;
  for (size_t i = 0; i < sc.egress.size(); ++i) {
    const auto& eg = sc.egress[i];
    Loc at = spec.item("egress", i, eg);
    if (!eg.port) {
      // Only one listener may omit the port (the catch-all), and it must come last.
      if (catch_all_found) {
        report.error(at, "sidecar: egress can have only one listener with empty port");
        continue;
      }
      if (i == sc.egress.size() - 1) {
        catch_all_found = true;
      } else {
        report.error(at,
                     "sidecar: the egress listener with empty port should be the last listener "
                     "in the list");
      }
    } else {
      const api::SidecarPort& port = *eg.port;
      Loc port_loc = at.field(eg, "port");
      if (port.target_port > 0) {
        report.error(port_loc.field(port, "targetPort"), "targetPort has no impact on Sidecars");
      }
      validateEgressPort(eg, at, report);
      if (port.number == 0) {
        if (!sockets.insert(eg.bind).second) {
          report.error(at.field(eg, "bind"),
                       "sidecar: unix domain socket values for listeners must be unique");
        }
      } else if (!ports.insert(port.number).second) {
        report.error(port_loc.field(port, "number"),
                     "sidecar: ports on IP bound listeners must be unique");
      }
    }
    validateEgressHosts(res, eg, at, report);
  }
}

// networking.Destination as Istio checks route destinations (here the egress proxy).
void validateEgressProxy(const api::Destination& d, const Loc& at, Report& report) {
  Loc host = at.field(d, "host");
  if (d.host == "*") {
    report.error(host, fmt::format("invalid destination host {}", d.host));
  } else {
    for (const auto& e : validateWildcardDomain(d.host)) report.error(host, e);
  }
  if (!d.subset.empty() && !isDNS1123Label(d.subset)) {
    report.error(at.field(d, "subset"), fmt::format("subset name is invalid: {}", d.subset));
  }
  if (d.port) {
    Loc port = at.field(d, "port");
    if (auto e = validatePort(d.port->number)) report.error(port.field(*d.port, "number"), *e);
  }
}

void validateOutboundTrafficPolicy(const api::OutboundTrafficPolicy& tp, const Loc& at,
                                   Report& report) {
  // 3 is MeshConfig's ALLOW_ANY_DYNAMIC_DNS, which the Sidecar enum does not name.
  if (tp.mode == "3") {
    report.error(at.field(tp, "mode"),
                 "sidecar: ALLOW_ANY_DYNAMIC_DNS mode is only supported in MeshConfig, not in "
                 "Sidecar resource");
    return;
  }
  if (!tp.egress_proxy) return;
  Loc proxy = at.field(tp, "egressProxy");
  if (tp.mode != "ALLOW_ANY") {
    report.error(proxy,
                 "sidecar: egress_proxy must be set only with ALLOW_ANY outbound_traffic_policy "
                 "mode");
    return;
  }
  for (const auto& e : validateFQDN(tp.egress_proxy->host)) {
    report.error(proxy.field(*tp.egress_proxy, "host"), e);
  }
  if (!tp.egress_proxy->port) {
    report.error(proxy, "sidecar: egress_proxy port must be non-nil");
    return;
  }
  validateEgressProxy(*tp.egress_proxy, proxy, report);
}

}  // namespace

void validateSidecar(const api::Resource& res, const api::Sidecar& sc, Report& r) {
  Loc spec("spec", sc.mark.line > 0 ? sc.mark : res.mark);
  if (sc.workload_selector) {
    Loc sel = spec.field(sc, "workloadSelector");
    validateSelectorSchema(*sc.workload_selector, sel, r);
    // Istio stops at selector errors and reports nothing else.
    if (!validateSelector(*sc.workload_selector, sel, r)) return;
  }
  if (sc.ingress.empty() && sc.egress.empty() && !sc.outbound_traffic_policy &&
      !sc.inbound_connection_pool) {
    r.error(spec, "sidecar: empty configuration provided");
    return;
  }
  if (sc.workload_selector && sc.workload_selector->labels.empty()) {
    r.warning(spec.field(sc, "workloadSelector"),
              "sidecar: workload selector specified without labels, will be applied to all "
              "services in namespace");
  }
  validateIngress(sc, spec, r);
  if (sc.inbound_connection_pool) {
    validateConnectionPool(*sc.inbound_connection_pool, spec.field(sc, "inboundConnectionPool"), r);
  }
  validateEgress(res, sc, spec, r);
  if (sc.outbound_traffic_policy) {
    validateOutboundTrafficPolicy(*sc.outbound_traffic_policy,
                                  spec.field(sc, "outboundTrafficPolicy"), r);
  }
}

}  // namespace meshroute::validate
