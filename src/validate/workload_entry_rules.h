// Rules shared by WorkloadEntry, WorkloadGroup templates and ServiceEntry endpoints (all three
// carry a WorkloadEntry), plus the Kubernetes-style message forms the CRD layer produces.
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

// Kubernetes' wording for a failed CEL rule on a value of `type` ("object", "string",
// "integer", "array").
std::string celInvalid(std::string_view type, std::string_view rule_message);
// Kubernetes' wording for maxLength / maxItems / maxProperties violations.
std::string tooLong(size_t max_length);
std::string tooMany(size_t count, size_t max);

// istio labels.Instance.Validate: Kubernetes label keys, label values. Prefix goes in front of
// each message (WorkloadGroup says "invalid labels: ").
void validateLabels(const api::StringMap& labels, const Loc& at, const api::Message& owner,
                    std::string_view field, std::string_view prefix, Report& report);

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
