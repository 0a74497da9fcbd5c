// Building the DestinationRule indexes as istiod does (PushContext.setDestinationRules and
// mergeDestinationRule), and the namespace-ordered lookup (PushContext.destinationRule narrowed
// by SidecarScope.DestinationRule).
#include <algorithm>
#include <memory>
#include <utility>

#include "routing/destination_internal.h"

namespace meshroute::routing {

namespace detail {

bool labelsSubsetOf(const std::map<std::string, std::string>& selector,
                    const std::map<std::string, std::string>& labels) {
  for (const auto& [key, value] : selector) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  return true;
}

bool hostCoveredBy(std::string_view name, std::string_view pattern) {
  const bool name_wild = !name.empty() && name.front() == '*';
  const bool pattern_wild = !pattern.empty() && pattern.front() == '*';
  if (!pattern_wild) return !name_wild && name == pattern;
  if (name_wild && name.size() < pattern.size()) return false;
  const std::string_view suffix = pattern.substr(1);
  const std::string_view subject = name_wild ? name.substr(1) : name;
  return subject.size() >= suffix.size() &&
         subject.substr(subject.size() - suffix.size()) == suffix;
}

std::string formatLabels(const std::map<std::string, std::string>& labels) {
  std::vector<std::string> parts;
  parts.reserve(labels.size());
  for (const auto& [key, value] : labels) {
    std::string part = key;
    part += '=';
    part += value;
    parts.push_back(std::move(part));
  }
  return joinStrings(parts, ", ");
}

std::string ruleName(const api::Resource& res) { return res.meta.namespace_ + "/" + res.meta.name; }

std::string joinStrings(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += sep;
    out += items[i];
  }
  return out;
}

namespace {

bool isWildcard(std::string_view host) { return !host.empty() && host.front() == '*'; }

// Istio's host.MoreSpecific: non-wildcards before wildcards, then longer first, then by name.
bool moreSpecific(std::string_view a, std::string_view b) {
  if (isWildcard(a) != isWildcard(b)) return !isWildcard(a);
  if (a.size() != b.size()) return a.size() > b.size();
  return a < b;
}

// Istio's ResolveShortnameToFQDN (pilot/pkg/model/config.go): a name without a dot is a
// Kubernetes short name in the rule's namespace; "*", IPs and dotted names stay as written.
std::string resolveHost(const std::string& host, const std::string& ns, const std::string& domain) {
  if (host.empty() || host == "*" || host.find('.') != std::string::npos ||
      host.find(':') != std::string::npos) {
    return host;
  }
  return host + "." + ns + ".svc." + domain;
}

bool contains(const ExportSet& set, std::string_view value) {
  return set.find(std::string(value)) != set.end();
}

// A rule goes in its namespace's local index when it is visible there (setDestinationRules).
bool visibleInOwnNamespace(const ExportSet& set, const std::string& ns) {
  return set.empty() || contains(set, "*") || contains(set, ".") || contains(set, ns);
}

bool meshDefaultPrivate(const MeshConfig& mesh) {
  const auto& def = mesh.default_destination_rule_export_to;
  return std::find(def.begin(), def.end(), ".") != def.end();
}

// setDestinationRules: only "." and "*" of the mesh default are honoured.
bool privateOnly(const ExportSet& set, const std::string& ns, const MeshConfig& mesh) {
  if (set.empty()) return meshDefaultPrivate(mesh);
  return set.size() == 1 && (contains(set, ".") || contains(set, ns));
}

// getExportedDestinationRuleFromNamespace's filter.
bool exportedTo(const ExportSet& set, const std::string& client_ns) {
  return set.empty() || contains(set, "*") || contains(set, client_ns);
}

ExportSet effectiveExportSet(const api::DestinationRule& dr) {
  // Rules with a workloadSelector are never exported to other namespaces.
  if (dr.workload_selector) return {"."};
  return ExportSet(dr.export_to.begin(), dr.export_to.end());
}

bool supersetOf(const ExportSet& a, const ExportSet& b) {
  return std::includes(a.begin(), a.end(), b.begin(), b.end());
}

std::string quoteList(const std::vector<std::string>& items) {
  return items.empty() ? "none" : joinStrings(items, ", ");
}

}  // namespace

const std::vector<ConsolidatedRule*>* HostRules::mostSpecific(std::string_view host) const {
  const std::string key(host);
  if (isWildcard(host)) {
    if (auto it = wildcard.find(key); it != wildcard.end()) return &it->second;
  } else if (auto it = specific.find(key); it != specific.end()) {
    return &it->second;
  }
  const std::vector<ConsolidatedRule*>* best = nullptr;
  std::string_view best_host;
  const std::string_view needle = isWildcard(host) ? host.substr(1) : host;
  for (const auto& [pattern, rules] : wildcard) {
    const std::string_view suffix = std::string_view(pattern).substr(1);
    if (needle.size() < suffix.size() || needle.substr(needle.size() - suffix.size()) != suffix) {
      continue;
    }
    if (best == nullptr || moreSpecific(pattern, best_host)) {
      best = &rules;
      best_host = pattern;
    }
  }
  return best;
}

DestinationIndexImpl::DestinationIndexImpl(const std::vector<api::Resource>& resources,
                                           const std::vector<registry::Service>& services,
                                           const MeshConfig& mesh)
    : mesh_(mesh) {
  for (const auto& res : resources) {
    const auto* dr = res.as<api::DestinationRule>();
    if (dr == nullptr) continue;
    rules_.push_back({&res, dr, resolveHost(dr->host, res.meta.namespace_, mesh_.cluster_domain)});
  }
  // Istio's sortConfigBySelectorAndCreationTime: rules with a workloadSelector first, then by
  // creation time (the first rule's top-level policy wins a merge), then name, then namespace.
  // Files rarely carry creationTimestamp, so name order usually decides.
  std::stable_sort(rules_.begin(), rules_.end(), [](const SortedRule& a, const SortedRule& b) {
    const bool a_sel = a.spec->workload_selector.has_value();
    const bool b_sel = b.spec->workload_selector.has_value();
    if (a_sel != b_sel) return a_sel;
    const auto& am = a.res->meta;
    const auto& bm = b.res->meta;
    if (am.creation_timestamp != bm.creation_timestamp) {
      return am.creation_timestamp < bm.creation_timestamp;
    }
    if (am.name != bm.name) return am.name < bm.name;
    return am.namespace_ < bm.namespace_;
  });
  for (const auto& rule : rules_) addRule(rule);

  for (const auto& svc : services) services_by_host_[svc.hostname].push_back(&svc);
  // Kubernetes services take precedence over ServiceEntries for one host (sidecar.go,
  // appendSidecarServices); otherwise the registry's order (oldest first) stands.
  for (auto& [host, list] : services_by_host_) {
    std::stable_sort(list.begin(), list.end(),
                     [](const registry::Service* a, const registry::Service* b) {
                       return !a->from_service_entry && b->from_service_entry;
                     });
  }
}

void DestinationIndexImpl::addRule(const SortedRule& rule) {
  const std::string& ns = rule.res->meta.namespace_;
  const ExportSet set = effectiveExportSet(*rule.spec);
  if (visibleInOwnNamespace(set, ns)) mergeInto(namespace_local_[ns], rule, set);
  if (!privateOnly(set, ns, mesh_)) {
    mergeInto(exported_[ns], rule, set);
  } else if (ns == mesh_.root_namespace) {
    mergeInto(root_local_, rule, set);
  }
}

// Istio's mergeDestinationRule (pilot/pkg/model/destination_rule.go) with
// ENABLE_ENHANCED_DESTINATIONRULE_MERGE on (its default): rules for one host in one namespace
// merge when their exportTo sets are equal (or the newcomer's is a superset, in which case it
// is also kept on its own) and their workloadSelectors agree; the merged rule gains the
// newcomer's subsets whose names are new and its top-level trafficPolicy only if it had none.
// exportTo, workloadSelector and subsets with a name already taken keep the first rule's.
void DestinationIndexImpl::mergeInto(HostRules& index, const SortedRule& rule,
                                     const ExportSet& export_to) {
  auto& by_host = isWildcard(rule.host) ? index.wildcard : index.specific;
  auto& list = by_host[rule.host];
  const api::DestinationRule& incoming = *rule.spec;
  bool append_separately = true;
  for (ConsolidatedRule* existing : list) {
    if (export_to == existing->export_to) {
      append_separately = false;
    } else if (!existing->export_to.empty() && supersetOf(export_to, existing->export_to)) {
      append_separately = true;
    } else {
      append_separately = true;
      continue;
    }
    const bool in_sel = incoming.workload_selector.has_value();
    const bool ex_sel = existing->hasSelector();
    const api::StringMap none;
    const auto& in_labels = in_sel ? incoming.workload_selector->match_labels : none;
    const auto& ex_labels = ex_sel ? existing->spec->workload_selector->match_labels : none;
    const bool selectors_equal = in_labels == ex_labels;
    if (in_sel && ex_sel && !selectors_equal) {
      append_separately = true;
      continue;
    }
    if ((!in_sel && !ex_sel) || (in_sel && ex_sel)) append_separately = false;

    existing->from.push_back(rule.res);
    for (const auto& subset : incoming.subsets) {
      const auto& have = existing->spec->subsets;
      const bool taken = std::any_of(have.begin(), have.end(),
                                     [&](const api::Subset& s) { return s.name == subset.name; });
      if (!taken) existing->mergeTarget().subsets.push_back(subset);
    }
    if (!existing->spec->traffic_policy && incoming.traffic_policy) {
      existing->mergeTarget().traffic_policy = incoming.traffic_policy;
    }
  }
  if (append_separately) {
    ConsolidatedRule& added = store_.emplace_back();
    added.export_to = export_to;
    added.spec = &incoming;
    added.host = rule.host;
    added.from.push_back(rule.res);
    list.push_back(&added);
  }
}

RuleLookup DestinationIndexImpl::lookupRule(const Proxy& proxy,
                                            const registry::Service& svc) const {
  // PushContext.destinationRule: the first namespace with a rule for the most specific host
  // matching the service decides; later namespaces are not consulted even when the rules found
  // end up not applying to this proxy (workloadSelector).
  const std::vector<ConsolidatedRule*>* found = nullptr;
  std::vector<ConsolidatedRule*> filtered;
  std::string where;
  if (proxy.ns != mesh_.root_namespace) {
    if (auto it = namespace_local_.find(proxy.ns); it != namespace_local_.end()) {
      found = it->second.mostSpecific(svc.hostname);
      where = "in the proxy's namespace " + proxy.ns;
    }
  } else {
    // A proxy in the root namespace sees the root namespace's private rules first.
    found = root_local_.mostSpecific(svc.hostname);
    where = "in the root namespace " + proxy.ns + " (the proxy's own)";
  }
  auto exported_from = [&](const std::string& ns) {
    filtered.clear();
    auto it = exported_.find(ns);
    if (it == exported_.end()) return;
    if (const auto* rules = it->second.mostSpecific(svc.hostname)) {
      for (ConsolidatedRule* r : *rules) {
        if (exportedTo(r->export_to, proxy.ns)) filtered.push_back(r);
      }
    }
  };
  if (found == nullptr && !svc.ns.empty()) {
    exported_from(svc.ns);
    if (!filtered.empty()) {
      found = &filtered;
      where = "in the service's namespace " + svc.ns;
    }
  }
  if (found == nullptr) {
    exported_from(mesh_.root_namespace);
    if (!filtered.empty()) {
      found = &filtered;
      where = "in the root namespace " + mesh_.root_namespace;
    }
  }
  RuleLookup out;
  if (found == nullptr) return out;
  out.where = where;
  // SidecarScope.DestinationRule: a rule with a workloadSelector in the proxy's namespace that
  // matches its labels wins; otherwise the last rule without a selector.
  const ConsolidatedRule* catch_all = nullptr;
  for (const ConsolidatedRule* r : *found) {
    if (!r->hasSelector()) {
      catch_all = r;
    } else if (r->ns() == proxy.ns &&
               labelsSubsetOf(r->spec->workload_selector->match_labels, proxy.labels)) {
      out.rule = r;
      return out;
    }
  }
  out.rule = catch_all;
  return out;
}

bool DestinationIndexImpl::serviceVisible(const registry::Service& svc,
                                          const std::string& ns) const {
  // PushContext.initServiceRegistry / serviceExportTo: the mesh default when unset; "*" wins
  // over everything, "~" hides; "." and the own namespace mean private.
  ExportSet set(svc.export_to.begin(), svc.export_to.end());
  if (set.empty()) {
    set.insert(mesh_.default_service_export_to.begin(), mesh_.default_service_export_to.end());
  }
  if (set.empty() || contains(set, "*")) return true;
  if (contains(set, "~")) return false;
  if (ns == svc.ns && contains(set, ".")) return true;
  return contains(set, ns);
}

const std::vector<const registry::Service*>* DestinationIndexImpl::servicesFor(
    std::string_view host) const {
  auto it = services_by_host_.find(std::string(host));
  return it == services_by_host_.end() ? nullptr : &it->second;
}

std::string DestinationIndexImpl::whyNotInForce(const SortedRule& rule, const Proxy& proxy,
                                                const registry::Service& svc,
                                                const RuleLookup& lookup) const {
  const std::string& ns = rule.res->meta.namespace_;
  if (const auto& sel = rule.spec->workload_selector) {
    if (ns != proxy.ns) {
      return "it has a workloadSelector, so it applies only to proxies in its own namespace " + ns;
    }
    if (!labelsSubsetOf(sel->match_labels, proxy.labels)) {
      return "its workloadSelector (" + formatLabels(sel->match_labels) +
             ") does not match the proxy's labels (" +
             (proxy.labels.empty() ? std::string("none") : formatLabels(proxy.labels)) + ")";
    }
  }
  const ExportSet set = effectiveExportSet(*rule.spec);
  const std::vector<std::string> written(set.begin(), set.end());
  if (ns == proxy.ns) {
    if (!visibleInOwnNamespace(set, ns)) {
      return "its exportTo (" + quoteList(written) + ") leaves out its own namespace";
    }
  } else {
    if (ns != svc.ns && ns != mesh_.root_namespace) {
      return "it is in namespace " + ns +
             ", and Istio looks for rules only in the proxy's namespace (" + proxy.ns +
             "), the service's namespace (" + svc.ns + ") and the root namespace (" +
             mesh_.root_namespace + ")";
    }
    if (privateOnly(set, ns, mesh_)) {
      return set.empty() ? "it is private to namespace " + ns +
                               " (the mesh's default exportTo for DestinationRules is \".\")"
                         : "it is exported only to its own namespace " + ns;
    }
    if (!exportedTo(set, proxy.ns)) {
      return "it is not exported to namespace " + proxy.ns + " (exportTo: " + quoteList(written) +
             ")";
    }
  }
  if (const ConsolidatedRule* in_force = lookup.rule;
      in_force != nullptr && in_force->ns() == ns && in_force->host == rule.host) {
    const std::vector<std::string> other(in_force->export_to.begin(), in_force->export_to.end());
    return "it is not merged with DestinationRule " + ruleName(*in_force->from.front()) +
           " because their exportTo differ (" + quoteList(written) + " and " + quoteList(other) +
           "), and Istio uses only one of them";
  }
  if (lookup.where.empty()) return "Istio does not find it for this host";
  return "Istio's lookup stopped at the rules " + lookup.where +
         " (it tries the proxy's namespace, then the service's, then the root namespace, and "
         "takes the most specific host)";
}

}  // namespace detail

std::shared_ptr<const DestinationIndex> DestinationIndex::build(
    const std::vector<api::Resource>& resources, const registry::Registry& registry,
    const MeshConfig& mesh) {
  return build(resources, registry.services(), mesh);
}

std::shared_ptr<const DestinationIndex> DestinationIndex::build(
    const std::vector<api::Resource>& resources, const std::vector<registry::Service>& services,
    const MeshConfig& mesh) {
  return std::make_shared<detail::DestinationIndexImpl>(resources, services, mesh);
}

DestinationResolution DestinationIndex::resolve(const Proxy& proxy, std::string_view host,
                                                std::string_view subset, uint32_t port) const {
  return static_cast<const detail::DestinationIndexImpl*>(this)->resolveImpl(proxy, host, subset,
                                                                             port);
}

std::string_view destinationStatusName(DestinationStatus s) {
  switch (s) {
    case DestinationStatus::kOk: return "ok";
    case DestinationStatus::kNoCluster: return "no_cluster";
    case DestinationStatus::kNoHealthyUpstream: return "no_healthy_upstream";
    case DestinationStatus::kUnknownHost: return "unknown_host";
  }
  return "unknown";
}

}  // namespace meshroute::routing
