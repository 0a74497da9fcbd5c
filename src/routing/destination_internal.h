// Internals of DestinationIndex shared by destination_index.cc (building the DestinationRule
// indexes as istiod does) and destination_resolve.cc (per-request resolution). Not for other
// modules: use routing/destination.h.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "routing/destination.h"

namespace meshroute::routing::detail {

using ExportSet = std::set<std::string>;

// One DestinationRule as istiod indexes it: possibly several rules of one namespace and host
// merged into the first (Istio's ConsolidatedDestRule).
struct ConsolidatedRule {
  ExportSet export_to;  // effective exportTo ({"."} for rules with a workloadSelector)
  // The merged spec: the first rule's own spec (in its resource) until a second rule merges
  // into it, a copy of its own from then on. Most rules never merge, and each rule sits in two
  // or three indexes: sharing saves a copy of several KB in each. Its host is as written.
  const api::DestinationRule* spec = nullptr;
  std::unique_ptr<api::DestinationRule> merged;
  std::string host;                        // the spec's host resolved to an FQDN
  std::vector<const api::Resource*> from;  // merged sources, first one first
  [[nodiscard]] const std::string& ns() const { return from.front()->meta.namespace_; }
  [[nodiscard]] bool hasSelector() const { return spec->workload_selector.has_value(); }
  api::DestinationRule& mergeTarget() {
    if (!merged) {
      merged = std::make_unique<api::DestinationRule>(*spec);
      spec = merged.get();
    }
    return *merged;
  }
};

// Rules of one index keyed by host, exact hosts apart from wildcard ones.
struct HostRules {
  std::unordered_map<std::string, std::vector<ConsolidatedRule*>> specific;
  std::unordered_map<std::string, std::vector<ConsolidatedRule*>> wildcard;
  // Istio's MostSpecificHostMatch (pilot/pkg/model/config.go): an exact key first, else the
  // most specific wildcard key covering `host`. Null when none.
  [[nodiscard]] const std::vector<ConsolidatedRule*>* mostSpecific(std::string_view host) const;
};

// One DestinationRule resource with its resolved host, in Istio's processing order.
struct SortedRule {
  const api::Resource* res = nullptr;
  const api::DestinationRule* spec = nullptr;  // the resource's; its host as written
  std::string host;                            // resolved FQDN
};

// The outcome of the namespace-ordered lookup (PushContext.destinationRule) narrowed to the
// proxy (SidecarScope.DestinationRule).
struct RuleLookup {
  const ConsolidatedRule* rule = nullptr;
  // Where the lookup stopped, "in the proxy's namespace default", ...; set even when the rules
  // found there do not apply to the proxy (rule is then null). "" when nothing was found.
  std::string where;
};

class DestinationIndexImpl final : public DestinationIndex {
 public:
  DestinationIndexImpl(const std::vector<api::Resource>& resources,
                       const std::vector<registry::Service>& services, const MeshConfig& mesh);

  [[nodiscard]] DestinationResolution resolveImpl(const Proxy& proxy, std::string_view host,
                                                  std::string_view subset, uint32_t port) const;
  [[nodiscard]] const registry::Service* visibleService(const Proxy& proxy, std::string_view host,
                                                        DestinationResolution& out) const;
  // resolveImpl once the service is known (defined in destination_resolve.cc).
  void resolveService(const Proxy& proxy, const registry::Service& svc, std::string_view subset,
                      uint32_t port, DestinationResolution& out) const;

  // Defined in destination_index.cc.
  [[nodiscard]] RuleLookup lookupRule(const Proxy& proxy, const registry::Service& svc) const;
  [[nodiscard]] bool serviceVisible(const registry::Service& svc, const std::string& ns) const;
  // Why a DestinationRule that names `svc`'s host is not the one in force for `proxy`, given
  // what the lookup found.
  [[nodiscard]] std::string whyNotInForce(const SortedRule& rule, const Proxy& proxy,
                                          const registry::Service& svc,
                                          const RuleLookup& lookup) const;

  [[nodiscard]] const std::vector<SortedRule>& rules() const { return rules_; }
  [[nodiscard]] const MeshConfig& mesh() const { return mesh_; }
  // Services declaring `host`, Kubernetes services first; null when none.
  [[nodiscard]] const std::vector<const registry::Service*>* servicesFor(
      std::string_view host) const;

 private:
  void addRule(const SortedRule& rule);
  void mergeInto(HostRules& index, const SortedRule& rule, const ExportSet& export_to);

  MeshConfig mesh_;
  std::vector<SortedRule> rules_;
  std::deque<ConsolidatedRule> store_;  // stable addresses for the indexes
  std::map<std::string, HostRules, std::less<>> namespace_local_;
  std::map<std::string, HostRules, std::less<>> exported_;
  HostRules root_local_;
  std::unordered_map<std::string, std::vector<const registry::Service*>> services_by_host_;
};

// Helpers shared by both files.
bool labelsSubsetOf(const std::map<std::string, std::string>& selector,
                    const std::map<std::string, std::string>& labels);
// Istio host.Name.SubsetOf: `name` is covered by `pattern` (exact, or wildcard suffix).
bool hostCoveredBy(std::string_view name, std::string_view pattern);
std::string formatLabels(const std::map<std::string, std::string>& labels);
std::string ruleName(const api::Resource& res);  // "ns/name"
std::string joinStrings(const std::vector<std::string>& items, std::string_view sep);

}  // namespace meshroute::routing::detail
