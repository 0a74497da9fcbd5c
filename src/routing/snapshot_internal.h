// Internals of the routing snapshot, shared by snapshot*.cc: compiled VirtualServices, the
// visibility indexes, and the per-proxy views (sidecar scopes, route configurations) that are
// derived on first use and cached, as istiod derives them per proxy.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "registry/registry.h"
#include "routing/cors_policy.h"
#include "routing/hosts.h"
#include "routing/http_match.h"
#include "routing/snapshot.h"

namespace meshroute::routing {

// Where a rule of a (delegate-merged) VirtualService came from.
struct HttpRuleOrigin {
  int root_rule = 0;                        // index of the rule in the VirtualService as written
  const api::Resource* delegate = nullptr;  // set when the rule came from a delegate
  int delegate_rule = -1;                   // its index in the delegate
};

struct CompiledVirtualService {
  const api::Resource* resource = nullptr;
  std::string ns;
  std::string name;
  std::string key;      // "ns/name"
  std::string created;  // creationTimestamp as written ("" sorts first, as Go's zero time)
  // The spec as istiod uses it: short names resolved (ResolveVirtualServiceShortnames),
  // delegates merged into the root's http list (mergeVirtualServices).
  api::VirtualService spec;
  std::vector<std::string> hosts;     // resolved, lower-case
  std::vector<std::string> gateways;  // resolved, {"mesh"} when none is written
  hosts::ExportTo export_to;
  std::vector<HttpRuleOrigin> origins;  // one per spec.http rule
  std::vector<HttpRouteMatch> routes;   // one per Envoy route, in order
  // Each rule's policies compiled once per configuration (one entry per spec.http rule): the
  // retry policy with its retryOn conditions, and the CORS policy (null when the rule has none).
  std::vector<RetryPolicy> retries;
  std::vector<std::shared_ptr<const CompiledCors>> cors;
  RouteIndex index;
  std::vector<std::string> notes;  // e.g. a delegate that could not be used

  [[nodiscard]] bool boundTo(std::string_view gateway) const;
};

enum class RouteState : uint8_t { kActive, kFiltered, kUnreachable };

// A VirtualService's routes as built for one proxy, port and gateway: which survive istiod's
// generation-time filter (port, sourceLabels, sourceNamespace, gateways) and which follow a
// catch-all route (Istio stops there).
struct RouteSegment {
  const CompiledVirtualService* vs = nullptr;
  std::string gateway;  // "mesh" on sidecars, "ns/name" on gateways
  std::vector<RouteState> state;
  bool any_active = false;
};
RouteSegment buildSegment(const CompiledVirtualService& vs, const StaticContext& ctx);

enum class VhostKind : uint8_t {
  kVirtualService,  // routes of one (sidecar) or several merged (gateway) VirtualServices
  kDefault,         // a service without a VirtualService: route "default" to its cluster
  kAllowAny,        // sidecar catch-all, ALLOW_ANY: PassthroughCluster (or the egress proxy)
  kBlockAll,        // sidecar catch-all, REGISTRY_ONLY: direct response 502
  kRedirectOnly,    // gateway httpsRedirect host without routes
  kEmpty,           // gateway port with no virtual host: every request gets 404 NR
};

struct VirtualHostEntry {
  VhostKind kind = VhostKind::kVirtualService;
  std::string name;
  std::vector<std::string> domains;
  std::vector<RouteSegment> segments;
  bool reorder_catch_all = false;  // gateways: catch-all routes moved last (SortVHostRoutes)
  bool require_tls = false;        // gateway server with tls.httpsRedirect
  const registry::Service* service = nullptr;  // kDefault
  uint32_t port = 0;                           // kDefault: the service port
};

// One Envoy route configuration (sidecar "9080", gateway "http.80" ...) with its domain index.
struct RouteConfig {
  std::string name;
  std::string listener;
  std::vector<VirtualHostEntry> vhosts;
  std::unordered_map<std::string, int> exact;
  std::unordered_map<std::string, int> suffix;  // "*.foo.com" filed under ".foo.com"
  std::vector<size_t> suffix_lengths;           // longest first
  int star = -1;
  bool is_gateway = false;
  bool exists = true;  // false: no listener for the port
  // Sidecars: a service of the scope exposes the port as HTTP (or unknown, sniffed). Istio
  // builds outbound listeners from service ports, so without one no VirtualService applies.
  bool http_listener = false;

  // Sidecars: services exposing the port as non-HTTP (TCP, TLS...), which get a listener of
  // their own on their address: by address and by every name the sidecar knows them by.
  std::unordered_map<std::string, const registry::Service*> tcp_by_address;
  std::unordered_map<std::string, const registry::Service*> tcp_by_name;
  std::vector<std::pair<std::string, const registry::Service*>> tcp_by_cidr;

  void addVhost(VirtualHostEntry v);
  [[nodiscard]] const registry::Service* tcpService(std::string_view address,
                                                    std::string_view host) const;
  // Envoy's virtual host selection: exact domain, then the longest "*suffix", then "*".
  [[nodiscard]] int find(std::string_view host) const;
};

struct EgressScope {
  uint32_t port = 0;  // 0: the catch-all listener
  std::string protocol;
  std::vector<const registry::Service*> services;
  std::vector<const CompiledVirtualService*> virtual_services;  // in Istio's order
};

struct SidecarScope {
  const api::Resource* sidecar = nullptr;  // null: the namespace's default scope
  std::string ns;
  std::vector<EgressScope> egress;
  bool allow_any = true;
  std::optional<api::Destination> egress_proxy;
};

struct GatewayServer {
  const api::Resource* gateway = nullptr;
  std::string gateway_name;  // "ns/name"
  const api::Server* server = nullptr;
  std::vector<std::string> hosts;  // sanitised: "ns/host" kept, "*/host" -> "host", "./" resolved
  std::string protocol;            // upper-case
};

struct Snapshot::Compiled {
  const std::vector<api::Resource>* resources = nullptr;
  const registry::Registry* registry = nullptr;
  const DestinationIndex* destinations = nullptr;
  const MeshConfig* mesh = nullptr;

  std::vector<CompiledVirtualService> virtual_services;  // roots, oldest first
  std::vector<const api::Resource*> delegate_resources;  // VirtualServices without hosts
  // Visibility index by gateway name (initVirtualServices): public ones, ones private to their
  // namespace, and ones exported to named namespaces.
  std::unordered_map<std::string, std::vector<int>> public_by_gateway;
  std::map<std::pair<std::string, std::string>, std::vector<int>> private_by_ns_gateway;
  std::map<std::pair<std::string, std::string>, std::vector<int>> exported_by_ns_gateway;

  // VirtualServices by host, for the notes about the ones that did not apply.
  std::unordered_map<std::string, std::vector<int>> vs_by_host;
  std::vector<int> wildcard_vs;

  std::vector<const api::Resource*> sidecars;  // with workloadSelector first, each oldest first
  const api::Resource* root_sidecar = nullptr;
  std::vector<const api::Resource*> gateways;  // oldest first

  std::vector<const registry::Service*> services;  // oldest first
  std::unordered_map<const registry::Service*, hosts::ExportTo> service_export;

  // Per-proxy views, derived on first use.
  mutable std::mutex mu;
  mutable std::unordered_map<std::string, std::shared_ptr<const SidecarScope>> scope_cache;
  mutable std::unordered_map<std::string, std::shared_ptr<const RouteConfig>> route_cache;

  [[nodiscard]] bool serviceVisible(const registry::Service* s, std::string_view ns) const;
  // VirtualServicesForGateway: private, then exported to `ns`, then public; each oldest first.
  [[nodiscard]] std::vector<const CompiledVirtualService*> virtualServicesFor(
      std::string_view ns, std::string_view gateway) const;
  // VirtualServices (oldest first) with a host that matches `host` (host.Name.Matches).
  [[nodiscard]] std::vector<const CompiledVirtualService*> virtualServicesMatching(
      std::string_view host) const;
  [[nodiscard]] const registry::Service* serviceFor(std::string_view host,
                                                    std::string_view proxy_ns) const;

  [[nodiscard]] std::shared_ptr<const SidecarScope> sidecarScope(const Proxy& proxy) const;
  [[nodiscard]] std::shared_ptr<const RouteConfig> sidecarRouteConfig(
      const Proxy& proxy, const SidecarScope& scope, const StaticContext& ctx) const;
  // The Gateway servers that select a router proxy (any namespace, by selector labels).
  [[nodiscard]] std::vector<GatewayServer> gatewayServers(const Proxy& proxy) const;
  [[nodiscard]] std::shared_ptr<const RouteConfig> gatewayRouteConfig(
      const Proxy& proxy, const std::vector<const GatewayServer*>& servers,
      const std::string& route_name, const StaticContext& ctx) const;
};

// Builders (snapshot_sidecar.cc, snapshot_gateway.cc); the caching wrappers call them.
std::shared_ptr<const SidecarScope> buildSidecarScope(const Snapshot::Compiled& c,
                                                      const api::Resource* sidecar,
                                                      const std::string& ns);
std::shared_ptr<const RouteConfig> buildSidecarRouteConfig(const Snapshot::Compiled& c,
                                                           const SidecarScope& scope,
                                                           const StaticContext& ctx);
std::shared_ptr<const RouteConfig> buildGatewayRouteConfig(
    const Snapshot::Compiled& c, const Proxy& proxy,
    const std::vector<const GatewayServer*>& servers, const std::string& route_name,
    const StaticContext& ctx);

// Istio's protocol classes for a port protocol name (case-insensitive; "" = unknown, sniffed).
bool isHttpProtocol(std::string_view protocol);
bool isHttpOrSniffed(std::string_view protocol);
bool isTlsProtocol(std::string_view protocol);  // HTTPS, TLS

// The egress listener a sidecar uses for `port` (GetEgressListenerForRDS), or null.
const EgressScope* egressFor(const SidecarScope& scope, uint32_t port);

std::string labelsKey(const StringMap& labels);

}  // namespace meshroute::routing
