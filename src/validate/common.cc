// Shared validation helpers; see common.h.
#include "validate/common.h"

namespace meshroute::validate {

void validateObjectMeta(const api::Resource&, Report&) {}

}  // namespace meshroute::validate
