// The routes a proxy has, as data: per route configuration (one per outbound port on a
// sidecar) its virtual hosts, and per virtual host the routes in match order with the
// VirtualService and rule each came from. Serves the admin API's /routes.
#pragma once

#include <string>
#include <vector>

namespace meshroute::routing {

struct RouteTableRoute {
  std::string name;             // Envoy route name ("" when the rule has none)
  std::string virtual_service;  // "ns/name"; "" for generated routes
  int rule_index = -1;          // in the VirtualService as written (the root for delegates)
  int match_index = -1;
  std::string delegate;  // "ns/name" when the rule came from a delegate
  int delegate_rule_index = -1;
  bool catch_all = false;
};

struct RouteTableHost {
  std::string name;  // "reviews.default.svc.cluster.local:9080", "allow_any", ...
  std::string kind;  // "virtual_service", "default", "allow_any", "block_all", ...
  std::vector<std::string> domains;
  std::vector<RouteTableRoute> routes;
};

struct RouteTable {
  std::string name;  // "9080"
  std::vector<RouteTableHost> hosts;
};

}  // namespace meshroute::routing
