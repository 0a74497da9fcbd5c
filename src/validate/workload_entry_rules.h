// Rules shared by WorkloadEntry, WorkloadGroup templates and ServiceEntry endpoints (all three
// carry a WorkloadEntry).
// Internal to src/validate (service_entry.cc, workload_entry.cc).
#pragma once

#include <set>
#include <string>
#include <string_view>

#include "api/model/workload_entry.h"
#include "validate/common.h"
#include "validate/go_format.h"
#include "validate/report.h"

namespace meshroute::validate::detail {

// The CRD schema and CEL rules of a WorkloadEntry value. `address_required` is the object-level
// "Address is required" rule that WorkloadEntry and ServiceEntry endpoints have but WorkloadGroup
// templates do not.
void checkWorkloadEntrySchema(const api::WorkloadEntry& we, const Loc& at, bool address_required,
                              Report& report);

// Istio's validateWorkloadEntry. `service_ports` (port names of the owning ServiceEntry) is null
// for a standalone WorkloadEntry; `allow_fqdn` permits DNS names as addresses.
void validateWorkloadEntryRules(const api::WorkloadEntry& we, const Loc& at,
                                const std::set<std::string>* service_ports, bool allow_fqdn,
                                Report& report);

}  // namespace meshroute::validate::detail
