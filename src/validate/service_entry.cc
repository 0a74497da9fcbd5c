// Istio's admission rules for ServiceEntry: the CRD's schema and CEL rules (Kubernetes wording)
// and Istio's webhook checks (Go wording). Both layers report; where they word the same finding
// identically it is reported once.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "validate/common.h"
#include "validate/schema_rules.h"
#include "validate/validate.h"
#include "validate/workload_entry_rules.h"

namespace meshroute::validate {
namespace {

struct Ctx {
  const api::Resource& res;
  const api::ServiceEntry& se;
  Loc spec;
  Report& r;
};

void checkSchema(const Ctx& c) {
  const auto& se = c.se;
  const Loc& spec = c.spec;
  Report& r = c.r;
  // CEL's has() is true for a written `endpoints: []`, but Istio's vectors write Go's empty
  // slices that way and expect Go's verdict, so an empty list counts as unset here.
  bool has_endpoints = !se.endpoints.empty();
  if (se.has("workloadSelector") && has_endpoints) {
    r.error(spec, celInvalid("object", "only one of WorkloadSelector or Endpoints can be set"));
  }
  if (se.resolution == "NONE" && has_endpoints) {
    r.error(spec, celInvalid("object", "NONE mode cannot set endpoints"));
  }
  if (se.resolution == "DNS_ROUND_ROBIN" && se.endpoints.size() > 1) {
    r.error(spec, celInvalid("object", "DNS_ROUND_ROBIN mode cannot have multiple endpoints"));
  }
  // The CIDR rule matches Istio's own check word for word; validateAddresses reports it.

  if (se.has("hosts")) {
    Loc hosts = spec.field(se, "hosts");
    if (se.hosts.empty()) {
      r.error(hosts, fmt::format("Invalid value: 0: {} in body should have at least 1 items",
                                 hosts.path()));
    }
    if (se.hosts.size() > 256) r.error(hosts, tooMany(se.hosts.size(), 256));
    for (size_t i = 0; i < se.hosts.size(); ++i) {
      if (se.hosts[i] == "*") {
        r.error(spec.item(se, "hosts", i), celInvalid("string", "hostname cannot be wildcard"));
      }
    }
  }
  if (se.addresses.size() > 256) {
    r.error(spec.field(se, "addresses"), tooMany(se.addresses.size(), 256));
  }
  for (size_t i = 0; i < se.addresses.size(); ++i) {
    if (se.addresses[i].size() > 64) r.error(spec.item(se, "addresses", i), tooLong(64));
  }

  if (se.ports.size() > 256) r.error(spec.field(se, "ports"), tooMany(se.ports.size(), 256));
  std::set<std::string> names;
  std::map<uint32_t, int> numbers;
  for (size_t i = 0; i < se.ports.size(); ++i) {
    const auto& p = se.ports[i];
    Loc port = spec.item("ports", i, p);
    // Kubernetes keys this list by name (x-kubernetes-list-type: map).
    if (!names.insert(p.name).second) {
      r.error(port, fmt::format("Duplicate value: map[string]interface {{}}{{\"name\":{}}}",
                                goQuote(p.name)));
    }
    ++numbers[p.number];
    if (p.has("number") && (p.number == 0 || p.number > 65535)) {
      r.error(port.field(p, "number"), celInvalid("integer", kCelPortRangeMessage));
    }
    if (p.has("targetPort") && (p.target_port == 0 || p.target_port > 65535)) {
      r.error(port.field(p, "targetPort"), celInvalid("integer", kCelPortRangeMessage));
    }
    if (p.name.size() > 256) r.error(port.field(p, "name"), tooLong(256));
    if (p.protocol.size() > 256) r.error(port.field(p, "protocol"), tooLong(256));
  }
  if (std::any_of(numbers.begin(), numbers.end(), [](const auto& n) { return n.second > 1; })) {
    r.error(spec.field(se, "ports"), celInvalid("array", "port number cannot be duplicated"));
  }

  if (se.endpoints.size() > 4096) {
    r.error(spec.field(se, "endpoints"), tooMany(se.endpoints.size(), 4096));
  }
  for (size_t i = 0; i < se.endpoints.size(); ++i) {
    detail::checkWorkloadEntrySchema(se.endpoints[i], spec.item("endpoints", i, se.endpoints[i]),
                                     /*address_required=*/true, r);
  }

  if (const auto& sel = se.workload_selector) {
    Loc loc = spec.field(se, "workloadSelector");
    if (sel->labels.size() > 256) {
      r.error(loc.field(*sel, "labels"), tooMany(sel->labels.size(), 256));
    }
    for (const auto& [k, v] : sel->labels) {
      if (v.size() > 63) r.error(loc.key(*sel, "labels", k), tooLong(63));
      // The CEL wildcard rule is worded as a prefix of Istio's message, reported below.
    }
  }
}

void validateSelector(const Ctx& c) {
  const auto& sel = c.se.workload_selector;
  if (!sel) return;
  Loc loc = c.spec.field(c.se, "workloadSelector");
  for (const auto& [k, v] : sel->labels) {
    Loc entry = loc.key(*sel, "labels", k);
    std::string pair = goQuote(fmt::format("{}={}", k, v));
    if (k.empty()) {
      c.r.error(entry, fmt::format("empty key is not supported in selector: {}", pair));
    }
    if (k.find('*') != std::string::npos || v.find('*') != std::string::npos) {
      c.r.error(entry, fmt::format("wildcard is not supported in selector: {}", pair));
    }
  }
  if (sel->labels.empty()) {
    c.r.warning(loc,
                "service entry: workload selector specified without labels, will be applied to "
                "all services in namespace");
  }
  if (!c.se.endpoints.empty()) {
    c.r.error(loc, "only one of WorkloadSelector or Endpoints is allowed in Service Entry");
  }
}

void validateHostsAndAddresses(const Ctx& c) {
  const auto& se = c.se;
  if (se.hosts.empty()) {
    c.r.error(c.spec.field(se, "hosts"), "service entry must have at least one host");
  }
  for (size_t i = 0; i < se.hosts.size(); ++i) {
    const std::string& host = se.hosts[i];
    Loc loc = c.spec.item(se, "hosts", i);
    if (host == "*") {
      c.r.error(loc, fmt::format("invalid host {}", host));
      continue;
    }
    for (const auto& e : validateWildcardDomain(host)) c.r.error(loc, e);
    if (se.resolution != "DYNAMIC_DNS") {
      if (auto w = validatePartialWildCard(host)) c.r.warning(loc, *w);
    }
  }
  std::optional<Loc> cidr_at;  // the first CIDR address
  for (size_t i = 0; i < se.addresses.size(); ++i) {
    Loc loc = c.spec.item(se, "addresses", i);
    if (!cidr_at && se.addresses[i].find('/') != std::string::npos) cidr_at = loc;
    if (auto e = validateIPSubnet(se.addresses[i])) c.r.error(loc, *e);
  }
  if (cidr_at && se.resolution != "NONE" && se.resolution != "STATIC") {
    c.r.error(*cidr_at, "CIDR addresses are allowed only for NONE/STATIC resolution types");
  }
}

// Istio allocates addresses itself unless resolution is NONE, the user gave addresses, or the
// resource opts out with the label (compared case-insensitively to "false").
bool autoAllocatesAddresses(const Ctx& c) {
  if (c.se.resolution == "NONE" || !c.se.addresses.empty()) return false;
  const auto& labels = c.res.meta.labels;
  auto it = labels.find("networking.istio.io/enable-autoallocate-ip");
  if (it == labels.end()) return true;
  std::string value = it->second;
  std::transform(value.begin(), value.end(), value.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return value != "false";
}

std::set<std::string> validatePorts(const Ctx& c) {
  const auto& se = c.se;
  bool auto_allocate = autoAllocatesAddresses(c);
  std::set<std::string> names;
  std::set<uint32_t> numbers;
  for (size_t i = 0; i < se.ports.size(); ++i) {
    const auto& p = se.ports[i];
    Loc port = c.spec.item("ports", i, p);
    if (!names.insert(p.name).second) {
      c.r.error(port.field(p, "name"),
                fmt::format("service entry port name {} already defined", goQuote(p.name)));
    }
    if (!numbers.insert(p.number).second) {
      c.r.error(port.field(p, "number"),
                fmt::format("service entry port {} already defined", p.number));
    }
    if (p.target_port != 0) {
      if (auto e = validatePort(p.target_port)) c.r.error(port.field(p, "targetPort"), *e);
    }
    // Deliberately case-sensitive: "tcp" does not trigger the warning in Istio.
    if (se.addresses.empty() && !auto_allocate && (p.protocol.empty() || p.protocol == "TCP")) {
      c.r.warning(port,
                  "addresses are required for ports serving TCP (or unset) protocol when IP "
                  "Autoallocation is not enabled");
    }
    if (auto e = validatePortName(p.name)) c.r.error(port.field(p, "name"), *e);
    if (auto e = validateProtocol(p.protocol)) c.r.error(port.field(p, "protocol"), *e);
    if (auto e = validatePort(p.number)) c.r.error(port.field(p, "number"), *e);
  }
  return names;
}

void validateDnsResolution(const Ctx& c, const std::set<std::string>& port_names) {
  const auto& se = c.se;
  if (se.endpoints.empty()) {
    for (size_t i = 0; i < se.hosts.size(); ++i) {
      Errors errs = validateFQDN(se.hosts[i]);
      if (errs.empty()) continue;
      c.r.error(c.spec.item(se, "hosts", i),
                fmt::format("hosts must be FQDN or contain only prefix wildcards if no endpoints "
                            "are provided for resolution mode {}, {}",
                            se.resolution, errs.front()));
      break;
    }
  }
  if (se.resolution == "DNS_ROUND_ROBIN" && se.endpoints.size() > 1) {
    c.r.error(
        c.spec.field(se, "endpoints"),
        fmt::format("there must only be 0 or 1 endpoint for resolution mode {}", se.resolution));
  }
  for (size_t i = 0; i < se.endpoints.size(); ++i) {
    const auto& ep = se.endpoints[i];
    Loc at = c.spec.item("endpoints", i, ep);
    if (!isIPAddress(ep.address) && !validateFQDN(ep.address).empty()) {
      c.r.error(at.field(ep, "address"),
                fmt::format("endpoint address {} is not a valid FQDN or an IP address",
                            goQuote(ep.address)));
    }
    validateLabels(ep, "labels", ep.labels, at, c.r);
    for (const auto& [name, number] : ep.ports) {
      Loc port = at.key(ep, "ports", name);
      if (port_names.count(name) == 0) {
        c.r.error(port,
                  fmt::format("endpoint port {} is not defined by the service entry", number));
      }
      if (auto e = validatePortName(name)) c.r.error(port, *e);
      if (auto e = validatePort(number)) c.r.error(port, *e);
    }
  }
  if (!se.addresses.empty() && se.hosts.size() > 1) {
    for (size_t i = 0; i < se.ports.size(); ++i) {
      if (!isTCPProtocol(parseProtocol(se.ports[i].protocol))) continue;
      c.r.warning(c.spec.field(se, "hosts"),
                  "service entry can not have more than one host specified simultaneously with "
                  "address and tcp port");
      break;
    }
  }
}

void validateDynamicDnsResolution(const Ctx& c) {
  const auto& se = c.se;
  const std::string& mode = se.resolution;
  if (se.hosts.empty()) {
    c.r.error(
        c.spec.field(se, "hosts"),
        fmt::format("at least one wildcard host must be provided for resolution type {}", mode));
  }
  for (size_t i = 0; i < se.hosts.size(); ++i) {
    if (!se.hosts[i].starts_with("*")) {
      c.r.error(c.spec.item(se, "hosts", i),
                fmt::format("host must be wildcarded for resolution mode {}", mode));
    }
  }
  // Istio's two messages below lack a space between their sentences ("generatedfrom").
  if (!se.addresses.empty()) {
    c.r.error(c.spec.field(se, "addresses"),
              fmt::format("addresses cannot be set for resolution type {}. HTTP route domains "
                          "will only be generatedfrom the hosts field values",
                          mode));
  }
  if (!se.endpoints.empty()) {
    c.r.error(c.spec.field(se, "endpoints"),
              fmt::format("endpoints cannot be set for resolution type {}. Destination IP address "
                          "determined from hostsfield values",
                          mode));
  }
  for (size_t i = 0; i < se.ports.size(); ++i) {
    const auto& p = se.ports[i];
    std::string proto = parseProtocol(p.protocol);
    if (proto != "HTTP" && proto != "TLS" && proto != "GRPC" && proto != "HTTP2") {
      c.r.error(c.spec.item("ports", i, p).field(p, "protocol"),
                fmt::format("only HTTP, TLS, GRPC, and HTTP2 protocols are supported for "
                            "resolution type {}",
                            mode));
    }
  }
  if (se.location != "MESH_EXTERNAL" && se.location != "MESH_INTERNAL") {
    c.r.error(c.spec.field(se, "location"),
              fmt::format("location must be MESH_EXTERNAL or MESH_INTERNAL for resolution type {}",
                          mode));
  }
  if (se.location == "MESH_INTERNAL" && usesWaypoint(c.res)) {
    c.r.error(c.spec.field(se, "location"),
              fmt::format("location MESH_INTERNAL with resolution type {} is not supported when "
                          "using waypoints",
                          mode));
  }
}

void validateResolution(const Ctx& c, const std::set<std::string>& port_names) {
  const auto& se = c.se;
  const std::string& mode = se.resolution;
  if (mode == "NONE") {
    if (!se.endpoints.empty()) {
      c.r.error(c.spec.field(se, "endpoints"),
                "no endpoints should be provided for resolution type none");
    }
    if (se.workload_selector) {
      c.r.warning(c.spec.field(se, "workloadSelector"),
                  "workloadSelector should not be set when resolution mode is NONE");
    }
  } else if (mode == "STATIC") {
    for (size_t i = 0; i < se.endpoints.size(); ++i) {
      const auto& ep = se.endpoints[i];
      detail::validateWorkloadEntryRules(ep, c.spec.item("endpoints", i, ep), &port_names,
                                         /*allow_fqdn=*/false, c.r);
    }
  } else if (mode == "DNS" || mode == "DNS_ROUND_ROBIN") {
    validateDnsResolution(c, port_names);
  } else if (mode == "DYNAMIC_DNS") {
    validateDynamicDnsResolution(c);
  } else {
    c.r.error(c.spec.field(se, "resolution"), fmt::format("unsupported resolution type {}", mode));
  }

  // Plain TCP cannot tell hosts apart, so several hosts need HTTP or TLS ports (NONE ignores
  // the hosts).
  if (mode != "NONE" && se.hosts.size() > 1) {
    for (size_t i = 0; i < se.ports.size(); ++i) {
      std::string proto = parseProtocol(se.ports[i].protocol);
      if (!isHTTPProtocol(proto) && !isTLSProtocol(proto)) {
        c.r.error(c.spec.item("ports", i, se.ports[i]),
                  "multiple hosts provided with non-HTTP, non-TLS ports");
        break;
      }
    }
  }
}

}  // namespace

void validateServiceEntry(const api::Resource& res, const api::ServiceEntry& spec, Report& r) {
  // A document without spec decodes nothing, not even enum defaults; Go sees zero values.
  api::ServiceEntry defaulted;
  const api::ServiceEntry* se = &spec;
  if (spec.resolution.empty() || spec.location.empty()) {
    defaulted = spec;
    if (defaulted.resolution.empty()) defaulted.resolution = "NONE";
    if (defaulted.location.empty()) defaulted.location = "MESH_EXTERNAL";
    se = &defaulted;
  }
  Ctx c{res, *se, Loc("spec", se->mark), r};
  checkSchema(c);
  validateSelector(c);
  validateHostsAndAddresses(c);
  std::set<std::string> port_names = validatePorts(c);
  validateResolution(c, port_names);
  validateExportTo(res.meta.namespace_, se->export_to, /*is_service_entry=*/true,
                   /*is_destination_rule_with_selector=*/false, c.spec.field(*se, "exportTo"), r);
}

}  // namespace meshroute::validate
