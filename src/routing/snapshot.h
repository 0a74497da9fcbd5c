// The immutable, indexed, compiled view of a whole configuration: registry, VirtualServices by
// host with their compiled matchers, DestinationRules. Built once per config change on the
// config thread; shared read-only (std::shared_ptr<const Snapshot>) by every reader.
//
//   core::Diagnostics diags;
//   auto snap = Snapshot::build(std::move(resources), mesh, diags);
//   Decision d = snap->decide(proxy, request);
#pragma once

#include <memory>
#include <vector>

#include "api/resource.h"
#include "core/diagnostic.h"
#include "registry/registry.h"
#include "routing/decision.h"
#include "routing/destination.h"
#include "routing/request.h"
#include "routing/route_table.h"

namespace meshroute::routing {

// What decide() computes beyond the decision itself.
struct DecideOptions {
  // The per-route trace and the plain-words notes (`meshroute explain`). Off on the request
  // path: the decision is the same, found through the route indexes without a linear scan.
  bool trace = true;
  // Resolve each destination (DestinationRule, subset, endpoints, policy). Off, destinations
  // carry only their Envoy cluster name and status kOk: the proxy resolves each cluster once
  // per configuration generation and keeps the result, instead of once per request.
  bool resolve_destinations = true;
};

// What one proxy worker remembers between decisions: its sidecar scope, its route
// configuration per port, and the decisions of routes whose outcome depends on nothing in the
// request beyond the match (most of them: no redirect, no path rewrite). Belongs to one caller
// and one proxy; not thread-safe. Used with another snapshot, it forgets everything first.
class DecisionMemo {
 public:
  DecisionMemo();
  ~DecisionMemo();
  DecisionMemo(const DecisionMemo&) = delete;
  DecisionMemo& operator=(const DecisionMemo&) = delete;
  // Decisions remembered (tests, /stats).
  [[nodiscard]] size_t size() const;

  struct State;

 private:
  friend class Snapshot;
  std::unique_ptr<State> state_;
};

class Snapshot {
 public:
  // Takes the resources (already validated or not: invalid ones are skipped with a diagnostic).
  static std::shared_ptr<const Snapshot> build(std::vector<api::Resource> resources,
                                               const MeshConfig& mesh, core::Diagnostics& diags);

  // The full decision for `request` arriving at `proxy`, with its trace. Pure and thread-safe.
  [[nodiscard]] Decision decide(const Proxy& proxy, const Request& request) const;
  [[nodiscard]] Decision decide(const Proxy& proxy, const Request& request,
                                const DecideOptions& options) const;

  // The request path's decide(): the decision decide(proxy, request, {.trace = false,
  // .resolve_destinations = false}) gives, shared rather than copied. A decision that depends on
  // the matched route alone is made once and reused from `memo` for every later request that
  // takes the same route; the rest (redirects, path rewrites, gateways, passthrough) are made
  // per request. `memo` must always be used with the same proxy.
  [[nodiscard]] std::shared_ptr<const Decision> decideShared(const Proxy& proxy,
                                                             const Request& request,
                                                             DecisionMemo& memo) const;

  // The proxy's HTTP route configurations with their routes in match order (sidecars; empty
  // for routers). Thread-safe.
  [[nodiscard]] std::vector<RouteTable> routeTables(const Proxy& proxy) const;

  [[nodiscard]] const std::vector<api::Resource>& resources() const { return resources_; }
  [[nodiscard]] const registry::Registry& registry() const { return registry_; }
  [[nodiscard]] const DestinationIndex& destinations() const { return *destinations_; }
  [[nodiscard]] const MeshConfig& mesh() const { return mesh_; }
  ~Snapshot();

  struct Compiled;  // opaque: route tables and per-proxy views, owned by the implementation

 private:
  Snapshot() = default;
  uint64_t id_ = 0;  // unique per build: what a DecisionMemo remembers is for one snapshot
  std::vector<api::Resource> resources_;
  MeshConfig mesh_;
  registry::Registry registry_;
  std::shared_ptr<const DestinationIndex> destinations_;
  std::unique_ptr<Compiled> compiled_;
};

}  // namespace meshroute::routing
