// service.PortNameAnalyzer: Service ports whose name (or appProtocol) does not tell Istio the
// protocol, so that Istio falls back to sniffing or plain TCP.
#include <fmt/format.h>

#include <string>
#include <vector>

#include "analysis/analyzers/groups.h"
#include "registry/registry.h"

namespace meshroute::analysis {
namespace {

// Istio's control plane and the gateways its controllers manage are exempt.
bool exempt(const api::Resource& res) {
  const api::StringMap& labels = res.meta.labels;
  if (labels.contains("istio")) return true;
  if (auto it = labels.find("release"); it != labels.end() && it->second == "istio") return true;
  auto managed = labels.find("gateway.istio.io/managed");
  return managed != labels.end() && (managed->second == "istio.io-gateway-controller" ||
                                     managed->second == "istio.io-mesh-controller" ||
                                     managed->second == "istio.io-eastwest-controller");
}

std::string targetPortText(const std::optional<api::IntOrString>& t) {
  if (!t) return "0";
  return t->is_int ? std::to_string(t->int_value) : t->str_value;
}

void portNames(Context& ctx) {
  for (const api::Resource* res : ctx.store().all(kinds::kService)) {
    const auto* svc = res->as<api::K8sService>();
    if (svc == nullptr || exempt(*res)) continue;
    const bool external_name = svc->spec.type == "ExternalName";
    for (size_t i = 0; i < svc->spec.ports.size(); ++i) {
      const api::K8sServicePort& port = svc->spec.ports[i];
      const std::string protocol = registry::protocolFromPort(
          port.name, port.app_protocol, static_cast<uint32_t>(port.port), port.protocol);
      if (!protocol.empty() && !(port.name == "tcp" && external_name)) continue;
      const std::string field = fmt::format("spec.ports[{}].port", i);
      if (external_name) {
        ctx.report(msg::kExternalNameServiceTypeInvalidPortName, *res, field, {});
      } else {
        ctx.report(msg::kPortNameIsNotUnderNamingConvention, *res, field,
                   {port.name, int64_t{port.port}, targetPortText(port.target_port)});
      }
    }
  }
}

}  // namespace

void addServiceAnalyzers(std::vector<Analyzer>& out) {
  out.push_back({"service.PortNameAnalyzer", "Checks the port names associated with each service",
                 portNames});
}

}  // namespace meshroute::analysis
