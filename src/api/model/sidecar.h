// networking.istio.io Sidecar: the typed model of its spec (every field of the CRD schema).
#pragma once

#include "api/model/common.h"

namespace meshroute::api {

struct Sidecar : Message {};
template <class V>
void describe(V& v, Sidecar& m) {}

}  // namespace meshroute::api
