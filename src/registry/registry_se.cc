// ServiceEntry -> registry Services, as Istio's serviceentry registry builds them
// (pilot/pkg/serviceregistry/serviceentry/conversion.go: convertServices,
// convertServiceEntryToInstances, convertWorkloadInstanceToServiceInstance, services()).
#include <algorithm>
#include <charconv>
#include <string>

#include "registry/registry_internal.h"

namespace meshroute::registry::detail {
namespace {

Resolution seResolution(std::string_view r) {
  // The proto default (field unset) is NONE.
  if (r == "STATIC") return Resolution::kStatic;
  if (r == "DNS") return Resolution::kDns;
  if (r == "DNS_ROUND_ROBIN") return Resolution::kDnsRoundRobin;
  if (r == "DYNAMIC_DNS") return Resolution::kDynamicDns;
  return Resolution::kNone;
}

// convertServices keeps IP addresses and CIDRs; a CIDR covering one address becomes that
// address; anything else is dropped.
std::vector<std::string> seAddresses(const std::vector<std::string>& in) {
  std::vector<std::string> out;
  for (const auto& a : in) {
    if (isIpAddress(a)) {
      out.push_back(a);
      continue;
    }
    const auto slash = a.find('/');
    if (slash == std::string::npos) continue;
    const std::string ip = a.substr(0, slash);
    const std::string_view bits_text = std::string_view(a).substr(slash + 1);
    int bits = -1;
    auto [end, ec] = std::from_chars(bits_text.data(), bits_text.data() + bits_text.size(), bits);
    const int max_bits = ip.find(':') == std::string::npos ? 32 : 128;
    if (!isIpAddress(ip) || ec != std::errc() || end != bits_text.data() + bits_text.size() ||
        bits < 0 || bits > max_bits) {
      continue;
    }
    out.push_back(bits == max_bits ? ip : a);
  }
  return out;
}

// convertWorkloadInstanceToServiceInstance: unix socket > the workload's port of the service
// port's name > the service port's targetPort > its number.
Endpoint seEndpoint(const Workload& w, const api::ServiceEntry& se) {
  Endpoint ep = endpointFor(w);
  constexpr std::string_view kUnix = "unix://";
  const bool unix_socket = w.address.rfind(kUnix, 0) == 0;
  if (unix_socket) ep.address = w.address.substr(kUnix.size());
  for (const auto& p : se.ports) {
    uint32_t port = p.number;
    if (unix_socket) {
      port = 0;
    } else if (auto it = w.ports.find(p.name); it != w.ports.end() && it->second > 0) {
      port = it->second;
    } else if (p.target_port > 0) {
      port = p.target_port;
    }
    ep.ports.emplace(p.number, port);
  }
  return ep;
}

// The workloads a workloadSelector picks: Pods and WorkloadEntries of the ServiceEntry's
// namespace whose labels include the selector's (krt FilterLabel: SubsetOf, so an empty selector
// picks all); hostname entries only for DNS services; sorted by kind, namespace, name as
// services() does for determinism.
std::vector<const Workload*> selectedWorkloads(const api::Resource& res,
                                               const api::ServiceEntry& se, const BuildContext& ctx,
                                               bool dns) {
  std::vector<const Workload*> out;
  for (const Workload* wp : workloadsIn(ctx, res.meta.namespace_)) {
    const Workload& w = *wp;
    if ((w.kind != WorkloadKind::kPod && w.kind != WorkloadKind::kWorkloadEntry) ||
        podTerminated(w) || !labelsMatch(se.workload_selector->labels, w.labels)) {
      continue;
    }
    if (w.kind == WorkloadKind::kWorkloadEntry && isDnsOnlyAddress(w.address) && !dns) continue;
    out.push_back(&w);
  }
  std::stable_sort(out.begin(), out.end(), [](const Workload* a, const Workload* b) {
    // Istio's PodKind sorts before WorkloadEntryKind.
    const bool a_pod = a->kind == WorkloadKind::kPod;
    const bool b_pod = b->kind == WorkloadKind::kPod;
    if (a_pod != b_pod) return a_pod;
    if (a->ns != b->ns) return a->ns < b->ns;
    return a->name < b->name;
  });
  return out;
}

}  // namespace

void addServiceEntryServices(const api::Resource& res, const BuildContext& ctx,
                             std::vector<Service>& out) {
  const auto* se = res.as<api::ServiceEntry>();
  if (se == nullptr) return;
  const Resolution resolution = seResolution(se->resolution);
  const bool dns = resolution == Resolution::kDns || resolution == Resolution::kDnsRoundRobin;

  std::vector<ServicePort> ports;
  for (const auto& p : se->ports) {
    ServicePort sp;
    sp.name = p.name;
    sp.port = p.number;
    sp.protocol = parseProtocolName(p.protocol);  // protocol.Parse: case-insensitive
    sp.target_port = p.target_port;
    ports.push_back(std::move(sp));
  }

  std::vector<const Workload*> selected;
  std::vector<const Workload*> templates;
  if (se->workload_selector) {
    selected = selectedWorkloads(res, *se, ctx, dns);
    for (const Workload* w : workloadsIn(ctx, res.meta.namespace_)) {
      if (w->kind == WorkloadKind::kDeployment &&
          labelsMatch(se->workload_selector->labels, w->labels)) {
        templates.push_back(w);
      }
    }
  }
  const auto endpoints_first = ctx.se_endpoints_first.find(&res);
  const auto dns_first = ctx.se_dns_hosts_first.find(&res);

  for (size_t i = 0; i < se->hosts.size(); ++i) {
    Service svc;
    svc.hostname = se->hosts[i];
    svc.ns = res.meta.namespace_;
    svc.name = res.meta.name;
    svc.from_service_entry = true;
    // The proto default location (unset) is MESH_EXTERNAL.
    svc.mesh_external = se->location != "MESH_INTERNAL";
    svc.resolution = resolution;
    svc.ports = ports;
    svc.addresses = seAddresses(se->addresses);
    svc.export_to = se->export_to;
    if (se->workload_selector) svc.selector = se->workload_selector->labels;
    svc.source = &res;
    if (se->workload_selector) {
      for (const Workload* w : selected) svc.endpoints.push_back(seEndpoint(*w, *se));
      svc.template_workloads = templates;
    } else if (endpoints_first != ctx.se_endpoints_first.end()) {
      for (size_t j = 0; j < se->endpoints.size(); ++j) {
        svc.endpoints.push_back(seEndpoint((*ctx.workloads)[endpoints_first->second + j], *se));
      }
    } else if (dns_first != ctx.se_dns_hosts_first.end()) {
      // The host resolves itself: address = hostname, port = targetPort or number, no labels.
      Endpoint ep = endpointFor((*ctx.workloads)[dns_first->second + i]);
      for (const auto& p : se->ports) {
        ep.ports.emplace(p.number, p.target_port > 0 ? p.target_port : p.number);
      }
      svc.endpoints.push_back(std::move(ep));
    }
    out.push_back(std::move(svc));
  }
}

}  // namespace meshroute::registry::detail
