// Istio's admission rules for Sidecar.
#include "validate/common.h"
#include "validate/validate.h"

namespace meshroute::validate {

void validateSidecar(const api::Resource& res, const api::Sidecar& sc, Report& r) {}

}  // namespace meshroute::validate
