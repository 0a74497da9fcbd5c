// networking.istio.io DestinationRule: the typed model of its spec (every field of the CRD schema).
#pragma once

#include "api/model/common.h"

namespace meshroute::api {

struct DestinationRule : Message {};
template <class V>
void describe(V& v, DestinationRule& m) {}

}  // namespace meshroute::api
