// DestinationIndex::resolve: for one (proxy, host, subset, port), the cluster istiod would
// build for it (name, DestinationRule, subset, merged traffic policy, load balancer, TLS) and
// whether Envoy could send anything there (NC: no cluster, UH: no healthy upstream).
#include <algorithm>
#include <string>
#include <utility>

#include "routing/destination_internal.h"

namespace meshroute::routing::detail {

namespace {

using api::TrafficPolicy;

// Istio's GetPortLevelTrafficPolicy (pilot/pkg/networking/util/util.go): the first
// portLevelSettings entry for `port` replaces the policy wholesale (connectionPool,
// loadBalancer, outlierDetection, tls; fields it omits fall back to defaults, and the
// top-level tunnel, proxyProtocol and retryBudget are dropped too). `port_level` tells whether
// an entry matched.
std::optional<TrafficPolicy> portPolicy(const std::optional<TrafficPolicy>& policy, uint32_t port,
                                        bool* port_level) {
  *port_level = false;
  if (!policy) return std::nullopt;
  for (const auto& entry : policy->port_level_settings) {
    if (entry.port && entry.port->number == port) {
      *port_level = true;
      TrafficPolicy out;
      out.connection_pool = entry.connection_pool;
      out.load_balancer = entry.load_balancer;
      out.outlier_detection = entry.outlier_detection;
      out.tls = entry.tls;
      return out;
    }
  }
  return policy;
}

// Istio's MergeSubsetTrafficPolicy + MergeTrafficPolicy: the rule's policy for the port, then
// the subset's fields that are set override it one by one; when the subset has a
// portLevelSettings entry for the port, that entry replaces the four per-port fields even
// where it leaves them unset.
std::optional<TrafficPolicy> effectivePolicy(const std::optional<TrafficPolicy>& top,
                                             const api::Subset* subset, uint32_t port) {
  bool unused = false;
  std::optional<TrafficPolicy> merged = portPolicy(top, port, &unused);
  if (subset == nullptr || !subset->traffic_policy) return merged;
  bool port_level = false;
  std::optional<TrafficPolicy> sub = portPolicy(subset->traffic_policy, port, &port_level);
  if (!merged) return sub;
  TrafficPolicy out;  // a shallow copy: port-level settings are already resolved
  out.connection_pool = merged->connection_pool;
  out.load_balancer = merged->load_balancer;
  out.outlier_detection = merged->outlier_detection;
  out.tls = merged->tls;
  out.tunnel = merged->tunnel;
  out.proxy_protocol = merged->proxy_protocol;
  out.retry_budget = merged->retry_budget;
  if (sub->connection_pool || port_level) out.connection_pool = sub->connection_pool;
  if (sub->outlier_detection || port_level) out.outlier_detection = sub->outlier_detection;
  if (sub->load_balancer || port_level) out.load_balancer = sub->load_balancer;
  if (sub->tls || port_level) out.tls = sub->tls;
  if (sub->tunnel) out.tunnel = sub->tunnel;
  if (sub->proxy_protocol) out.proxy_protocol = sub->proxy_protocol;
  if (sub->retry_budget) out.retry_budget = sub->retry_budget;
  return out;
}

// Envoy's cluster lb_policy as istiod's applyLoadBalancer sets it
// (pilot/pkg/networking/core/cluster_traffic_policy.go). With no simple policy istiod sets
// LEAST_REQUEST itself (defaultLBAlgorithm), so Envoy's ROUND_ROBIN default never applies.
std::string loadBalancerName(const std::optional<TrafficPolicy>& policy, bool original_dst) {
  if (original_dst) return "CLUSTER_PROVIDED";
  const api::LoadBalancerSettings* lb =
      policy && policy->load_balancer ? &*policy->load_balancer : nullptr;
  if (lb != nullptr && lb->consistent_hash) {
    return lb->consistent_hash->maglev ? "MAGLEV" : "RING_HASH";
  }
  const std::string simple = lb != nullptr && lb->simple ? *lb->simple : "";
  if (simple == "RANDOM") return "RANDOM";
  if (simple == "ROUND_ROBIN") return "ROUND_ROBIN";
  if (simple == "PASSTHROUGH") return "CLUSTER_PROVIDED";
  return "LEAST_REQUEST";  // LEAST_CONN, LEAST_REQUEST, UNSPECIFIED, unset
}

bool passthroughLb(const std::optional<TrafficPolicy>& policy) {
  return policy && policy->load_balancer && policy->load_balancer->simple &&
         *policy->load_balancer->simple == "PASSTHROUGH";
}

std::string clusterName(uint32_t port, std::string_view subset, std::string_view host) {
  return "outbound|" + std::to_string(port) + "|" + std::string(subset) + "|" + std::string(host);
}

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string portsText(const registry::Service& svc) {
  std::vector<std::string> parts;
  for (const auto& p : svc.ports) {
    parts.push_back(p.name.empty() ? std::to_string(p.port)
                                   : std::to_string(p.port) + "/" + p.name);
  }
  return parts.empty() ? "none" : joinStrings(parts, ", ");
}

std::string rulesText(const std::vector<const api::Resource*>& from) {
  std::vector<std::string> names;
  names.reserve(from.size());
  for (const auto* res : from) names.push_back(ruleName(*res));
  if (names.size() == 1) return "DestinationRule " + names.front();
  return "DestinationRules " + joinStrings(names, ", ") + " (merged)";
}

std::string subsetLabelsText(const api::StringMap& labels) {
  return labels.empty() ? "no labels" : formatLabels(labels);
}

// A workload or endpoint that could back the cluster, reduced to what the explanation needs.
struct Candidate {
  const api::StringMap* labels;
  std::string name;  // workload name or address
};

// "they have version=v1, version=2.0": how the candidates closest to the subset (most of its
// labels matched) differ from it.
std::string nearestDifference(const api::StringMap& wanted, const std::vector<Candidate>& all) {
  size_t best = 0;
  std::vector<size_t> scores;
  scores.reserve(all.size());
  for (const auto& c : all) {
    size_t score = 0;
    for (const auto& [key, value] : wanted) {
      auto it = c.labels->find(key);
      if (it != c.labels->end() && it->second == value) ++score;
    }
    scores.push_back(score);
    best = std::max(best, score);
  }
  std::vector<std::string> diffs;
  std::vector<std::string> names;
  for (size_t i = 0; i < all.size(); ++i) {
    if (scores[i] != best) continue;
    if (std::find(names.begin(), names.end(), all[i].name) == names.end()) {
      names.push_back(all[i].name);
    }
    for (const auto& [key, value] : wanted) {
      auto it = all[i].labels->find(key);
      std::string diff;
      if (it == all[i].labels->end()) {
        diff = "no " + key + " label";
      } else if (it->second != value) {
        diff = key + "=" + it->second;
      }
      if (!diff.empty() && std::find(diffs.begin(), diffs.end(), diff) == diffs.end()) {
        diffs.push_back(diff);
      }
    }
  }
  const bool everyone =
      std::all_of(scores.begin(), scores.end(), [&](size_t s) { return s == best; });
  if (everyone) return (all.size() == 1 ? "it has " : "they have ") + joinStrings(diffs, ", ");
  std::string who;
  constexpr size_t kMaxNames = 3;
  if (names.size() > kMaxNames) {
    const size_t more = names.size() - kMaxNames;
    names.resize(kMaxNames);
    who = joinStrings(names, ", ") + " and " + std::to_string(more) + " more";
  } else {
    who = joinStrings(names, ", ");
  }
  return "the closest (" + who + ") " + (names.size() == 1 ? "has " : "have ") +
         joinStrings(diffs, ", ");
}

std::string endpointName(const registry::Endpoint& ep) {
  if (ep.workload != nullptr && !ep.workload->name.empty()) return ep.workload->name;
  return ep.address;
}

}  // namespace

// The service as the proxy's scope knows it: the first one declaring the host that is
// exported to the proxy's namespace (Kubernetes services before ServiceEntries). Null, with
// the problem set, when there is none.
const registry::Service* DestinationIndexImpl::visibleService(const Proxy& proxy,
                                                              std::string_view host,
                                                              DestinationResolution& out) const {
  const auto* candidates = servicesFor(host);
  if (candidates == nullptr || candidates->empty()) {
    out.status = DestinationStatus::kUnknownHost;
    out.problem = "no service has the hostname " + std::string(host) +
                  " (no Kubernetes Service or ServiceEntry declares it), so Envoy has no "
                  "cluster " +
                  out.cluster;
    return nullptr;
  }
  for (const auto* s : *candidates) {
    if (serviceVisible(*s, proxy.ns)) return s;
  }
  const auto* first = candidates->front();
  out.status = DestinationStatus::kUnknownHost;
  out.problem = "service " + std::string(host) + " (namespace " + first->ns +
                ") is not exported to namespace " + proxy.ns + " (exportTo: " +
                (first->export_to.empty() ? std::string("the mesh default")
                                          : joinStrings(first->export_to, ", ")) +
                "), so the proxy has no cluster for it";
  return nullptr;
}

DestinationResolution DestinationIndexImpl::resolveImpl(const Proxy& proxy, std::string_view host,
                                                        std::string_view subset,
                                                        uint32_t port) const {
  DestinationResolution out;
  out.port = port;
  out.cluster = clusterName(port, subset, host);
  const registry::Service* svc = visibleService(proxy, host, out);
  if (svc == nullptr) return out;
  if (svc->resolution == registry::Resolution::kAlias) {
    // A Kubernetes ExternalName service is an alias (route.go, GetDestinationCluster): the
    // cluster is the target host's, with the port chosen from the alias's ports; the target
    // must exist as a Service or ServiceEntry, and DestinationRules apply to the target.
    // Istio does not follow alias chains.
    out.alias = svc;
    if (port == 0 && svc->ports.size() == 1) port = svc->ports.front().port;
    out.port = port;
    out.cluster = clusterName(port, subset, svc->external_name);
    const registry::Service* target = visibleService(proxy, svc->external_name, out);
    const std::string prefix =
        "service " + svc->hostname + " is an ExternalName alias of " + svc->external_name + "; ";
    if (target == nullptr) {
      out.problem = prefix + out.problem;
      return out;
    }
    if (target->resolution == registry::Resolution::kAlias) {
      out.status = DestinationStatus::kNoCluster;
      out.problem = prefix + "that is an alias too, and Istio does not follow alias chains";
      return out;
    }
    svc = target;
  }
  resolveService(proxy, *svc, subset, port, out);
  return out;
}

void DestinationIndexImpl::resolveService(const Proxy& proxy, const registry::Service& service,
                                          std::string_view subset, uint32_t port,
                                          DestinationResolution& out) const {
  const registry::Service* svc = &service;
  out.service = svc;

  // A route without a port uses the service's only port (route.go does the same); with
  // several ports the listener's port is the caller's to pass.
  if (port == 0 && svc->ports.size() == 1) {
    port = svc->ports.front().port;
    out.port = port;
    out.cluster = clusterName(port, subset, svc->hostname);
  }
  for (const auto& p : svc->ports) {
    if (p.port == port) out.service_port = &p;
  }

  const RuleLookup lookup = lookupRule(proxy, *svc);
  if (lookup.rule != nullptr) {
    out.destination_rules = lookup.rule->from;
    out.destination_rule = lookup.rule->from.front();
    out.merged_rule = lookup.rule->spec;
    out.rule_found = lookup.where;
  }

  if (out.service_port == nullptr) {
    out.status = DestinationStatus::kNoCluster;
    out.problem = port == 0 ? "no port was given and service " + svc->hostname + " has several (" +
                                  portsText(*svc) + ")"
                            : "service " + svc->hostname + " has no port " + std::to_string(port) +
                                  " (its ports: " + portsText(*svc) +
                                  "), so Envoy has no cluster " + out.cluster;
    return;
  }

  // Dynamic-DNS wildcard ServiceEntries get one dynamic forward proxy cluster per port and no
  // subset clusters (cluster_builder.go, applyDestinationRule / cluster.go).
  const bool dfp = !svc->hostname.empty() && svc->hostname.front() == '*' &&
                   svc->resolution == registry::Resolution::kDynamicDns;

  if (!subset.empty()) {
    if (lookup.rule == nullptr) {
      out.status = DestinationStatus::kNoCluster;
      out.problem = "no DestinationRule for " + svc->hostname + " is visible from namespace " +
                    proxy.ns + ", so subset " + quoted(subset) + " has no cluster";
    } else {
      for (const auto& s : lookup.rule->spec->subsets) {
        if (s.name == subset) {
          out.subset = &s;
          break;
        }
      }
      if (out.subset == nullptr) {
        std::vector<std::string> names;
        for (const auto& s : lookup.rule->spec->subsets) names.push_back(s.name);
        out.status = DestinationStatus::kNoCluster;
        out.problem = "subset " + quoted(subset) + " is not defined by " +
                      rulesText(lookup.rule->from) + " (it defines " +
                      (names.empty() ? std::string("none") : joinStrings(names, ", ")) + ")";
      } else if (dfp) {
        out.status = DestinationStatus::kNoCluster;
        out.problem = "subset " + quoted(subset) + " has no cluster: " + svc->hostname +
                      " uses DYNAMIC_DNS resolution, for which Istio builds no subset clusters";
      }
    }
    if (out.status == DestinationStatus::kNoCluster && out.subset == nullptr) {
      // Name the rule the user probably meant, and why it is not the one in force.
      for (const auto& rule : rules()) {
        if (!hostCoveredBy(svc->hostname, rule.host)) continue;
        if (lookup.rule != nullptr && std::find(lookup.rule->from.begin(), lookup.rule->from.end(),
                                                rule.res) != lookup.rule->from.end()) {
          continue;
        }
        const bool defines = std::any_of(rule.spec->subsets.begin(), rule.spec->subsets.end(),
                                         [&](const api::Subset& s) { return s.name == subset; });
        if (!defines) continue;
        out.problem += "; DestinationRule " + ruleName(*rule.res) + " defines it, but " +
                       whyNotInForce(rule, proxy, *svc, lookup);
        break;
      }
    }
    if (out.status == DestinationStatus::kNoCluster) return;
    out.subset_labels = out.subset->labels;
  }

  // The policy of the cluster.
  const std::optional<TrafficPolicy> top =
      lookup.rule != nullptr ? lookup.rule->spec->traffic_policy : std::nullopt;
  std::optional<TrafficPolicy> policy = effectivePolicy(top, out.subset, port);
  if (policy) policy->port_level_settings.clear();
  // Passthrough: ORIGINAL_DST clusters (resolution NONE, for sidecars only: gateways fall back
  // to EDS in convertResolution) or a PASSTHROUGH load balancer. Envoy then connects to the
  // original destination and no endpoint list exists to be empty.
  const bool original_dst =
      dfp || passthroughLb(policy) ||
      (svc->resolution == registry::Resolution::kNone && proxy.type == ProxyType::kSidecar);
  out.policy.load_balancer = loadBalancerName(policy, original_dst);
  // TLS, simplified from buildUpstreamTLSSettings (cluster_tls.go): the rule's tls when set;
  // otherwise auto mTLS gives ISTIO_MUTUAL towards mesh-internal services (assuming their
  // workloads have sidecars and no PeerAuthentication disables mTLS: meshroute does not read
  // PeerAuthentication) and nothing (plain text from the proxy) towards MESH_EXTERNAL ones.
  if (policy && policy->tls) {
    out.policy.tls_mode = policy->tls->mode.empty() ? "DISABLE" : policy->tls->mode;
  } else {
    out.policy.tls_auto = true;
    out.policy.tls_mode = svc->mesh_external ? "DISABLE" : "ISTIO_MUTUAL";
  }
  out.policy.policy = std::move(policy);
  if (original_dst) return;

  // Endpoints: the subset's labels select among the service's endpoints; not-ready ones are
  // sent to Envoy but never chosen (Istio disables the panic threshold for them).
  const api::StringMap& wanted = out.subset_labels;
  size_t selected = 0;
  std::vector<Candidate> all;
  for (const auto& ep : svc->endpoints) {
    // An endpoint serves the port only when it has a target port for it (a named targetPort
    // that a Pod does not declare leaves the port out).
    if (ep.ports.find(port) == ep.ports.end()) continue;
    all.push_back({&ep.labels, endpointName(ep)});
    if (!labelsSubsetOf(wanted, ep.labels)) continue;
    ++selected;
    if (ep.healthy) out.endpoints.push_back(&ep);
  }
  if (!out.endpoints.empty()) return;

  const std::string what = subset.empty()
                               ? "service " + svc->hostname
                               : "subset " + quoted(subset) + " (" + subsetLabelsText(wanted) + ")";
  out.status = DestinationStatus::kNoHealthyUpstream;
  if (selected > 0) {
    out.problem = what + " selects " + std::to_string(selected) + " endpoint" +
                  (selected == 1 ? "" : "s") + ", but none is ready";
    return;
  }
  if (!all.empty()) {
    out.problem = what + " selects 0 of " + std::to_string(all.size()) + " endpoints of " +
                  svc->hostname + ": " + nearestDifference(wanted, all);
    return;
  }

  // No endpoints at all. For a Kubernetes service whose pods are only known from Deployment
  // templates, judge the subset against the templates: their pods would be the endpoints
  // (meshroute's stand-in for a running cluster, not an Istio rule).
  if (!svc->template_workloads.empty()) {
    std::vector<Candidate> templates;
    std::vector<const registry::Workload*> matched;
    for (const registry::Workload* w : svc->template_workloads) {
      templates.push_back({&w->labels, "Deployment " + w->name});
      if (labelsSubsetOf(wanted, w->labels)) matched.push_back(w);
    }
    const bool any_replicas =
        std::any_of(matched.begin(), matched.end(),
                    [](const registry::Workload* w) { return w->replicas > 0; });
    if (any_replicas) {
      out.status = DestinationStatus::kOk;
      out.template_workloads = std::move(matched);
    } else if (!matched.empty()) {
      out.problem = what + " selects only Deployments scaled to 0 replicas";
    } else {
      out.problem = what + " selects 0 of " + std::to_string(templates.size()) +
                    " Deployments behind " + svc->hostname + ": " +
                    nearestDifference(wanted, templates);
    }
    return;
  }
  if (!svc->from_service_entry && !svc->selector.empty()) {
    out.problem = "service " + svc->hostname + " has no endpoints: no Pod, Deployment, " +
                  "Endpoints or EndpointSlice matches its selector (" +
                  formatLabels(svc->selector) + ")";
    return;
  }
  out.problem = "service " + svc->hostname + " has no endpoints" +
                (svc->from_service_entry
                     ? std::string(" (the ServiceEntry lists none and selects no workload)")
                     : std::string());
}

}  // namespace meshroute::routing::detail
