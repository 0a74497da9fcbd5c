// deployment.MultiServiceAnalyzer: a meshed Deployment's Pods selected by several Services
// that disagree on a port's protocol, or map one targetPort to different ports.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/analyzers/groups.h"

namespace meshroute::analysis {
namespace {

std::optional<std::string_view> lookup(const api::StringMap& map, std::string_view key) {
  auto it = map.find(std::string(key));
  if (it == map.end()) return std::nullopt;
  return it->second;
}

// Whether the Deployment's Pods get a sidecar: a written istio-proxy container, else the
// template's inject label, else its inject annotation, else the namespace's injection label.
bool deploymentInMesh(const api::Resource& res, const api::K8sDeployment& deployment,
                      const Store& store) {
  const api::PodTemplate& pod = deployment.spec.template_;
  for (const api::Container& container : pod.spec.containers) {
    if (container.name == "istio-proxy") {
      if (!container.image.empty()) return true;
      break;
    }
  }
  if (auto inject = lookup(pod.metadata.labels, "sidecar.istio.io/inject"))
    return *inject == "true";
  if (auto inject = lookup(pod.metadata.annotations, "sidecar.istio.io/inject")) {
    return *inject == "true";
  }
  if (const api::Resource* ns = store.find(kinds::kNamespace, "", res.meta.namespace_)) {
    return lookup(ns->meta.labels, "istio-injection") == "enabled";
  }
  return false;
}

bool isWaypoint(const api::Resource& res) {
  return lookup(res.meta.labels, "gateway.istio.io/managed") == "istio.io-mesh-controller";
}

struct NamedService {
  std::string name;  // "ns/name"
  const api::ServiceSpec* spec = nullptr;
};

// Services in the Deployment's namespace whose (non-empty) selector matches its Pod template.
std::vector<NamedService> selectingServices(const api::Resource& res,
                                            const api::K8sDeployment& deployment,
                                            const Store& store) {
  const api::StringMap& labels = deployment.spec.template_.metadata.labels;
  std::vector<NamedService> out;
  for (const api::Resource* svc_res : store.all(kinds::kService)) {
    const auto* svc = svc_res->as<api::K8sService>();
    if (svc == nullptr || svc->spec.selector.empty()) continue;
    if (svc_res->meta.namespace_ != res.meta.namespace_) continue;
    bool matches =
        std::all_of(svc->spec.selector.begin(), svc->spec.selector.end(), [&](const auto& entry) {
          auto it = labels.find(entry.first);
          return it != labels.end() && it->second == entry.second;
        });
    if (!matches) continue;
    std::string name = svc_res->meta.namespace_.empty()
                           ? svc_res->meta.name
                           : fmt::format("{}/{}", svc_res->meta.namespace_, svc_res->meta.name);
    out.push_back({std::move(name), &svc->spec});
  }
  return out;
}

void checkPortProtocols(Context& ctx, const api::Resource& res,
                        const std::vector<NamedService>& services) {
  // port -> protocol (TCP when unset) -> services
  std::map<int32_t, std::map<std::string, std::vector<std::string>>> ports;
  for (const NamedService& svc : services) {
    for (const api::K8sServicePort& port : svc.spec->ports) {
      std::string protocol = port.protocol.empty() ? "TCP" : port.protocol;
      ports[port.port][protocol].push_back(svc.name);
    }
  }
  for (const auto& [port, protocols] : ports) {
    if (protocols.size() < 2) continue;
    std::vector<std::string> names;
    for (const auto& [protocol, svc_names] : protocols) {
      names.insert(names.end(), svc_names.begin(), svc_names.end());
    }
    std::sort(names.begin(), names.end());
    ctx.report(msg::kDeploymentAssociatedToMultipleServices, res, "metadata.name",
               {res.meta.name, static_cast<int64_t>(port), goList(names)});
  }
}

// A targetPort as Kubernetes prints it; unset (or 0) means the port itself.
std::string targetPortText(const api::K8sServicePort& port) {
  if (port.target_port) {
    const api::IntOrString& target = *port.target_port;
    std::string text = target.is_int ? std::to_string(target.int_value) : target.str_value;
    if (!text.empty() && text != "0") return text;
  }
  return std::to_string(port.port);
}

void checkTargetPorts(Context& ctx, const api::Resource& res,
                      const std::vector<NamedService>& services) {
  // targetPort -> port -> the last service naming that pair
  std::map<std::string, std::map<int32_t, std::string>> targets;
  for (const NamedService& svc : services) {
    for (const api::K8sServicePort& port : svc.spec->ports) {
      targets[targetPortText(port)][port.port] = svc.name;
    }
  }
  for (const auto& [target, ports] : targets) {
    if (ports.size() < 2) continue;
    std::vector<std::string> names;
    std::vector<std::string> numbers;  // ascending, as the map iterates
    for (const auto& [port, name] : ports) {
      names.push_back(name);
      numbers.push_back(std::to_string(port));
    }
    std::sort(names.begin(), names.end());
    ctx.report(msg::kDeploymentConflictingPorts, res, "metadata.name",
               {res.meta.name, goList(names), target, goList(numbers)});
  }
}

void runMultiService(Context& ctx) {
  for (const api::Resource* res : ctx.store().all(kinds::kDeployment)) {
    const auto* deployment = res->as<api::K8sDeployment>();
    if (deployment == nullptr || isWaypoint(*res) ||
        !deploymentInMesh(*res, *deployment, ctx.store())) {
      continue;
    }
    const std::vector<NamedService> services = selectingServices(*res, *deployment, ctx.store());
    checkPortProtocols(ctx, *res, services);
    checkTargetPorts(ctx, *res, services);
  }
}

}  // namespace

void addDeploymentAnalyzers(std::vector<Analyzer>& out) {
  out.push_back({"deployment.MultiServiceAnalyzer", "Checks association between services and pods",
                 &runMultiService});
}

}  // namespace meshroute::analysis
