// networking.istio.io Gateway: the typed model of its spec (every field of the CRD schema).
#pragma once

#include "api/model/common.h"

namespace meshroute::api {

struct Gateway : Message {};
template <class V>
void describe(V& v, Gateway& m) {}

}  // namespace meshroute::api
