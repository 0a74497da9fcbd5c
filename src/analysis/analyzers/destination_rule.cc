// destinationrule.CaCertificateAnalyzer and destinationrule.SubsetSelectPodAnalyzer.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "analysis/analyzers/groups.h"
#include "analysis/analyzers/istio_util.h"

namespace meshroute::analysis {
namespace {

// Istio's line lookup only knows fields written in the document: when the field is absent the
// finding stays on the resource.
std::string_view fieldIfWritten(const api::Resource& res, std::string_view path) {
  return nodeAt(res, path) != nullptr ? path : std::string_view{};
}

// Istio's FullName.String(): "ns/name", or just "name" without a namespace.
std::string fullName(const api::Resource& res) {
  if (res.meta.namespace_.empty()) return res.meta.name;
  return fmt::format("{}/{}", res.meta.namespace_, res.meta.name);
}

// --- CaCertificateAnalyzer ---

bool verifiesNothing(const api::ClientTLSSettings& tls, bool has_workload_selector) {
  if (tls.mode != "SIMPLE" && tls.mode != "MUTUAL") return false;
  if (!tls.ca_certificates.empty()) return false;
  // A credentialName on a workload-bound rule carries its own CA.
  return tls.credential_name.empty() || !has_workload_selector;
}

// Go's text form of a PortSelector message ("number:9443"; "<nil>" when unset).
std::string portSelectorText(const std::optional<api::PortSelector>& port) {
  if (!port) return "<nil>";
  if (port->number == 0) return "";
  return fmt::format("number:{}", port->number);
}

void runCaCertificate(Context& ctx) {
  for (const api::Resource* res : ctx.store().all(kinds::kDestinationRule)) {
    const auto* dr = res->as<api::DestinationRule>();
    if (dr == nullptr || !dr->traffic_policy) continue;
    const api::TrafficPolicy& policy = *dr->traffic_policy;
    const bool selector = dr->workload_selector.has_value();
    const std::string name = fullName(*res);
    if (policy.tls && verifiesNothing(*policy.tls, selector)) {
      ctx.report(msg::kNoServerCertificateVerificationDestinationLevel, *res,
                 fieldIfWritten(*res, "spec.trafficPolicy.tls.caCertificates"),
                 {name, res->meta.namespace_, policy.tls->mode, dr->host});
    }
    for (size_t i = 0; i < policy.port_level_settings.size(); ++i) {
      const api::PortTrafficPolicy& port = policy.port_level_settings[i];
      if (!port.tls || !verifiesNothing(*port.tls, selector)) continue;
      std::string path =
          fmt::format("spec.trafficPolicy.portLevelSettings[{}].tls.caCertificates", i);
      ctx.report(
          msg::kNoServerCertificateVerificationPortLevel, *res, fieldIfWritten(*res, path),
          {name, res->meta.namespace_, port.tls->mode, dr->host, portSelectorText(port.port)});
    }
  }
}

// --- SubsetSelectPodAnalyzer ---

// The Pod's labels with the topology labels the service registry adds (region, zone and
// subzone from its Node, hostname from spec.nodeName); empty values are never added.
api::StringMap augmentedPodLabels(const api::Resource& pod,
                                  const std::map<std::string, const api::StringMap*>& nodes) {
  api::StringMap labels = pod.meta.labels;
  const auto* spec = pod.as<api::K8sPod>();
  std::string node_name = spec != nullptr ? spec->spec.node_name : "";
  auto node = nodes.find(node_name);
  if (node != nodes.end()) {
    auto label = [&](const char* key) -> std::string {
      auto it = node->second->find(key);
      return it == node->second->end() ? "" : it->second;
    };
    // Through the locality string, as the registry does: "region[/zone[/subzone]]".
    std::string locality = label("topology.kubernetes.io/region");
    if (std::string zone = label("topology.kubernetes.io/zone"); !zone.empty()) {
      locality += "/" + zone;
      if (std::string subzone = label("topology.istio.io/subzone"); !subzone.empty()) {
        locality += "/" + subzone;
      }
    }
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
      size_t slash = locality.find('/', start);
      parts.push_back(locality.substr(start, slash == std::string::npos ? slash : slash - start));
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    parts.resize(std::max<size_t>(parts.size(), 3));
    const char* keys[] = {"topology.kubernetes.io/region", "topology.kubernetes.io/zone",
                          "topology.istio.io/subzone"};
    for (size_t i = 0; i < 3; ++i) {
      if (!parts[i].empty()) labels[keys[i]] = parts[i];
    }
  }
  if (!node_name.empty()) labels["kubernetes.io/hostname"] = node_name;
  return labels;
}

void runSubsetSelectPod(Context& ctx) {
  const Store& store = ctx.store();
  const istio::ScopedHosts hosts = istio::serviceEntryHostMap(store);

  std::map<std::string, const api::StringMap*> nodes;
  for (const api::Resource* node : store.all(kinds::kNode))
    nodes[node->meta.name] = &node->meta.labels;

  struct SubsetSelector {
    api::StringMap labels;
    bool matched = false;
  };
  // Per rule, one selector per subset name (a repeated name keeps the last definition).
  std::vector<std::pair<const api::Resource*, std::map<std::string, SubsetSelector>>> rules;
  for (const api::Resource* res : store.all(kinds::kDestinationRule)) {
    const auto* dr = res->as<api::DestinationRule>();
    if (dr == nullptr) continue;
    const istio::KnownHost* known =
        istio::destinationHost(res->meta.namespace_, dr->export_to, dr->host, hosts);
    if (known == nullptr) {
      ctx.report(msg::kUnknownDestinationRuleHost, *res, "", {dr->host});
      continue;
    }
    if (dr->subsets.empty()) continue;
    auto& selectors = rules.emplace_back(res, std::map<std::string, SubsetSelector>{}).second;
    for (const api::Subset& subset : dr->subsets) {
      // A ServiceEntry's workloadSelector narrows every subset of the host.
      const auto* entry = known->resource->as<api::ServiceEntry>();
      api::StringMap merged = entry != nullptr && entry->workload_selector
                                  ? entry->workload_selector->labels
                                  : api::StringMap{};
      for (const auto& [key, value] : subset.labels) merged[key] = value;
      selectors[subset.name] = SubsetSelector{std::move(merged), false};
    }
  }
  if (rules.empty()) return;

  // Every pod against every subset is quadratic in a large mesh; an index from each
  // "key=value" to the pods carrying it leaves only the pods that have one of the subset's labels.
  std::vector<api::StringMap> pod_labels;
  std::unordered_map<std::string, std::vector<size_t>> pods_by_label;
  for (const api::Resource* pod : store.all(kinds::kPod)) {
    pod_labels.push_back(augmentedPodLabels(*pod, nodes));
    for (const auto& [key, value] : pod_labels.back()) {
      pods_by_label[fmt::format("{}={}", key, value)].push_back(pod_labels.size() - 1);
    }
  }
  auto anyPodSelected = [&](const api::StringMap& selector) {
    if (selector.empty()) return !pod_labels.empty();
    const std::vector<size_t>* fewest = nullptr;
    for (const auto& [key, value] : selector) {
      auto it = pods_by_label.find(fmt::format("{}={}", key, value));
      if (it == pods_by_label.end()) return false;
      if (fewest == nullptr || it->second.size() < fewest->size()) fewest = &it->second;
    }
    return std::any_of(fewest->begin(), fewest->end(),
                       [&](size_t i) { return istio::selectorMatches(selector, pod_labels[i]); });
  };
  for (auto& [res, selectors] : rules) {
    for (auto& [name, selector] : selectors) selector.matched = anyPodSelected(selector.labels);
  }

  for (const auto& [res, selectors] : rules) {
    for (const auto& [name, selector] : selectors) {
      if (!selector.matched) ctx.report(msg::kDestinationRuleSubsetNotSelectPods, *res, "", {name});
    }
  }
}

}  // namespace

void addDestinationRuleAnalyzers(std::vector<Analyzer>& out) {
  out.push_back({"destinationrule.CaCertificateAnalyzer",
                 "Checks if caCertificates is set when TLS mode is SIMPLE/MUTUAL",
                 &runCaCertificate});
  out.push_back({"destinationrule.SubsetSelectPodAnalyzer",
                 "Checks if pods are selected by subsets in destination rules.",
                 &runSubsetSelectPod});
}

}  // namespace meshroute::analysis
