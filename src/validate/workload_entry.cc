// Istio's admission rules for WorkloadEntry and WorkloadGroup, and the WorkloadEntry rules that
// ServiceEntry endpoints share (workload_entry_rules.h).
#include <fmt/format.h>

#include <algorithm>

#include "validate/common.h"
#include "validate/go_format.h"
#include "validate/schema_rules.h"
#include "validate/validate.h"
#include "validate/workload_entry_rules.h"

namespace meshroute::validate {
namespace detail {
namespace {

constexpr std::string_view kUnixPrefix = "unix://";

bool isAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// [A-Za-z0-9] first and last, `middle` characters in between; empty is no match.
bool matchesRun(std::string_view s, std::string_view middle) {
  if (s.empty() || !isAlnum(s.front()) || !isAlnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) {
    return isAlnum(c) || middle.find(c) != std::string_view::npos;
  });
}

// The CRD's port-name rule: a DNS-1123-style label (either case) shorter than 63 characters.
bool isCrdPortName(std::string_view name) { return name.size() < 63 && matchesRun(name, "-"); }

}  // namespace

void checkWorkloadEntrySchema(const api::WorkloadEntry& we, const Loc& at, bool address_required,
                              Report& report) {
  if (address_required && !we.has("address") && !we.has("network")) {
    report.error(at, celInvalid("object", "Address is required"));
  }
  const std::string& addr = we.address;
  bool uds = addr.starts_with(kUnixPrefix);
  if (we.has("address")) {
    Loc loc = at.field(we, "address");
    if (addr.size() > 256) report.error(loc, tooLong(256));
    if (uds && (addr.size() <= kUnixPrefix.size() ||
                (addr[kUnixPrefix.size()] != '/' && addr[kUnixPrefix.size()] != '@'))) {
      report.error(loc, celInvalid("string", "UDS must be an absolute path or abstract socket"));
    }
    if (uds && addr.ends_with("/")) report.error(loc, celInvalid("string", "UDS may not be a dir"));
  }
  // An empty map counts as unset, as for ServiceEntry endpoints (see service_entry.cc).
  if (uds && !we.ports.empty()) {
    report.error(at, celInvalid("object", "UDS may not include ports"));
  }
  if (we.has("ports")) {
    Loc ports = at.field(we, "ports");
    if (we.ports.size() > 128) report.error(ports, tooMany(we.ports.size(), 128));
    if (!std::all_of(we.ports.begin(), we.ports.end(),
                     [](const auto& p) { return isCrdPortName(p.first); })) {
      report.error(ports, celInvalid("object", "port name must be valid"));
    }
    for (const auto& [name, number] : we.ports) {
      if (number == 0 || number > 65535) {
        report.error(at.key(we, "ports", name), celInvalid("integer", kCelPortRangeMessage));
      }
    }
  }
  if (we.labels.size() > 256) {
    report.error(at.field(we, "labels"), tooMany(we.labels.size(), 256));
  }
  auto max_len = [&](std::string_view field, const std::string& value, size_t max) {
    if (value.size() > max) report.error(at.field(we, field), tooLong(max));
  };
  max_len("locality", we.locality, 2048);
  max_len("network", we.network, 2048);
  max_len("serviceAccount", we.service_account, 253);
}

void validateWorkloadEntryRules(const api::WorkloadEntry& we, const Loc& at,
                                const std::set<std::string>* service_ports, bool allow_fqdn,
                                Report& report) {
  const std::string& addr = we.address;
  Loc addr_loc = at.field(we, "address");
  if (addr.empty()) {
    if (we.network.empty()) {
      // Istio stops here: nothing else about an address-less entry is checked.
      report.error(addr_loc, "address is required");
      return;
    }
    report.warning(addr_loc, fmt::format("address is unset with network {}", goQuote(we.network)));
  }
  bool unix_endpoint = addr.starts_with(kUnixPrefix);
  if (unix_endpoint) {
    if (auto e = validateUnixAddress(std::string_view(addr).substr(kUnixPrefix.size()))) {
      report.error(addr_loc, *e);
    }
    if (!we.ports.empty()) {
      report.error(at.field(we, "ports"),
                   fmt::format("unix endpoint {} must not include ports", addr));
    }
  } else if (!addr.empty() && !isIPAddress(addr)) {
    if (!allow_fqdn) {
      report.error(addr_loc,
                   fmt::format("endpoint address {} is not a valid IP address", goQuote(addr)));
    } else if (!validateFQDN(addr).empty()) {
      report.error(addr_loc, fmt::format("endpoint address {} is not a valid FQDN or an IP address",
                                         goQuote(addr)));
    }
  }
  for (const auto& [name, number] : we.ports) {
    Loc port = at.key(we, "ports", name);
    if (service_ports != nullptr && service_ports->count(name) == 0) {
      report.error(port,
                   fmt::format("endpoint port {} is not defined by the service entry", number));
    }
    if (auto e = validatePortName(name)) report.error(port, *e);
    if (auto e = validatePort(number)) report.error(port, *e);
  }
  validateLabels(we, "labels", we.labels, at, report);
  if (unix_endpoint && service_ports != nullptr && service_ports->size() != 1) {
    report.error(addr_loc, "exactly 1 service port required for unix endpoints");
  }
}

}  // namespace detail

namespace {

// The CRD schema of a WorkloadGroup probe (minimums, CEL rules, header-name pattern).
void checkProbeSchema(const api::ReadinessProbe& probe, const Loc& at, Report& report) {
  auto non_negative = [&](std::string_view field, int32_t value) {
    if (value < 0) {
      Loc loc = at.field(probe, field);
      report.error(loc, belowMinimum(loc, value, 0));
    }
  };
  non_negative("initialDelaySeconds", probe.initial_delay_seconds);
  non_negative("timeoutSeconds", probe.timeout_seconds);
  non_negative("periodSeconds", probe.period_seconds);
  non_negative("successThreshold", probe.success_threshold);
  non_negative("failureThreshold", probe.failure_threshold);
  auto port_rule = [&](const api::Message& owner, const Loc& loc, uint32_t port) {
    if (owner.has("port") && (port == 0 || port > 65535)) {
      report.error(loc.field(owner, "port"), celInvalid("integer", kCelPortRangeMessage));
    }
  };
  if (const auto& h = probe.http_get) {
    Loc http = at.field(probe, "httpGet");
    port_rule(*h, http, h->port);
    if (h->has("scheme") && h->scheme != "" && h->scheme != "HTTP" && h->scheme != "HTTPS") {
      report.error(http.field(*h, "scheme"),
                   celInvalid("string", "scheme must be one of [HTTP, HTTPS]"));
    }
    for (size_t i = 0; i < h->http_headers.size(); ++i) {
      const auto& header = h->http_headers[i];
      Loc loc = http.item("httpHeaders", i, header);
      bool ok = std::all_of(header.name.begin(), header.name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_';
      });
      if (header.has("name") && (header.name.empty() || !ok)) {
        Loc name = loc.field(header, "name");
        report.error(name, patternMismatch(name, header.name, "^[-_A-Za-z0-9]+$"));
      }
    }
  }
  if (const auto& t = probe.tcp_socket) port_rule(*t, at.field(probe, "tcpSocket"), t->port);
  if (const auto& g = probe.grpc) port_rule(*g, at.field(probe, "grpc"), g->port);
  if (const auto& e = probe.exec) {
    Loc exec = at.field(probe, "exec");
    for (size_t i = 0; i < e->command.size(); ++i) {
      if (e->command[i].empty()) {
        Loc loc = exec.item(*e, "command", i);
        report.error(loc, tooShort(loc, e->command[i], 1));
      }
    }
  }
}

// Istio's validateReadinessProbe.
void validateProbe(const api::ReadinessProbe& probe, const Loc& at, Report& report) {
  auto non_negative = [&](std::string_view field, int32_t value) {
    if (value < 0) {
      report.error(at.field(probe, field), fmt::format("{} must be non-negative", field));
    }
  };
  non_negative("periodSeconds", probe.period_seconds);
  non_negative("initialDelaySeconds", probe.initial_delay_seconds);
  non_negative("timeoutSeconds", probe.timeout_seconds);
  non_negative("successThreshold", probe.success_threshold);
  non_negative("failureThreshold", probe.failure_threshold);
  // Several methods set is a decode error already; Istio's oneof holds the first one then.
  if (const auto& h = probe.http_get) {
    Loc http = at.field(probe, "httpGet");
    if (auto e = validatePort(h->port)) report.error(http.field(*h, "port"), *e);
    if (!h->scheme.empty() && h->scheme != "HTTPS" && h->scheme != "HTTP") {
      report.error(http.field(*h, "scheme"), "httpGet.scheme must be one of \"HTTPS\", \"HTTP\"");
    }
    for (size_t i = 0; i < h->http_headers.size(); ++i) {
      const auto& header = h->http_headers[i];
      Loc name = http.item("httpHeaders", i, header).field(header, "name");
      bool ok = std::all_of(header.name.begin(), header.name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-';
      });
      if (header.name.empty()) {
        report.error(name, "header name cannot be empty");
      } else if (!ok) {
        report.error(name, fmt::format("header name {} is not a valid header name", header.name));
      }
    }
  } else if (const auto& t = probe.tcp_socket) {
    if (auto e = validatePort(t->port)) {
      report.error(at.field(probe, "tcpSocket").field(*t, "port"), *e);
    }
  } else if (const auto& x = probe.exec) {
    if (x->command.empty()) report.error(at.field(probe, "exec"), "exec.command is required");
  } else if (probe.grpc) {
    // Istio's probe check knows no gRPC method and rejects it as unknown.
    report.error(at.field(probe, "grpc"),
                 "unknown health check method *v1alpha3.ReadinessProbe_Grpc");
  } else {
    report.error(at, "unknown health check method <nil>");
  }
}

}  // namespace

void validateWorkloadEntry(const api::Resource& /*res*/, const api::WorkloadEntry& we, Report& r) {
  Loc spec("spec", we.mark);
  detail::checkWorkloadEntrySchema(we, spec, /*address_required=*/true, r);
  detail::validateWorkloadEntryRules(we, spec, nullptr, /*allow_fqdn=*/true, r);
}

void validateWorkloadGroup(const api::Resource& /*res*/, const api::WorkloadGroup& wg, Report& r) {
  Loc spec("spec", wg.mark);
  if (const auto& meta = wg.metadata) {
    Loc loc = spec.field(wg, "metadata");
    if (meta->labels.size() > 256) {
      r.error(loc.field(*meta, "labels"), tooMany(meta->labels.size(), 256));
    }
    if (meta->annotations.size() > 256) {
      r.error(loc.field(*meta, "annotations"), tooMany(meta->annotations.size(), 256));
    }
    validateLabels(*meta, "labels", meta->labels, loc, r, "invalid labels: ");
  }
  if (wg.template_) {
    // Istio checks no template field: the address and more are filled in when workloads join.
    detail::checkWorkloadEntrySchema(*wg.template_, spec.field(wg, "template"),
                                     /*address_required=*/false, r);
  } else {
    r.error(spec.field(wg, "template"), "template is required");
  }
  if (const auto& probe = wg.probe) {
    Loc loc = spec.field(wg, "probe");
    checkProbeSchema(*probe, loc, r);
    validateProbe(*probe, loc, r);
  }
}

}  // namespace meshroute::validate
