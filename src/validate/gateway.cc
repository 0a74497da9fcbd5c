// Istio's admission rules for Gateway (pkg/config/validation ValidateGateway and the server
// checks it calls), plus the CRD's schema rules on server TLS settings.
#include <fmt/format.h>

#include <set>

#include "validate/common.h"
#include "validate/go_format.h"
#include "validate/server_tls.h"
#include "validate/validate.h"

namespace meshroute::validate {
namespace {

constexpr std::string_view kUnixAddressPrefix = "unix://";

// The port as Go prints a proto message with "%v" (compact text format, zero fields omitted).
std::string portText(const api::GatewayPort& p) {
  std::string out;
  auto add = [&out](const std::string& part) { out += out.empty() ? part : " " + part; };
  if (p.number != 0) add(fmt::format("number:{}", p.number));
  if (!p.protocol.empty()) add(fmt::format("protocol:{}", goQuote(p.protocol)));
  if (!p.name.empty()) add(fmt::format("name:{}", goQuote(p.name)));
  if (p.target_port != 0) add(fmt::format("target_port:{}", p.target_port));
  return out;
}

// Returns true when the port has no errors (Istio then checks TLS against the protocol).
bool validateServerPort(const api::Server& server, const Loc& at, Report& report) {
  if (!server.port) {
    report.error(at.field(server, "port"), "port is required");
    return false;
  }
  const api::GatewayPort& port = *server.port;
  Loc loc = at.field(server, "port");
  size_t before = report.errorCount();
  if (parseProtocol(port.protocol).empty()) {
    report.error(loc.field(port, "protocol"),
                 fmt::format("invalid protocol {}, supported protocols are HTTP, HTTP2, GRPC, "
                             "GRPC-WEB, MONGO, REDIS, MYSQL, TCP",
                             goQuote(port.protocol)));
  }
  // A Unix-socket listener has no port number.
  if (port.number > 0 || !server.bind.starts_with(kUnixAddressPrefix)) {
    if (auto e = validatePort(port.number)) report.error(loc.field(port, "number"), *e);
  }
  if (port.target_port > 0) {
    report.error(loc.field(port, "targetPort"), "targetPort has no impact on Gateways");
  }
  if (port.name.empty()) {
    report.error(loc.field(port, "name"), fmt::format("port name must be set: {}", portText(port)));
  }
  return report.errorCount() == before;
}

void validateServerBind(const api::Server& server, const Loc& at, Report& report) {
  Loc bind = at.field(server, "bind");
  if (server.bind.starts_with(kUnixAddressPrefix)) {
    if (auto e = validateUnixAddress(server.bind.substr(kUnixAddressPrefix.size()))) {
      report.error(bind, *e);
    }
    if (server.port && server.port->number != 0) {
      report.error(bind, fmt::format("port number must be 0 for unix domain socket: {}",
                                     portText(*server.port)));
    }
  } else if (!server.bind.empty()) {
    if (auto e = validateIPAddress(server.bind)) report.error(bind, *e);
  }
}

void validateServer(const api::Server& server, bool gateway_semantics, const Loc& at,
                    Report& report) {
  if (server.hosts.empty()) {
    report.error(at.field(server, "hosts"), "server config must contain at least one host");
  }
  for (size_t i = 0; i < server.hosts.size(); ++i) {
    for (const auto& e :
         validateNamespaceSlashWildcardHostname(server.hosts[i], true, gateway_semantics)) {
      report.error(at.item(server, "hosts", i), e);
    }
  }
  bool port_ok = validateServerPort(server, at, report);
  validateServerBind(server, at, report);
  Loc tls_loc = at.field(server, "tls");
  if (server.tls) {
    validateServerTLSSchema(*server.tls, tls_loc, report);
    validateServerTLSOptions(*server.tls, tls_loc, report);
  }
  if (!port_ok) return;
  std::string protocol = parseProtocol(server.port->protocol);
  if (isTLSProtocol(protocol)) {
    if (!server.tls) {
      report.error(at, "server must have TLS settings for HTTPS/TLS protocols");
    }
    return;
  }
  if (!server.tls) return;
  if (!isHTTPProtocol(protocol)) {
    report.error(tls_loc, "server cannot have TLS settings for non HTTPS/TLS ports");
    return;
  }
  // A plain HTTP server may only carry httpsRedirect: a passthrough mode and no certificates.
  const auto& tls = *server.tls;
  bool passthrough = tls.mode == "PASSTHROUGH" || tls.mode == "AUTO_PASSTHROUGH";
  if (!passthrough || !tls.ca_certificates.empty() || !tls.private_key.empty() ||
      !tls.server_certificate.empty()) {
    report.error(tls_loc, "server cannot have TLS settings for plain text HTTP ports");
  }
}

}  // namespace

void validateGateway(const api::Resource& res, const api::Gateway& gw, Report& r) {
  auto semantics = res.meta.annotations.find("internal.istio.io/gateway-semantics");
  bool gateway_semantics =
      semantics != res.meta.annotations.end() && semantics->second == "gateway";
  if (!isDNS1123Label(res.meta.name) && !gateway_semantics) {
    Loc name("metadata.name", res.meta.markOf("name"));
    r.error(name, fmt::format("invalid gateway name: {}", goQuote(res.meta.name)));
  }
  Loc spec("spec", gw.mark.line > 0 ? gw.mark : res.mark);
  if (gw.servers.empty()) {
    r.error(spec.field(gw, "servers"), "gateway must have at least one server");
  }
  for (size_t i = 0; i < gw.servers.size(); ++i) {
    validateServer(gw.servers[i], gateway_semantics, spec.item("servers", i, gw.servers[i]), r);
  }
  std::set<std::string> port_names;
  for (size_t i = 0; i < gw.servers.size(); ++i) {
    const auto& s = gw.servers[i];
    if (!s.port) continue;
    Loc server = spec.item("servers", i, s);
    if (!port_names.insert(s.port->name).second) {
      r.error(server.field(s, "port").field(*s.port, "name"),
              fmt::format("port names in servers must be unique: duplicate name {}", s.port->name));
    }
    if (s.tls && s.tls->https_redirect && !isHTTPProtocol(parseProtocol(s.port->protocol))) {
      r.warning(server.field(s, "tls").field(*s.tls, "httpsRedirect"),
                "tls.httpsRedirect should only be used with http servers");
    }
  }
}

}  // namespace meshroute::validate
