// Phase 1 of the registry build: every workload, before any service points at one.
#include <algorithm>
#include <string>

#include <fmt/format.h>

#include "registry/registry_internal.h"

namespace meshroute::registry::detail {
namespace {

// Kubernetes defaults an empty container/service port protocol to TCP.
bool isTcp(std::string_view protocol) { return protocol.empty() || protocol == "TCP"; }

// Istio's getPortMap (kube/controller/pod.go): named TCP container ports, first name wins.
std::map<std::string, uint32_t> containerPortMap(const api::PodSpec& spec) {
  std::map<std::string, uint32_t> out;
  for (const auto& c : spec.containers) {
    for (const auto& p : c.ports) {
      if (p.name.empty() || !isTcp(p.protocol) || p.container_port <= 0) continue;
      out.emplace(p.name, static_cast<uint32_t>(p.container_port));
    }
  }
  return out;
}

// Istio's pm.GetLocalityLabel + SanitizeLocalityLabel: the locality of a WorkloadEntry that
// names none comes from its topology.istio.io/locality (or legacy istio-locality) label, with
// Kubernetes-safe '.' separators turned into '/'.
std::string localityOf(const api::WorkloadEntry& we) {
  if (!we.locality.empty()) return we.locality;
  std::string label;
  if (auto it = we.labels.find("topology.istio.io/locality"); it != we.labels.end()) {
    label = it->second;
  } else if (auto legacy = we.labels.find("istio-locality"); legacy != we.labels.end()) {
    label = legacy->second;
  }
  if (label.find('/') == std::string::npos) std::replace(label.begin(), label.end(), '.', '/');
  return label;
}

Workload fromWorkloadEntry(const api::WorkloadEntry& we, WorkloadKind kind, std::string name,
                           std::string ns, const api::Resource& res) {
  Workload w;
  w.kind = kind;
  w.name = std::move(name);
  w.ns = std::move(ns);
  w.labels = we.labels;
  w.address = we.address;
  w.ports = we.ports;
  w.locality = localityOf(we);
  w.weight = we.weight;
  w.network = we.network;
  w.service_account = we.service_account;
  w.source = &res;
  return w;
}

bool isDnsResolution(const api::ServiceEntry& se) {
  return se.resolution == "DNS" || se.resolution == "DNS_ROUND_ROBIN";
}

// Istio's getPodLocality: the Pod's istio-locality label, else its Node's topology labels
// (region, zone, and topology.istio.io/subzone). A Pod manifest without a Node in the input
// may carry those topology labels itself (meshroute's addition, for files without Nodes).
std::string podLocality(const api::Resource& res, const api::K8sPod& pod,
                        const std::map<std::string, const api::StringMap*>& nodes) {
  for (const char* key : {"istio-locality", "topology.istio.io/locality"}) {
    if (auto it = res.meta.labels.find(key); it != res.meta.labels.end() && !it->second.empty()) {
      std::string label = it->second;
      if (label.find('/') == std::string::npos) std::replace(label.begin(), label.end(), '.', '/');
      return label;
    }
  }
  const api::StringMap* labels = &res.meta.labels;
  if (auto node = nodes.find(pod.spec.node_name); node != nodes.end()) labels = node->second;
  auto get = [&](std::initializer_list<const char*> keys) -> std::string {
    for (const char* key : keys) {
      if (auto it = labels->find(key); it != labels->end()) return it->second;
    }
    return "";
  };
  const std::string region =
      get({"topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/region"});
  const std::string zone =
      get({"topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone"});
  const std::string subzone = get({"topology.istio.io/subzone"});
  if (region.empty() && zone.empty() && subzone.empty()) return "";
  return region + "/" + zone + "/" + subzone;
}

}  // namespace

void buildWorkloads(const std::vector<api::Resource>& resources, std::vector<Workload>& out,
                    BuildContext& ctx) {
  std::map<std::string, const api::StringMap*> nodes;
  for (const auto& res : resources) {
    if (res.as<api::K8sNode>() != nullptr) nodes[res.meta.name] = &res.meta.labels;
  }
  for (const auto& res : resources) {
    const std::string& ns = res.meta.namespace_;
    const std::string& name = res.meta.name.empty() ? res.meta.generate_name : res.meta.name;
    if (const auto* pod = res.as<api::K8sPod>()) {
      Workload w;
      w.kind = WorkloadKind::kPod;
      w.name = name;
      w.ns = ns;
      w.labels = res.meta.labels;
      w.address = pod->status.pod_ip;
      w.ports = containerPortMap(pod->spec);
      w.locality = podLocality(res, *pod, nodes);
      w.service_account = pod->spec.service_account_name;
      w.source = &res;
      out.push_back(std::move(w));
    } else if (const auto* dep = res.as<api::K8sDeployment>()) {
      Workload w;
      w.kind = WorkloadKind::kDeployment;
      w.name = name;
      w.ns = ns;
      w.labels = dep->spec.template_.metadata.labels;
      w.ports = containerPortMap(dep->spec.template_.spec);
      w.service_account = dep->spec.template_.spec.service_account_name;
      w.replicas = dep->spec.replicas;
      w.source = &res;
      out.push_back(std::move(w));
    } else if (const auto* we = res.as<api::WorkloadEntry>()) {
      // Istio's ConvertWorkloadEntry: metadata labels merged over spec labels (metadata wins).
      api::WorkloadEntry merged = *we;
      for (const auto& [k, v] : res.meta.labels) merged.labels[k] = v;
      out.push_back(fromWorkloadEntry(merged, WorkloadKind::kWorkloadEntry, name, ns, res));
    } else if (const auto* se = res.as<api::ServiceEntry>()) {
      // A workloadSelector makes Istio ignore spec.endpoints (services() in
      // serviceentry/conversion.go takes the selector branch first).
      if (se->workload_selector) continue;
      if (!se->endpoints.empty()) {
        ctx.se_endpoints_first[&res] = out.size();
        for (size_t i = 0; i < se->endpoints.size(); ++i) {
          // Istio names an inline endpoint "<ServiceEntry name>-<index>".
          out.push_back(fromWorkloadEntry(se->endpoints[i], WorkloadKind::kServiceEntryEndpoint,
                                          name + "-" + std::to_string(i), ns, res));
        }
      } else if (isDnsResolution(*se)) {
        // convertServiceEntryToInstances: a DNS ServiceEntry with neither endpoints nor a
        // selector resolves each host itself.
        ctx.se_dns_hosts_first[&res] = out.size();
        for (const auto& host : se->hosts) {
          Workload w;
          w.kind = WorkloadKind::kDnsHost;
          w.name = host;
          w.ns = ns;
          w.address = host;
          w.source = &res;
          out.push_back(std::move(w));
        }
      }
    } else if (res.as<api::K8sEndpoints>() != nullptr) {
      ctx.endpoints_by_service.emplace(fmt::format("{}/{}", ns, name), &res);
    } else if (res.as<api::K8sEndpointSlice>() != nullptr) {
      auto it = res.meta.labels.find("kubernetes.io/service-name");
      // A slice without the label belongs to no Service (getServiceNamespacedName).
      if (it != res.meta.labels.end() && !it->second.empty()) {
        ctx.slices_by_service[fmt::format("{}/{}", ns, it->second)].push_back(&res);
      }
    }
  }
}

bool podTerminated(const Workload& w) {
  if (w.kind != WorkloadKind::kPod || w.source == nullptr) return false;
  const auto* pod = w.source->as<api::K8sPod>();
  return pod != nullptr && (pod->status.phase == "Failed" || pod->status.phase == "Succeeded");
}

// A Pod manifest without status (the usual case in files) is taken as a Pod that will run, like
// a Deployment template; a Pod whose status says Pending, or that has a phase but no IP yet, is
// not ready (Kubernetes lists it under notReadyAddresses, or not at all).
bool podReady(const Workload& w) {
  if (w.kind != WorkloadKind::kPod || w.source == nullptr) return true;
  const auto* pod = w.source->as<api::K8sPod>();
  if (pod == nullptr) return true;
  const std::string& phase = pod->status.phase;
  if (phase.empty()) return true;
  return phase == "Running" && !pod->status.pod_ip.empty();
}

Endpoint endpointFor(const Workload& w) {
  Endpoint ep;
  ep.address = w.address;
  ep.labels = w.labels;
  ep.locality = w.locality;
  ep.weight = w.weight == 0 ? 1 : w.weight;  // Envoy's default load-balancing weight
  ep.network = w.network;
  ep.workload = &w;
  ep.healthy = podReady(w);
  return ep;
}

}  // namespace meshroute::registry::detail
