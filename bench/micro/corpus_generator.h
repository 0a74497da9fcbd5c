// Generates a realistic mix of Istio networking resources as one multi-document YAML text, for
// benchmarks of the offline path (load, validate; later analyze). Deterministic for a given n.
#pragma once

#include <string>
#include <string_view>

namespace meshroute::bench {

// About n resources: per service a VirtualService, a DestinationRule and a WorkloadEntry, plus
// ServiceEntries, Gateways, Sidecars and WorkloadGroups in proportion.
std::string generateCorpus(int n);

// About n resources as a cluster would hold them, for `meshroute analyze`: per service a
// Kubernetes Service, a Deployment, two Pods (v1, v2), a VirtualService and a DestinationRule,
// plus ServiceEntries, Gateways and Sidecars in proportion.
std::string generateMeshCorpus(int n);

}  // namespace meshroute::bench
