// Locality-aware load balancing, as Istio configures Envoy for a DestinationRule's
// localityLbSetting and Envoy applies it. Two stages, both pure:
// - placeLocalities: Istio's part. From the proxy's locality and labels and each endpoint's,
//   every endpoint gets a priority (0 first; `failover`, `failoverPriority`, or the default
//   region/zone/subzone match) and, with `distribute`, its locality a weight, or is dropped.
// - planLoad: Envoy's part, redone whenever endpoint health changes. Each priority takes the
//   share of traffic its health allows (x1.4 overprovisioning), the rest spills to the next;
//   within a priority each locality takes its weight times its own health.
// The result is a list of groups (a priority's locality, or a whole priority) with the share of
// requests each gets; the load balancer picks a group, then an endpoint inside it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "api/model/destination_rule.h"

namespace meshroute::upstream {

struct Locality {
  std::string region;
  std::string zone;
  std::string subzone;
  // "region/zone/subzone"; missing parts are empty.
  static Locality parse(std::string_view label);
  [[nodiscard]] bool empty() const { return region.empty() && zone.empty() && subzone.empty(); }
  [[nodiscard]] std::string label() const;
  friend bool operator==(const Locality&, const Locality&) = default;
};

// Istio's LocalityMatch: `pattern` is "region[/zone[/subzone]]", each part a name or "*"; a
// missing zone or subzone matches any.
bool localityMatches(const Locality& locality, std::string_view pattern);

// Istio's LbPriority: 0 same subzone, 1 same zone, 2 same region, 3 elsewhere.
uint32_t localityPriority(const Locality& proxy, const Locality& endpoint);

// The labels Istio adds to a proxy's and an endpoint's own for failoverPriority:
// topology.kubernetes.io/region and zone, topology.istio.io/subzone (and network when set).
std::map<std::string, std::string> withTopologyLabels(std::map<std::string, std::string> labels,
                                                      const Locality& locality,
                                                      const std::string& network);

struct LocalityEndpoint {
  Locality locality;
  const std::map<std::string, std::string>* labels = nullptr;  // with topology labels
  uint32_t weight = 1;
};

struct LocalityPlacement {
  // Per endpoint, in input order. Priorities are dense: 0..priorityCount()-1.
  std::vector<uint32_t> priority;
  std::vector<bool> dropped;  // `distribute` sends this endpoint's locality nothing
  // Per endpoint: its locality's weight (Envoy's locality load_balancing_weight).
  std::vector<uint32_t> locality_weight;
  // Envoy's locality-weighted balancing: on with `distribute` or an explicit failover list;
  // off, a priority's endpoints share its traffic by their own weights alone.
  bool locality_weighted = false;
  // Whether anything applies: false leaves every endpoint at priority 0, undropped.
  bool active = false;
  [[nodiscard]] uint32_t priorityCount() const;
};

// Istio's ApplyLocalityLoadBalancer. `setting`: the DestinationRule's localityLbSetting, else
// the mesh's (null: none, or `enabled: false`). `failover_enabled`: the policy sets
// outlierDetection, without which Istio applies no failover (distribute still applies).
LocalityPlacement placeLocalities(const Locality& proxy,
                                  const std::map<std::string, std::string>& proxy_labels,
                                  const std::vector<LocalityEndpoint>& endpoints,
                                  const api::LocalityLoadBalancerSetting* setting,
                                  bool failover_enabled);

// Envoy's default overprovisioning factor, in percent.
inline constexpr uint32_t kOverprovisioningPercent = 140;

struct LoadGroup {
  uint32_t priority = 0;
  std::vector<uint32_t> hosts;  // endpoint indices to pick among (healthy ones, or all in panic)
  double share = 0;             // of all requests, 0..1
};

struct LoadPlan {
  std::vector<LoadGroup> groups;  // only groups with a share above 0
  bool panic = false;             // no priority has a healthy endpoint: all of them are used
  // With priorities excluded: the others have no healthy endpoint (no groups then; Envoy's
  // previous_priorities starts over with none excluded).
  bool exhausted = false;
};

// Envoy's priority and locality load. `healthy[i]`: endpoint i may take traffic now.
// `excluded_priorities` (bit p: priority p) count as having no healthy endpoint: Envoy's
// previous_priorities retry plugin, which Istio's retryRemoteLocalities turns on.
LoadPlan planLoad(const LocalityPlacement& placement,
                  const std::vector<LocalityEndpoint>& endpoints, const std::vector<bool>& healthy,
                  uint64_t excluded_priorities = 0);

// Envoy's previous_priorities with Istio's update frequency of 2: before attempt `attempts_made`
// + 1, the priorities to exclude, given the priorities of every endpoint attempted so far
// (bit p) and those excluded before. Recomputed every second attempt.
uint64_t prioritiesToExclude(uint32_t attempts_made, uint64_t attempted, uint64_t excluded);

}  // namespace meshroute::upstream
