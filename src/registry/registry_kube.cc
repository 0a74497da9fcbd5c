// Kubernetes Service -> registry Service, as Istio's kube registry builds it
// (pilot/pkg/serviceregistry/kube/conversion.go ConvertService, kube/controller/endpointslice.go,
// controller.go serviceInstancesFromWorkloadInstances).
#include <optional>
#include <string>

#include <fmt/format.h>

#include "registry/registry_internal.h"

namespace meshroute::registry::detail {
namespace {

std::string defaultedProtocol(std::string_view protocol) {
  return protocol.empty() ? "TCP" : std::string(protocol);
}

std::string trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return "";
  const auto last = s.find_last_not_of(" \t");
  return std::string(s.substr(first, last - first + 1));
}

// The networking.istio.io/exportTo annotation, comma-separated (ConvertService).
std::vector<std::string> exportToAnnotation(const api::ObjectMeta& meta) {
  std::vector<std::string> out;
  auto it = meta.annotations.find("networking.istio.io/exportTo");
  if (it == meta.annotations.end()) return out;
  std::string_view rest = it->second;
  while (true) {
    const auto comma = rest.find(',');
    std::string item = trim(rest.substr(0, comma));
    if (!item.empty()) out.push_back(std::move(item));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return out;
}

// Kubernetes' FindPort (forked in kube/controller/util.go): a named targetPort is the container
// port of that name and the service port's protocol; a numeric one is itself. The API server
// defaults an unset targetPort to the port, which manifests read from files have not had.
std::optional<uint32_t> podTargetPort(const Workload& pod, const api::K8sServicePort& sp) {
  if (!sp.target_port || (sp.target_port->is_int && sp.target_port->int_value <= 0)) {
    return static_cast<uint32_t>(sp.port);
  }
  if (sp.target_port->is_int) return static_cast<uint32_t>(sp.target_port->int_value);
  const api::PodSpec* spec = nullptr;
  if (const auto* p = pod.source->as<api::K8sPod>()) spec = &p->spec;
  if (spec == nullptr) return std::nullopt;
  const std::string protocol = defaultedProtocol(sp.protocol);
  for (const auto& c : spec->containers) {
    for (const auto& cp : c.ports) {
      if (cp.name == sp.target_port->str_value && defaultedProtocol(cp.protocol) == protocol) {
        return static_cast<uint32_t>(cp.container_port);
      }
    }
  }
  return std::nullopt;
}

// serviceInstanceFromWorkloadInstance (kube/controller/controller.go): a numeric targetPort
// lets the WorkloadEntry remap the port under the service port's name; a named one must be in
// the WorkloadEntry's ports, or the entry does not serve that port.
std::optional<uint32_t> workloadEntryTargetPort(const Workload& we, const api::K8sServicePort& sp) {
  const bool named = sp.target_port && !sp.target_port->is_int;
  if (named) {
    auto it = we.ports.find(sp.target_port->str_value);
    if (it != we.ports.end() && it->second != 0) return it->second;
    return std::nullopt;
  }
  if (auto it = we.ports.find(sp.name); it != we.ports.end() && it->second != 0) {
    return it->second;
  }
  if (sp.target_port && sp.target_port->int_value > 0) {
    return static_cast<uint32_t>(sp.target_port->int_value);
  }
  return static_cast<uint32_t>(sp.port);
}

// The Pod behind an endpoint address: same namespace first (Pod IPs are unique in a cluster,
// but files may reuse them across namespaces).
const Workload* podByIp(const BuildContext& ctx, const std::string& ip, const std::string& ns) {
  auto it = ctx.pods_by_ip.find(ip);
  if (it == ctx.pods_by_ip.end() || it->second.empty()) return nullptr;
  for (const Workload* w : it->second) {
    if (w->ns == ns) return w;
  }
  return it->second.front();
}

// Adds (or extends: slices and subsets may list one address several times) the endpoint for
// `address`; `named_ports` are the endpoint object's ports, matched to service ports by name.
void addAddress(Service& svc, const api::K8sService& k8s, const BuildContext& ctx,
                const std::string& address, bool healthy,
                const std::vector<api::EndpointPort>& named_ports) {
  Endpoint* ep = nullptr;
  for (auto& existing : svc.endpoints) {
    if (existing.address == address) ep = &existing;
  }
  if (ep == nullptr) {
    const Workload* pod = podByIp(ctx, address, svc.ns);
    Endpoint fresh = pod != nullptr ? endpointFor(*pod) : Endpoint{};
    fresh.address = address;
    fresh.healthy = healthy;
    svc.endpoints.push_back(std::move(fresh));
    ep = &svc.endpoints.back();
  }
  for (const auto& sp : k8s.spec.ports) {
    for (const auto& np : named_ports) {
      if (np.name == sp.name && np.port > 0) {
        ep->ports.emplace(static_cast<uint32_t>(sp.port), static_cast<uint32_t>(np.port));
      }
    }
  }
}

void endpointsFromSlices(Service& svc, const api::K8sService& k8s, const BuildContext& ctx,
                         const std::vector<const api::Resource*>& slices) {
  for (const api::Resource* res : slices) {
    const auto* slice = res->as<api::K8sEndpointSlice>();
    // updateEndpointCacheForSlice skips FQDN slices (istio/istio#34995).
    if (slice == nullptr || slice->address_type == "FQDN") continue;
    for (const auto& e : slice->endpoints) {
      // endpointHealthStatus: an unset `ready` counts as ready.
      const bool ready = !e.conditions || !e.conditions->ready || *e.conditions->ready;
      for (const auto& address : e.addresses) {
        addAddress(svc, k8s, ctx, address, ready, slice->ports);
      }
    }
  }
}

void endpointsFromEndpoints(Service& svc, const api::K8sService& k8s, const BuildContext& ctx,
                            const api::K8sEndpoints& eps) {
  for (const auto& subset : eps.subsets) {
    for (const auto& a : subset.addresses) addAddress(svc, k8s, ctx, a.ip, true, subset.ports);
    for (const auto& a : subset.not_ready_addresses) {
      addAddress(svc, k8s, ctx, a.ip, false, subset.ports);
    }
  }
}

// No Endpoints/EndpointSlice object: the endpoints Kubernetes would make from the selected Pods.
void endpointsFromPods(Service& svc, const api::K8sService& k8s, const BuildContext& ctx) {
  for (const Workload* wp : workloadsIn(ctx, svc.ns)) {
    const Workload& w = *wp;
    if (w.kind != WorkloadKind::kPod || podTerminated(w) ||
        !selectorMatches(svc.selector, w.labels)) {
      continue;
    }
    Endpoint ep = endpointFor(w);
    for (const auto& sp : k8s.spec.ports) {
      if (auto port = podTargetPort(w, sp)) ep.ports.emplace(static_cast<uint32_t>(sp.port), *port);
    }
    svc.endpoints.push_back(std::move(ep));
  }
}

// WorkloadEntries selected by a Kubernetes Service (serviceInstancesFromWorkloadInstances): only
// for internal client-side-LB services with a selector, only entries in the same namespace that
// have labels and an IP address (hostname entries are never handed to the kube registry).
void endpointsFromWorkloadEntries(Service& svc, const api::K8sService& k8s,
                                  const BuildContext& ctx) {
  if (svc.resolution != Resolution::kStatic || svc.mesh_external || svc.selector.empty()) return;
  for (const Workload* wp : workloadsIn(ctx, svc.ns)) {
    const Workload& w = *wp;
    if (w.kind != WorkloadKind::kWorkloadEntry || w.labels.empty() || isDnsOnlyAddress(w.address) ||
        !selectorMatches(svc.selector, w.labels)) {
      continue;
    }
    Endpoint ep = endpointFor(w);
    for (const auto& sp : k8s.spec.ports) {
      if (auto port = workloadEntryTargetPort(w, sp)) {
        ep.ports.emplace(static_cast<uint32_t>(sp.port), *port);
      }
    }
    svc.endpoints.push_back(std::move(ep));
  }
}

}  // namespace

void addKubernetesService(const api::Resource& res, const BuildContext& ctx,
                          std::vector<Service>& out) {
  const auto* k8s = res.as<api::K8sService>();
  if (k8s == nullptr || res.meta.name.empty()) return;
  const auto& spec = k8s->spec;
  Service svc;
  svc.name = res.meta.name;
  svc.ns = res.meta.namespace_;
  svc.hostname = svc.name + "." + svc.ns + ".svc." + ctx.options->cluster_domain;
  svc.source = &res;
  svc.selector = spec.selector;
  svc.export_to = exportToAnnotation(res.meta);
  // ConvertService: ExternalName makes an alias (mesh external); clusterIP None a headless
  // (passthrough) service, even over ExternalName.
  svc.resolution = Resolution::kStatic;
  if (spec.type == "ExternalName" && !spec.external_name.empty()) {
    svc.resolution = Resolution::kAlias;
    svc.external_name = spec.external_name;
    svc.mesh_external = true;
  }
  if (spec.cluster_ip == "None") {
    svc.resolution = Resolution::kNone;
  } else if (!spec.cluster_ip.empty()) {
    svc.addresses =
        spec.cluster_ips.size() > 1 ? spec.cluster_ips : std::vector<std::string>{spec.cluster_ip};
  }
  for (const auto& p : spec.ports) {
    ServicePort sp;
    sp.name = p.name;
    sp.port = static_cast<uint32_t>(p.port);
    sp.protocol = protocolFromPort(p.name, p.app_protocol, sp.port, p.protocol);
    if (p.target_port && p.target_port->is_int) {
      if (p.target_port->int_value > 0 && p.target_port->int_value != p.port) {
        sp.target_port = static_cast<uint32_t>(p.target_port->int_value);
      }
    } else if (p.target_port) {
      sp.target_port_name = p.target_port->str_value;
    }
    svc.ports.push_back(std::move(sp));
  }

  // Istio reads EndpointSlices; meshroute also takes a v1 Endpoints object when no slice exists,
  // and, with neither, the Pods Kubernetes would list (a cluster stand-in, not an Istio rule).
  const std::string key = fmt::format("{}/{}", svc.ns, svc.name);
  if (auto slices = ctx.slices_by_service.find(key); slices != ctx.slices_by_service.end()) {
    endpointsFromSlices(svc, *k8s, ctx, slices->second);
  } else if (auto eps = ctx.endpoints_by_service.find(key); eps != ctx.endpoints_by_service.end()) {
    endpointsFromEndpoints(svc, *k8s, ctx, *eps->second->as<api::K8sEndpoints>());
  } else {
    endpointsFromPods(svc, *k8s, ctx);
  }
  endpointsFromWorkloadEntries(svc, *k8s, ctx);

  for (const Workload* w : workloadsIn(ctx, svc.ns)) {
    if (w->kind == WorkloadKind::kDeployment && selectorMatches(svc.selector, w->labels)) {
      svc.template_workloads.push_back(w);
    }
  }
  out.push_back(std::move(svc));
}

}  // namespace meshroute::registry::detail
