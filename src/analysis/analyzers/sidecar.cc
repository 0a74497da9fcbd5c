// sidecar.SelectorAnalyzer: Sidecars whose workloadSelector selects no pod, pods selected by
// several Sidecars, several namespace-wide Sidecars in one namespace, and Sidecars that have no
// effect because their workloads or namespace run in ambient mode.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "analysis/analyzers/groups.h"
#include "analysis/analyzers/istio_util.h"

namespace meshroute::analysis {
namespace {

bool podInAmbient(const api::Resource* pod) {
  if (pod == nullptr) return false;
  auto it = pod->meta.annotations.find("ambient.istio.io/redirection");
  return it != pod->meta.annotations.end() && it->second == "enabled";
}

bool namespaceInAmbient(const api::Resource* ns) {
  if (ns == nullptr) return false;
  const api::StringMap& labels = ns->meta.labels;
  if (auto it = labels.find("istio-injection"); it != labels.end() && it->second == "enabled") {
    return false;
  }
  if (auto it = labels.find("istio.io/rev"); it != labels.end() && !it->second.empty()) {
    return false;
  }
  auto mode = labels.find("istio.io/dataplane-mode");
  return mode != labels.end() && mode->second == "ambient";
}

std::vector<std::string> sortedNames(const std::vector<const api::Resource*>& list) {
  std::vector<std::string> names;
  names.reserve(list.size());
  for (const api::Resource* r : list) names.push_back(r->meta.name);
  std::sort(names.begin(), names.end());
  return names;
}

void selectors(Context& ctx) {
  const Store& store = ctx.store();
  std::map<istio::FullName, std::vector<const api::Resource*>> sidecars_by_pod;
  std::map<istio::FullName, const api::Resource*> pods;
  std::map<std::string, std::vector<const api::Resource*>> namespace_wide;
  for (const api::Resource* sc : store.all(kinds::kSidecar)) {
    const auto* spec = sc->as<api::Sidecar>();
    if (spec == nullptr) continue;
    if (!spec->workload_selector || spec->workload_selector->labels.empty()) {
      namespace_wide[sc->meta.namespace_].push_back(sc);
      continue;
    }
    const api::StringMap& selector = spec->workload_selector->labels;
    bool found = false;
    for (const api::Resource* pod : store.all(kinds::kPod)) {
      if (pod->meta.namespace_ != sc->meta.namespace_) continue;
      if (!istio::selectorMatches(selector, pod->meta.labels)) continue;
      found = true;
      const istio::FullName name{pod->meta.namespace_, pod->meta.name};
      sidecars_by_pod[name].push_back(sc);
      pods[name] = pod;
    }
    if (!found) {
      ctx.report(msg::kReferencedResourceNotFound, *sc,
                 "spec.workloadSelector.labels." + selector.begin()->first,
                 {"selector", istio::selectorString(selector)});
    }
  }
  std::set<const api::Resource*> reported;
  for (const auto& [pod_name, list] : sidecars_by_pod) {
    const api::Resource* pod = pods[pod_name];
    const bool ambient = podInAmbient(pod);
    if (list.size() == 1 && !ambient) continue;
    const std::vector<std::string> names = sortedNames(list);
    for (const api::Resource* sc : list) {
      if (ambient) {
        if (reported.insert(sc).second) {
          ctx.report(msg::kIneffectivePolicy, *sc, "",
                     {"selected workload is in ambient mode, the policy has no impact"});
        }
        continue;
      }
      ctx.report(msg::kConflictingSidecarWorkloadSelectors, *sc, "metadata.name",
                 {goList(names), pod_name.ns, pod_name.name});
    }
  }
  for (const auto& [ns, list] : namespace_wide) {
    if (namespaceInAmbient(store.find(kinds::kNamespace, "", ns))) {
      for (const api::Resource* sc : list) {
        if (reported.insert(sc).second) {
          ctx.report(msg::kIneffectivePolicy, *sc, "",
                     {"namespace is in ambient mode, the policy has no impact"});
        }
      }
      continue;
    }
    if (list.size() < 2) continue;
    const std::vector<std::string> names = sortedNames(list);
    for (const api::Resource* sc : list) {
      ctx.report(msg::kMultipleSidecarsWithoutWorkloadSelectors, *sc, "", {goList(names), ns});
    }
  }
}

}  // namespace

void addSidecarAnalyzers(std::vector<Analyzer>& out) {
  out.push_back({"sidecar.SelectorAnalyzer",
                 "Validates that sidecars that define a workload selector match at least one "
                 "pod, and that there aren't multiple sidecar resources that select overlapping "
                 "pods",
                 selectors});
}

}  // namespace meshroute::analysis
