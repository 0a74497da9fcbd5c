#include "upstream/locality_policy.h"

#include "registry/registry.h"

namespace meshroute::upstream {
namespace {

// Istio's GetLocalityLbSetting: the DestinationRule's, unless it says `enabled: false`; else
// the mesh's, unless that does.
const api::LocalityLoadBalancerSetting* localitySettingOf(const api::LoadBalancerSettings* lb,
                                                          const routing::MeshConfig& mesh) {
  if (lb != nullptr && lb->locality_lb_setting) {
    const auto& s = *lb->locality_lb_setting;
    return s.enabled && !*s.enabled ? nullptr : &s;
  }
  if (!mesh.locality_lb_setting) return nullptr;
  const auto& s = *mesh.locality_lb_setting;
  return s.enabled && !*s.enabled ? nullptr : &s;
}

// What locality placement reads of the proxy and the endpoints, with the topology labels Istio
// adds to both (failoverPriority matches on them).
struct LocalityInputs {
  LocalityInputs(const routing::Proxy& p, const std::vector<const registry::Endpoint*>& eps)
      : proxy(Locality::parse(p.locality)), proxy_labels(withTopologyLabels(p.labels, proxy, "")) {
    for (const registry::Endpoint* e : eps) {
      if (e == nullptr || e->address.empty()) continue;
      const Locality l = Locality::parse(e->locality);
      labels.push_back(withTopologyLabels(e->labels, l, e->network));
      endpoints.push_back({l, nullptr, e->weight ? e->weight : 1});
    }
    // Pointers only once `labels` stops growing.
    for (size_t i = 0; i < endpoints.size(); ++i) endpoints[i].labels = &labels[i];
  }
  Locality proxy;
  std::map<std::string, std::string> proxy_labels;
  std::vector<std::map<std::string, std::string>> labels;
  std::vector<LocalityEndpoint> endpoints;
};

}  // namespace

LocalityPlacement localityPlacement(const routing::DestinationResolution& r,
                                    const routing::Proxy& proxy, const routing::MeshConfig& mesh) {
  const api::LoadBalancerSettings* lb = r.policy.policy && r.policy.policy->load_balancer
                                            ? &*r.policy.policy->load_balancer
                                            : nullptr;
  const api::LocalityLoadBalancerSetting* setting = localitySettingOf(lb, mesh);
  const bool failover = r.policy.policy && r.policy.policy->outlier_detection;
  if (setting == nullptr || (!failover && setting->distribute.empty())) return {};
  LocalityInputs in(proxy, r.endpoints);
  return placeLocalities(in.proxy, in.proxy_labels, in.endpoints, setting, failover);
}

std::vector<LocalityEndpoint> endpointLocalities(const routing::DestinationResolution& r) {
  std::vector<LocalityEndpoint> out;
  for (const registry::Endpoint* e : r.endpoints) {
    if (e != nullptr && !e->address.empty()) {
      out.push_back({Locality::parse(e->locality), nullptr, e->weight ? e->weight : 1});
    }
  }
  return out;
}

}  // namespace meshroute::upstream
