// Per-destination resolution: for one (proxy, host, subset, port) chosen by a route, which
// DestinationRule applies, whether the subset exists, which endpoints it selects, the traffic
// policy in force and the Envoy cluster name. Mirrors what istiod builds as Envoy clusters.
//
//   DestinationIndex index = DestinationIndex::build(resources, registry, mesh);
//   DestinationResolution r = index.resolve(proxy, "reviews.default.svc.cluster.local", "v2",
//   9080); if (r.status == DestinationStatus::kNoCluster) ...   // 503, response flag NC
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/resource.h"
#include "registry/registry.h"
#include "routing/request.h"

namespace meshroute::routing {

enum class DestinationStatus {
  kOk,                 // cluster exists and has endpoints
  kNoCluster,          // subset not defined by any visible DestinationRule: Envoy 503, flag NC
  kNoHealthyUpstream,  // cluster exists but selects no endpoint: 503 "no healthy upstream", UH
  kUnknownHost,        // no service for the host: the cluster does not exist either (503, NC)
};
std::string_view destinationStatusName(DestinationStatus s);

// The effective traffic policy for the cluster: the DestinationRule's top-level policy with the
// subset's policy and the matching portLevelSettings merged in, as Istio merges them (field by
// field: connectionPool, loadBalancer, outlierDetection, tls, tunnel, proxyProtocol...).
struct EffectivePolicy {
  std::optional<api::TrafficPolicy> policy;  // nullopt: no DestinationRule policy applies
  // Envoy's cluster lb_policy as istiod sets it: "LEAST_REQUEST" when the rule sets none (istiod
  // sets it explicitly, Envoy's own ROUND_ROBIN default never shows), "ROUND_ROBIN", "RANDOM",
  // "RING_HASH"/"MAGLEV" (consistentHash), "CLUSTER_PROVIDED" (passthrough, dynamic DNS).
  std::string load_balancer;
  std::string tls_mode;   // "ISTIO_MUTUAL" (auto mTLS default), "DISABLE", "SIMPLE", ...
  bool tls_auto = false;  // tls_mode comes from auto mTLS / the default, not from the rule
};

struct DestinationResolution {
  DestinationStatus status = DestinationStatus::kOk;
  std::string cluster;  // "outbound|9080|v2|reviews.default.svc.cluster.local"
  const registry::Service* service = nullptr;
  const api::Resource* destination_rule = nullptr;  // the DR in force, if any
  const api::Subset* subset = nullptr;              // the subset definition, if any
  std::map<std::string, std::string> subset_labels;
  std::vector<const registry::Endpoint*> endpoints;  // after subset label selection
  EffectivePolicy policy;
  // Plain-words explanation of a problem, naming the cause (e.g. "subset v4 is not defined in
  // DestinationRule default/reviews (defines v1, v2, v3)", "subset v2 selects 0 of 3
  // endpoints: pods have version=2.0").
  std::string problem;

  // Added by the destination helper (h8):
  uint32_t port = 0;  // the service port used (the only port when 0 was asked)
  const registry::ServicePort* service_port = nullptr;
  // Every DestinationRule merged into the one in force (same host and namespace), in Istio's
  // order; destination_rule is the first. merged_rule is the merged spec (subsets of all).
  std::vector<const api::Resource*> destination_rules;
  const api::DestinationRule* merged_rule = nullptr;
  // Where the lookup found the rule, e.g. "in the proxy's namespace default"; "" when none.
  std::string rule_found;
  // For a Kubernetes ExternalName service (an alias in Istio): the alias; `service`, the
  // cluster and everything else are then those of the target host it names.
  const registry::Service* alias = nullptr;
  // When a Kubernetes service has no endpoints (no Pods, Endpoints or EndpointSlices), the
  // Deployments of Service::template_workloads the subset selects: their pods would be the
  // endpoints. Non-empty only in that case; status is then kOk.
  std::vector<const registry::Workload*> template_workloads;
};

class DestinationIndex {
 public:
  // `resources` and `registry` must outlive the index.
  static std::shared_ptr<const DestinationIndex> build(const std::vector<api::Resource>& resources,
                                                       const registry::Registry& registry,
                                                       const MeshConfig& mesh);
  // The same from a list of services (tests build them by hand); `services` must outlive the
  // index.
  static std::shared_ptr<const DestinationIndex> build(
      const std::vector<api::Resource>& resources, const std::vector<registry::Service>& services,
      const MeshConfig& mesh);
  // Resolves `host` (FQDN as routed), `subset` ("" for none) and `port` (the service port)
  // for traffic leaving `proxy`. Istio's DestinationRule lookup: the proxy's namespace, then
  // the service's namespace, then the root namespace; exportTo visibility; workloadSelector;
  // most specific host (exact beats wildcard); merging of several rules for one host.
  // The result points into the index and the registry: keep them alive while using it.
  [[nodiscard]] DestinationResolution resolve(const Proxy& proxy, std::string_view host,
                                              std::string_view subset, uint32_t port) const;
  virtual ~DestinationIndex() = default;

 protected:
  DestinationIndex() = default;
};

}  // namespace meshroute::routing
