// Istio's admission rules for DestinationRule.
#include "validate/common.h"
#include "validate/validate.h"

namespace meshroute::validate {

void validateDestinationRule(const api::Resource& res, const api::DestinationRule& dr, Report& r) {}

}  // namespace meshroute::validate
