// Istio's admission rules for WorkloadEntry and WorkloadGroup.
#include "validate/common.h"
#include "validate/validate.h"

namespace meshroute::validate {

void validateWorkloadEntry(const api::Resource& res, const api::WorkloadEntry& we, Report& r) {}
void validateWorkloadGroup(const api::Resource& res, const api::WorkloadGroup& wg, Report& r) {}

}  // namespace meshroute::validate
