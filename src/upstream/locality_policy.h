// Which localityLbSetting applies to a routed destination and where it puts the destination's
// endpoints for a given proxy: the glue between a routing decision and upstream/locality.h, used
// alike by the proxy's clusters, /clusters and `meshroute explain`.
#pragma once

#include "routing/decision.h"
#include "routing/request.h"
#include "upstream/locality.h"

namespace meshroute::upstream {

// Where locality load balancing puts `r`'s endpoints (those with an address, in order) for
// `proxy`: inactive when it does not apply (no localityLbSetting in force, or failover without
// outlierDetection).
LocalityPlacement localityPlacement(const routing::DestinationResolution& r,
                                    const routing::Proxy& proxy, const routing::MeshConfig& mesh);

// The localities of `r`'s endpoints with an address, in order (for planLoad).
std::vector<LocalityEndpoint> endpointLocalities(const routing::DestinationResolution& r);

}  // namespace meshroute::upstream
