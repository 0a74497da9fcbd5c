// Rendering of a routing Decision for people (text) and programs (JSON).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "routing/snapshot.h"

namespace meshroute::cli {

struct ExplainInput {
  const routing::Proxy& proxy;
  const routing::Request& request;
  const routing::Decision& decision;
  const std::vector<std::string>& ignored;  // resources left out, with why
  const routing::Snapshot& snapshot;
};

std::string explainText(const ExplainInput& in);
nlohmann::json explainJson(const ExplainInput& in);
// 0 routed or answered (redirect, direct response), 1 no route or an error response.
int explainExitCode(const routing::Decision& d);

// "3 tries x 2s per try = 6s, within the 10s timeout" and friends; "" when nothing to say.
std::string retryBudget(const routing::RouteDecision& route);

}  // namespace meshroute::cli
