// Istio's admission rules for VirtualService.
#include "validate/common.h"
#include "validate/validate.h"

namespace meshroute::validate {

void validateVirtualService(const api::Resource& res, const api::VirtualService& vs, Report& r) {}

}  // namespace meshroute::validate
