// Per-destination resolution: for one (proxy, host, subset, port) chosen by a route, which
// DestinationRule applies, whether the subset exists, which endpoints it selects, the traffic
// policy in force and the Envoy cluster name. Mirrors what istiod builds as Envoy clusters.
//
//   DestinationIndex index = DestinationIndex::build(resources, registry, mesh);
//   DestinationResolution r = index.resolve(proxy, "reviews.default.svc.cluster.local", "v2",
//   9080); if (r.status == DestinationStatus::kNoCluster) ...   // 503, response flag NC
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
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
  std::string load_balancer;  // "ROUND_ROBIN" (Envoy's default when unset), "LEAST_REQUEST", ...
  std::string tls_mode;       // "ISTIO_MUTUAL" (auto mTLS default), "DISABLE", "SIMPLE", ...
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
};

class DestinationIndex {
 public:
  // `resources` and `registry` must outlive the index.
  static std::shared_ptr<const DestinationIndex> build(const std::vector<api::Resource>& resources,
                                                       const registry::Registry& registry,
                                                       const MeshConfig& mesh);
  // Resolves `host` (FQDN as routed), `subset` ("" for none) and `port` (the service port)
  // for traffic leaving `proxy`. Istio's DestinationRule lookup: the proxy's namespace, then
  // the service's namespace, then the root namespace; exportTo visibility; workloadSelector;
  // most specific host (exact beats wildcard); merging of several rules for one host.
  [[nodiscard]] DestinationResolution resolve(const Proxy& proxy, std::string_view host,
                                              std::string_view subset, uint32_t port) const;
  virtual ~DestinationIndex() = default;

 protected:
  DestinationIndex() = default;
};

}  // namespace meshroute::routing
