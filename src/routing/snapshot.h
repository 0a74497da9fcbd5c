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

class Snapshot {
 public:
  // Takes the resources (already validated or not: invalid ones are skipped with a diagnostic).
  static std::shared_ptr<const Snapshot> build(std::vector<api::Resource> resources,
                                               const MeshConfig& mesh, core::Diagnostics& diags);

  // The full decision for `request` arriving at `proxy`, with its trace. Pure and thread-safe.
  [[nodiscard]] Decision decide(const Proxy& proxy, const Request& request) const;
  [[nodiscard]] Decision decide(const Proxy& proxy, const Request& request,
                                const DecideOptions& options) const;

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
  std::vector<api::Resource> resources_;
  MeshConfig mesh_;
  registry::Registry registry_;
  std::shared_ptr<const DestinationIndex> destinations_;
  std::unique_ptr<Compiled> compiled_;
};

}  // namespace meshroute::routing
