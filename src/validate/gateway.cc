// Istio's admission rules for Gateway.
#include "validate/common.h"
#include "validate/validate.h"

namespace meshroute::validate {

void validateGateway(const api::Resource& res, const api::Gateway& gw, Report& r) {}

}  // namespace meshroute::validate
