// The result of routing one request, as istiod + Envoy would: what the proxy answers or where it
// sends the request, with every policy that applies, plus a trace of how it got there. The same
// value serves `meshroute explain`, `analyze` and (later) the proxy's request path.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/resource.h"
#include "routing/destination.h"

namespace meshroute::routing {

enum class Outcome {
  kRoute,           // forwarded upstream to one of `destinations`
  kRedirect,        // answered with a 3xx redirect
  kDirectResponse,  // answered by the proxy (directResponse, or block_all's 502)
  kNoRoute,         // no route matched: Envoy 404, response flag NR
  kNoListener,      // nothing listens for this port/protocol on this proxy
  kError,           // routed, but the chosen cluster cannot serve (NC/UH): see destinations
};
std::string_view outcomeName(Outcome o);

struct HeaderOps {
  std::vector<std::pair<std::string, std::string>> set;
  std::vector<std::pair<std::string, std::string>> add;
  std::vector<std::string> remove;
};

struct RoutedDestination {
  std::string host;  // FQDN as routed
  std::string subset;
  uint32_t port = 0;  // the cluster's service port
  double weight_percent =
      100;  // share of traffic, 0-100 (weights normalised; Istio only rejects all-zero)
  HeaderOps request_headers;
  HeaderOps response_headers;
  std::string rewritten_authority;   // destination-level Host rewrite ("" = none)
  DestinationResolution resolution;  // cluster, DR, subset, endpoints, policy, problem
};

struct RetryPolicy {
  int32_t attempts = 0;  // retries after the first try; 0 = no retries
  std::optional<api::Duration> per_try_timeout;
  std::string retry_on;  // Envoy retry_on list
  bool retry_remote_localities = false;
  bool is_default = false;                       // Istio's default policy (route set no `retries`)
  std::vector<uint32_t> retriable_status_codes;  // status codes listed in retryOn
  std::optional<api::Duration> backoff;          // base interval; nullopt: Envoy's 25ms
  uint32_t conditions = 0;                       // RetryCondition bits, compiled from retry_on
  // Envoy's previous_hosts predicate: a retry prefers hosts not tried yet (Istio's default).
  bool ignore_previous_hosts = true;
};

struct Mirror {
  std::string host;
  std::string subset;
  uint32_t port = 0;
  double percent = 100;
  std::string cluster;
};

struct FaultPolicy {
  std::optional<api::Duration> delay;
  double delay_percent = 0;
  std::optional<int32_t> abort_http_status;
  std::string abort_grpc_status;
  double abort_percent = 0;
};

struct CompiledCors;

struct RouteDecision {
  std::optional<api::HTTPRewrite> rewrite;  // uri / authority rewrite
  std::optional<api::RegexRewrite> uri_regex_rewrite;
  std::string rewritten_path;            // the path the upstream would see ("" = unchanged)
  std::string rewritten_authority;       // "" = unchanged
  std::optional<api::Duration> timeout;  // nullopt: no route timeout (Istio's default)
  RetryPolicy retries;
  std::optional<FaultPolicy> fault;
  std::vector<Mirror> mirrors;
  std::optional<api::CorsPolicy> cors;
  std::shared_ptr<const CompiledCors> cors_compiled;  // compiled once per configuration
  HeaderOps request_headers;
  HeaderOps response_headers;
};

// One step of the trace: a VirtualService route considered and why it did or did not match.
struct TraceStep {
  std::string kind = "http";    // "http", "tcp", "tls"
  std::string virtual_service;  // "ns/name"; "" for generated routes (default, allow_any...)
  int route_index = -1;
  std::string route_name;
  bool matched = false;
  std::string reason;    // first failed condition, e.g. `header x-user-type: want exact "beta", got
                         // "premium"`
  std::string delegate;  // "ns/name" when the route came from a delegate
  int delegate_route_index = -1;  // its index in the delegate's http list
  std::string gateway;            // gateway the route was built for (routers), "" on sidecars
};

struct Decision {
  Outcome outcome = Outcome::kNoRoute;
  int status = 0;              // HTTP status the proxy answers with when not forwarding
  std::string response_flags;  // Envoy's: "NR", "NC", "UH", "" when forwarded
  std::string body;            // direct response / error body
  std::string listener;        // e.g. "0.0.0.0_9080", "virtualInbound"
  std::string route_config;    // Envoy route configuration name, e.g. "9080"
  std::string virtual_host;    // e.g. "reviews.default.svc.cluster.local:9080", "allow_any"
  const api::Resource* virtual_service = nullptr;
  int route_index = -1;
  int match_index = -1;                     // the match block that matched; -1: rule without match
  const api::Resource* delegate = nullptr;  // the delegate VirtualService the route came from
  int delegate_route_index = -1;
  std::string route_name;  // rule name; "default" for a sidecar's default route
  std::vector<RoutedDestination> destinations;
  RouteDecision route;
  std::string redirect_location;  // for kRedirect
  std::vector<TraceStep> trace;
  std::vector<std::string>
      notes;  // plain-words remarks (e.g. "VirtualService x is bound to gateways only")
};

}  // namespace meshroute::routing
