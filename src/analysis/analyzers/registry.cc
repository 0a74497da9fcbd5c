#include "analysis/analyzers/groups.h"

namespace meshroute::analysis {

const std::vector<Analyzer>& allAnalyzers() {
  static const std::vector<Analyzer> all = [] {
    // istioctl's order (pkg/config/analysis/analyzers/all.go, networking analyzers only), so
    // --list-analyzers reads the same; schema analyzers come last as there, then meshroute's.
    std::vector<Analyzer> list;
    addDeploymentAnalyzers(list);
    addDestinationRuleAnalyzers(list);
    addDeprecationAnalyzers(list);
    addGatewayAnalyzers(list);
    addServiceAnalyzers(list);
    addSidecarAnalyzers(list);
    addVirtualServiceAnalyzers(list);
    addServiceEntryAnalyzers(list);
    addSchemaAnalyzers(list);
    addMeshrouteAnalyzers(list);
    return list;
  }();
  return all;
}

}  // namespace meshroute::analysis
