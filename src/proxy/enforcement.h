// What `meshroute run` does with each policy `meshroute explain` reports, so that the dry run and
// the proxy cannot drift apart silently: every policy field explain shows (named by its path in
// `explain -o json`) is either enforced on live traffic or listed here as not yet, and a
// configuration that uses one of the latter gets a warning when it loads.
//
//   for (const auto& w : unenforcedPolicies(*snapshot)) log("warning: " + w);
//   const PolicyEnforcement* e = enforcementFor("destinations[].policy.traffic_policy.tls.mode");
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "routing/snapshot.h"

namespace meshroute::proxy {

struct PolicyEnforcement {
  // A path in explain's JSON ("policy.retries.attempts"; "[]" for array elements). An entry
  // covers its path and everything below it; the longest matching entry decides.
  std::string_view path;
  bool enforced = false;
  std::string_view note;  // how, or why not yet
};

std::span<const PolicyEnforcement> policyEnforcement();

// The entry that decides for `path`, or null when none covers it.
const PolicyEnforcement* enforcementFor(std::string_view path);

// One warning per resource and policy it sets that run does not enforce yet:
// "file:line: DestinationRule ns/name: trafficPolicy.outlierDetection is not enforced by
// meshroute run yet: ...".
std::vector<std::string> unenforcedPolicies(const routing::Snapshot& snapshot);

// The leaf paths of `j` below `prefix`, as the table names them ("a.b", array elements "[]").
void jsonLeafPaths(const nlohmann::json& j, const std::string& prefix, std::set<std::string>& out);

}  // namespace meshroute::proxy
