// networking.istio.io ServiceEntry: the typed model of its spec (every field of the CRD schema).
#pragma once

#include "api/model/common.h"
#include "api/model/workload_entry.h"

namespace meshroute::api {

struct ServicePort : Message {
  uint32_t number = 0;
  std::string protocol;
  std::string name;
  uint32_t target_port = 0;
};
template <class V>
void describe(V& v, ServicePort& m) {
  v("number", m.number, {.required = true});
  v("protocol", m.protocol);
  v("name", m.name, {.required = true});
  v("targetPort", m.target_port);
}

// networking.WorkloadSelector: unlike istio.type's selector it names its map `labels`.
struct ServiceEntryWorkloadSelector : Message {
  StringMap labels;
};
template <class V>
void describe(V& v, ServiceEntryWorkloadSelector& m) {
  v("labels", m.labels);
}

inline constexpr EnumValue kServiceEntryLocationValues[] = {{"MESH_EXTERNAL", 0},
                                                            {"MESH_INTERNAL", 1}};
inline constexpr EnumTable kServiceEntryLocation{kServiceEntryLocationValues};

inline constexpr EnumValue kServiceEntryResolutionValues[] = {
    {"NONE", 0}, {"STATIC", 1}, {"DNS", 2}, {"DNS_ROUND_ROBIN", 3}, {"DYNAMIC_DNS", 4}};
inline constexpr EnumTable kServiceEntryResolution{kServiceEntryResolutionValues};

struct ServiceEntry : Message {
  std::vector<std::string> hosts;
  std::vector<std::string> addresses;
  std::vector<ServicePort> ports;
  std::string location;
  std::string resolution;
  std::vector<WorkloadEntry> endpoints;
  std::optional<ServiceEntryWorkloadSelector> workload_selector;
  std::vector<std::string> export_to;
  std::vector<std::string> subject_alt_names;
};
template <class V>
void describe(V& v, ServiceEntry& m) {
  v("hosts", m.hosts, {.required = true});
  v("addresses", m.addresses);
  v("ports", m.ports);
  v("location", m.location, {.enums = &kServiceEntryLocation});
  v("resolution", m.resolution, {.enums = &kServiceEntryResolution});
  v("endpoints", m.endpoints);
  v("workloadSelector", m.workload_selector);
  v("exportTo", m.export_to);
  v("subjectAltNames", m.subject_alt_names);
}

}  // namespace meshroute::api
