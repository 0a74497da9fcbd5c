#include "analysis/analyzers/groups.h"

namespace meshroute::analysis {

void addMeshrouteRouteAnalyzers(std::vector<Analyzer>& out);
void addMeshrouteBindingAnalyzers(std::vector<Analyzer>& out);

void addMeshrouteAnalyzers(std::vector<Analyzer>& out) {
  addMeshrouteRouteAnalyzers(out);
  addMeshrouteBindingAnalyzers(out);
}

}  // namespace meshroute::analysis
