// Connection-level decisions: TCP and TLS routes on sidecars (pilot/pkg/networking/core/tls.go)
// and gateways (gateway.go buildGatewayNetworkFiltersFromTCPRoutes/FromTLSRoutes), and the
// virtual outbound listener's passthrough/blackhole when no listener takes the connection.
#pragma once

#include <string>
#include <vector>

#include "routing/snapshot_internal.h"

namespace meshroute::routing {

// The service a connection is addressed to on the sidecar's listener port: by original
// destination address (a service address or CIDR), else by SNI or authority host (its names
// as the sidecar knows them). Null when none of the scope's services has the port.
const registry::Service* tcpTargetService(const Snapshot::Compiled& c, const SidecarScope& scope,
                                          const Request& request);
// The protocol of `port` on `svc` ("" when unknown or absent).
std::string servicePortProtocol(const registry::Service& svc, uint32_t port);

void decideSidecarTcp(const Snapshot::Compiled& c, const Proxy& proxy, const SidecarScope& scope,
                      const Request& request, const registry::Service* svc,
                      const DecideOptions& opts, Decision& d);
void decideGatewayTcp(const Snapshot::Compiled& c, const Proxy& proxy, const Request& request,
                      const std::vector<const GatewayServer*>& servers, const DecideOptions& opts,
                      Decision& d);
// No listener for the port: the virtual outbound listener's PassthroughCluster (ALLOW_ANY) or
// BlackHoleCluster (REGISTRY_ONLY).
void decidePassthrough(const Snapshot::Compiled& c, const Proxy& proxy, const SidecarScope& scope,
                       const Request& request, Decision& d);

}  // namespace meshroute::routing
