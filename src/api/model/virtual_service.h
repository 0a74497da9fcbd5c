// networking.istio.io VirtualService: the typed model of its spec (every field of the CRD schema).
#pragma once

#include "api/model/common.h"

namespace meshroute::api {

struct VirtualService : Message {};
template <class V>
void describe(V& v, VirtualService& m) {}

}  // namespace meshroute::api
