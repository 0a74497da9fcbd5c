// networking.istio.io ServiceEntry: the typed model of its spec (every field of the CRD schema).
#pragma once

#include "api/model/common.h"

namespace meshroute::api {

struct ServiceEntry : Message {};
template <class V>
void describe(V& v, ServiceEntry& m) {}

}  // namespace meshroute::api
