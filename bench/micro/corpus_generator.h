// Generates a realistic mix of Istio networking resources as one multi-document YAML text, for
// benchmarks of the offline path (load, validate; later analyze). Deterministic for a given n.
#pragma once

#include <string>

namespace meshroute::bench {

// About n resources: per service a VirtualService, a DestinationRule and a WorkloadEntry, plus
// ServiceEntries, Gateways, Sidecars and WorkloadGroups in proportion.
std::string generateCorpus(int n);

}  // namespace meshroute::bench
