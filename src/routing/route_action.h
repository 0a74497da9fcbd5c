// What a matched HTTP route does (pilot/pkg/networking/core/route/route.go TranslateRoute and
// Envoy's router): redirect, direct response, or forwarding with its destinations, rewrite,
// headers, timeout, retries, fault, mirrors and CORS.
#pragma once

#include <string>
#include <string_view>

#include "routing/snapshot_internal.h"

namespace meshroute::routing {

struct ActionContext {
  const Snapshot::Compiled* compiled = nullptr;
  const Proxy* proxy = nullptr;
  const RequestView* req = nullptr;
  uint32_t listener_port = 0;
  // Router proxies look destination services up by name (all their ports); sidecars see the
  // service trimmed to the listener port (BuildSidecarOutboundVirtualHosts).
  bool gateway = false;
  bool server_tls = false;  // the gateway server terminates TLS (redirect default scheme)
  const CompiledVirtualService* vs = nullptr;
  // DecideOptions::resolve_destinations: false leaves each destination with its cluster name
  // only (status kOk); the caller resolves clusters itself.
  bool resolve = true;
};

// Fills `d` for `route` (a route of ctx.vs) that matched the request.
void applyHttpRoute(const ActionContext& ctx, const HttpRouteMatch& route, Decision& d);

// The default route of a service without VirtualService ("default" -> outbound|PORT||host).
void applyDefaultRoute(const ActionContext& ctx, const registry::Service& service, uint32_t port,
                       Decision& d);

// Resolves one destination (host already an FQDN) for the proxy: cluster, DR, subset, endpoints.
DestinationResolution resolveDestination(const ActionContext& ctx, const std::string& host,
                                         const std::string& subset, uint32_t port);

// The port Istio puts in the cluster name (GetDestinationCluster): the destination's port, else
// the service's only port, else the listener port.
uint32_t destinationPort(const ActionContext& ctx, const api::Destination& dest);

// Sets outcome/status/flags from the destinations' resolutions (NC/UH) after a route forwards.
void settleForwarding(Decision& d);

// Envoy's redirect Location for `require_tls` virtual hosts (gateway httpsRedirect).
std::string httpsRedirectLocation(const RequestView& req);

// Istio's retry policy for a route's `retries` (route/retry/retry.go): its default when the
// route sets none, retryOn compiled into conditions.
RetryPolicy retryPolicy(const std::optional<api::HTTPRetry>& route_retries, const MeshConfig& mesh);

std::string clusterName(std::string_view direction, uint32_t port, std::string_view subset,
                        std::string_view host);

}  // namespace meshroute::routing
