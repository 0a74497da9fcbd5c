#include "upstream/locality.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace meshroute::upstream {
namespace {

constexpr const char* kRegionLabel = "topology.kubernetes.io/region";
constexpr const char* kZoneLabel = "topology.kubernetes.io/zone";
constexpr const char* kSubzoneLabel = "topology.istio.io/subzone";
constexpr const char* kNetworkLabel = "topology.istio.io/network";

std::vector<std::string_view> splitSlash(std::string_view s) {
  std::vector<std::string_view> parts;
  while (true) {
    const size_t slash = s.find('/');
    parts.push_back(s.substr(0, slash));
    if (slash == std::string_view::npos) break;
    s.remove_prefix(slash + 1);
  }
  return parts;
}

// Dense priorities: the distinct values in increasing order become 0, 1, 2...
void compress(std::vector<uint32_t>& priority) {
  std::vector<uint32_t> distinct = priority;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  for (uint32_t& p : priority) {
    p = static_cast<uint32_t>(std::lower_bound(distinct.begin(), distinct.end(), p) -
                              distinct.begin());
  }
}

// A pattern's specificity: how many of its parts are names, not wildcards or missing. Istio
// walks `distribute[].to` in Go's random map order; meshroute tries the most specific pattern
// first, so that {"us/a/*": 80, "us/*": 20} means what it says whatever the order.
int specificity(std::string_view pattern) {
  int n = 0;
  for (std::string_view part : splitSlash(pattern)) n += part.empty() || part == "*" ? 0 : 1;
  return n;
}

// `distribute`: the first rule whose `from` matches the proxy weighs the localities its `to`
// names and drops the others. False when no rule is for this proxy.
bool applyDistribute(const Locality& proxy, const std::vector<LocalityEndpoint>& endpoints,
                     const std::vector<api::LocalityDistribute>& distribute,
                     LocalityPlacement& out) {
  const api::LocalityDistribute* rule = nullptr;
  for (const auto& d : distribute) {
    if (localityMatches(proxy, d.from)) {
      rule = &d;
      break;
    }
  }
  if (rule == nullptr) return false;
  // Localities in first-seen order, each with the sum of its endpoints' weights (the weight
  // Istio gives a locality's endpoint group).
  std::vector<std::string> labels;
  std::vector<uint64_t> weight;
  std::vector<size_t> group(endpoints.size());
  for (size_t i = 0; i < endpoints.size(); ++i) {
    const std::string label = endpoints[i].locality.label();
    auto it = std::find(labels.begin(), labels.end(), label);
    if (it == labels.end()) {
      labels.push_back(label);
      weight.push_back(0);
      it = labels.end() - 1;
    }
    group[i] = static_cast<size_t>(it - labels.begin());
    weight[group[i]] += endpoints[i].weight;
  }
  std::vector<std::pair<std::string, uint32_t>> to(rule->to.begin(), rule->to.end());
  std::stable_sort(to.begin(), to.end(), [](const auto& a, const auto& b) {
    return specificity(a.first) > specificity(b.first);
  });
  std::vector<bool> matched(labels.size(), false);
  std::vector<uint64_t> assigned = weight;
  for (const auto& [pattern, share] : to) {
    std::vector<size_t> hits;
    uint64_t total = 0;
    for (size_t g = 0; g < labels.size(); ++g) {
      if (matched[g] || !localityMatches(Locality::parse(labels[g]), pattern)) continue;
      matched[g] = true;
      hits.push_back(g);
      total += weight[g];
    }
    // A pattern matching several localities divides its share among them by their weights.
    for (size_t g : hits) {
      const double w = static_cast<double>(weight[g] * share) / static_cast<double>(total);
      if (w > 0) assigned[g] = static_cast<uint64_t>(std::ceil(w));
    }
  }
  for (size_t i = 0; i < endpoints.size(); ++i) {
    out.dropped[i] = !matched[group[i]];
    out.locality_weight[i] = static_cast<uint32_t>(std::min<uint64_t>(assigned[group[i]], ~0U));
  }
  return true;
}

// `failoverPriority`: an endpoint's priority is how early in the list its labels first differ
// from the proxy's (0 when all agree). "label=value" compares against that value instead.
std::vector<uint32_t> labelPriorities(const std::map<std::string, std::string>& proxy_labels,
                                      const std::vector<LocalityEndpoint>& endpoints,
                                      const std::vector<std::string>& failover_priority) {
  std::vector<uint32_t> out(endpoints.size(), 0);
  const auto lowest = static_cast<uint32_t>(failover_priority.size());
  static const std::map<std::string, std::string> kNone;
  for (size_t i = 0; i < endpoints.size(); ++i) {
    const auto& labels = endpoints[i].labels != nullptr ? *endpoints[i].labels : kNone;
    for (uint32_t j = 0; j < lowest; ++j) {
      std::string_view entry = failover_priority[j];
      const size_t eq = entry.find('=');
      const std::string name(entry.substr(0, eq));
      std::string want;
      if (eq != std::string_view::npos) {
        want = std::string(entry.substr(eq + 1));
      } else if (auto p = proxy_labels.find(name); p != proxy_labels.end()) {
        want = p->second;
      }
      auto have = labels.find(name);
      if ((have == labels.end() ? std::string() : have->second) != want) {
        out[i] = lowest - j;
        break;
      }
    }
  }
  return out;
}

}  // namespace

Locality Locality::parse(std::string_view label) {
  Locality l;
  std::vector<std::string_view> parts = splitSlash(label);
  if (!parts.empty()) l.region = std::string(parts[0]);
  if (parts.size() > 1) l.zone = std::string(parts[1]);
  if (parts.size() > 2) l.subzone = std::string(parts[2]);
  return l;
}

std::string Locality::label() const {
  if (subzone.empty() && zone.empty()) return region;
  if (subzone.empty()) return region + "/" + zone;
  return region + "/" + zone + "/" + subzone;
}

bool localityMatches(const Locality& locality, std::string_view pattern) {
  const Locality rule = Locality::parse(pattern);
  const bool region = rule.region == "*" || rule.region == locality.region;
  const bool zone = rule.zone.empty() || rule.zone == "*" || rule.zone == locality.zone;
  const bool subzone =
      rule.subzone.empty() || rule.subzone == "*" || rule.subzone == locality.subzone;
  return region && zone && subzone;
}

uint32_t localityPriority(const Locality& proxy, const Locality& endpoint) {
  if (proxy.region != endpoint.region) return 3;
  if (proxy.zone != endpoint.zone) return 2;
  if (proxy.subzone != endpoint.subzone) return 1;
  return 0;
}

std::map<std::string, std::string> withTopologyLabels(std::map<std::string, std::string> labels,
                                                      const Locality& locality,
                                                      const std::string& network) {
  // Istio's AugmentLabels: the workload's own labels win.
  if (!locality.region.empty()) labels.emplace(kRegionLabel, locality.region);
  if (!locality.zone.empty()) labels.emplace(kZoneLabel, locality.zone);
  if (!locality.subzone.empty()) labels.emplace(kSubzoneLabel, locality.subzone);
  if (!network.empty()) labels.emplace(kNetworkLabel, network);
  return labels;
}

uint32_t LocalityPlacement::priorityCount() const {
  uint32_t n = 0;
  for (size_t i = 0; i < priority.size(); ++i) {
    if (!dropped[i]) n = std::max(n, priority[i] + 1);
  }
  return n;
}

LocalityPlacement placeLocalities(const Locality& proxy,
                                  const std::map<std::string, std::string>& proxy_labels,
                                  const std::vector<LocalityEndpoint>& endpoints,
                                  const api::LocalityLoadBalancerSetting* setting,
                                  bool failover_enabled) {
  LocalityPlacement out;
  out.priority.assign(endpoints.size(), 0);
  out.dropped.assign(endpoints.size(), false);
  out.locality_weight.assign(endpoints.size(), 0);
  // Without `distribute`, a locality weighs what its endpoints weigh together.
  std::map<std::string, uint32_t> sums;
  for (const auto& e : endpoints) sums[e.locality.label()] += e.weight;
  for (size_t i = 0; i < endpoints.size(); ++i) {
    out.locality_weight[i] = sums[endpoints[i].locality.label()];
  }
  if (setting == nullptr || (setting->enabled && !*setting->enabled)) return out;
  if (!setting->distribute.empty()) {
    out.active = applyDistribute(proxy, endpoints, setting->distribute, out);
    out.locality_weighted = true;
    return out;
  }
  if (!failover_enabled) return out;
  out.active = true;
  out.locality_weighted = !setting->failover.empty() || !setting->failover_priority.empty();
  std::vector<uint32_t> base(endpoints.size(), 0);
  // Istio skips failoverPriority for a proxy without labels.
  const bool by_labels = !setting->failover_priority.empty() && !proxy_labels.empty();
  if (by_labels) base = labelPriorities(proxy_labels, endpoints, setting->failover_priority);
  const bool by_locality = setting->failover_priority.empty() || !setting->failover.empty();
  for (size_t i = 0; i < endpoints.size(); ++i) {
    uint32_t p = 0;
    if (by_locality) {
      p = localityPriority(proxy, endpoints[i].locality);
      // An explicit failover for the proxy's region: only its `to` region is next in line;
      // every other region comes after it.
      if (p == 3) {
        for (const auto& f : setting->failover) {
          if (f.from != proxy.region) continue;
          if (endpoints[i].locality.region != f.to) p = 4;
          break;
        }
      }
    }
    out.priority[i] = base[i] * 5 + p;
  }
  compress(out.priority);
  return out;
}

uint64_t prioritiesToExclude(uint32_t attempts_made, uint64_t attempted, uint64_t excluded) {
  constexpr uint32_t kUpdateFrequency = 2;  // istiod's PreviousPrioritiesConfig
  if (attempts_made < kUpdateFrequency) return 0;
  return attempts_made % kUpdateFrequency == 0 ? attempted : excluded;
}

LoadPlan planLoad(const LocalityPlacement& placement,
                  const std::vector<LocalityEndpoint>& endpoints, const std::vector<bool>& healthy,
                  uint64_t excluded_priorities) {
  LoadPlan plan;
  const uint32_t priorities = placement.priorityCount();
  std::vector<uint32_t> total(priorities, 0);
  std::vector<uint32_t> up(priorities, 0);
  for (size_t i = 0; i < endpoints.size(); ++i) {
    if (placement.dropped[i]) continue;
    ++total[placement.priority[i]];
    up[placement.priority[i]] += healthy[i] ? 1 : 0;
  }
  // A priority's health: the share of its endpoints that are healthy, overprovisioned, at most
  // 100 (Envoy's integer arithmetic).
  std::vector<uint32_t> health(priorities, 0);
  uint32_t sum = 0;
  for (uint32_t p = 0; p < priorities; ++p) {
    if (total[p] == 0 || (p < 64 && (excluded_priorities >> p & 1) != 0)) continue;
    health[p] = std::min<uint32_t>(100, kOverprovisioningPercent * up[p] / total[p]);
    sum += health[p];
  }
  const uint32_t availability = std::min<uint32_t>(100, sum);
  std::vector<double> load(priorities, 0);
  if (availability == 0 && excluded_priorities != 0) {
    plan.exhausted = true;
    return plan;
  }
  if (availability == 0) {
    // Total panic: every priority by its endpoint count, every endpoint a candidate.
    plan.panic = true;
    const uint32_t all = std::accumulate(total.begin(), total.end(), 0U);
    for (uint32_t p = 0; p < priorities && all > 0; ++p) load[p] = double(total[p]) / all;
  } else {
    uint32_t remaining = 100;
    std::vector<uint32_t> percent(priorities, 0);
    for (uint32_t p = 0; p < priorities; ++p) {
      percent[p] = std::min(remaining, health[p] * 100 / availability);
      remaining -= percent[p];
    }
    // Rounding leftovers go to the first priority that can take traffic.
    for (uint32_t p = 0; p < priorities && remaining > 0; ++p) {
      if (health[p] > 0) {
        percent[p] += remaining;
        remaining = 0;
      }
    }
    for (uint32_t p = 0; p < priorities; ++p) load[p] = percent[p] / 100.0;
  }
  for (uint32_t p = 0; p < priorities; ++p) {
    if (load[p] <= 0) continue;
    // The priority's localities (one group for the whole priority without locality weights).
    std::vector<std::string> labels;
    std::vector<LoadGroup> groups;
    std::vector<double> effective;
    for (size_t i = 0; i < endpoints.size(); ++i) {
      if (placement.dropped[i] || placement.priority[i] != p) continue;
      const std::string label = placement.locality_weighted ? endpoints[i].locality.label() : "";
      auto it = std::find(labels.begin(), labels.end(), label);
      size_t g = static_cast<size_t>(it - labels.begin());
      if (it == labels.end()) {
        labels.push_back(label);
        groups.push_back(LoadGroup{p, {}, 0});
        effective.push_back(placement.locality_weight[i]);
        groups.back().share = 0;  // counts the group's endpoints until the weights are known
      }
      groups[g].share += 1;
      if (plan.panic || healthy[i]) groups[g].hosts.push_back(static_cast<uint32_t>(i));
    }
    // A locality's effective weight: its weight times its own overprovisioned health.
    double sum_effective = 0;
    for (size_t g = 0; g < groups.size(); ++g) {
      const double ratio = static_cast<double>(groups[g].hosts.size()) / groups[g].share;
      effective[g] *= std::min(1.0, ratio * kOverprovisioningPercent / 100.0);
      if (!placement.locality_weighted) effective[g] = 1;
      sum_effective += effective[g];
    }
    for (size_t g = 0; g < groups.size(); ++g) {
      if (sum_effective <= 0 || effective[g] <= 0 || groups[g].hosts.empty()) continue;
      groups[g].share = load[p] * effective[g] / sum_effective;
      plan.groups.push_back(std::move(groups[g]));
    }
  }
  return plan;
}

}  // namespace meshroute::upstream
