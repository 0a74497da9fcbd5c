// The analyzer groups; each file adds its analyzers to the list in istioctl's order.
#pragma once

#include <vector>

#include "analysis/analyzer.h"

namespace meshroute::analysis {

// deployment.MultiServiceAnalyzer (service association), destinationrule.* , deprecation
void addDeploymentAnalyzers(std::vector<Analyzer>& out);
void addDestinationRuleAnalyzers(std::vector<Analyzer>& out);
void addDeprecationAnalyzers(std::vector<Analyzer>& out);
void addGatewayAnalyzers(std::vector<Analyzer>& out);
void addServiceAnalyzers(std::vector<Analyzer>& out);
void addSidecarAnalyzers(std::vector<Analyzer>& out);
void addVirtualServiceAnalyzers(std::vector<Analyzer>& out);
void addServiceEntryAnalyzers(std::vector<Analyzer>& out);
void addSchemaAnalyzers(std::vector<Analyzer>& out);
// meshroute's own checks (codes MR0xxx).
void addMeshrouteAnalyzers(std::vector<Analyzer>& out);

}  // namespace meshroute::analysis
