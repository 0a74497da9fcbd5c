#include "proxy/enforcement.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <set>

#include "api/encode.h"
#include "api/model/destination_rule.h"

namespace meshroute::proxy {
namespace {

constexpr std::string_view kLater = "not enforced yet: DestinationRule traffic policies (issue 14)";

constexpr PolicyEnforcement kTable[] = {
    {"policy.timeout", true, "route timeout over all attempts: 504 UT"},
    {"policy.retries.attempts", true, "router retries"},
    {"policy.retries.retry_on", true, "every condition, compiled per configuration"},
    {"policy.retries.per_try_timeout", true, "per-attempt deadline: 504 UT"},
    {"policy.retries.default", true, "Istio's default policy when the route sets none"},
    {"policy.retries.retry_remote_localities", true,
     "Envoy's previous_priorities: every second attempt avoids the priorities tried"},
    {"policy.retries.budget", true, "explain's arithmetic over attempts and timeouts"},
    {"policy.rewrite_path", true, "upstream path, x-envoy-original-path"},
    {"policy.rewrite_authority", true, "upstream Host"},
    {"policy.fault.delay", true, "fault filter delay: DI"},
    {"policy.fault.delay_percent", true, "drawn per request"},
    {"policy.fault.abort_http_status", true, "fault filter abort: FI"},
    {"policy.fault.abort_grpc_status", true, "HTTP 200 with grpc-status"},
    {"policy.fault.abort_percent", true, "drawn per request"},
    {"policy.mirrors", true, "fire-and-forget copies"},
    {"policy.cors", true, "CORS filter: preflights answered, headers on allowed origins"},
    {"policy.request_headers", true, "route header operations on the request"},
    {"policy.response_headers", true, "route header operations on the response"},
    {"destinations[].request_headers", true, "destination header operations"},
    {"destinations[].response_headers", true, "destination header operations"},
    {"destinations[].weight", true, "weighted pick per request"},
    {"destinations[].endpoints", true, "the cluster's endpoints"},
    {"destinations[].policy.load_balancer", true,
     "ROUND_ROBIN, LEAST_REQUEST, RANDOM, PASSTHROUGH, RING_HASH, MAGLEV"},
    {"destinations[].policy.tls_mode", true,
     "SIMPLE and MUTUAL originate TLS; ISTIO_MUTUAL is reported at load, not enforced"},
    {"destinations[].policy.traffic_policy", false, kLater},
    {"destinations[].policy.traffic_policy.loadBalancer.simple", true, "the load balancer"},
    {"destinations[].policy.traffic_policy.loadBalancer.consistentHash", true,
     "ring hash or Maglev on the header, cookie (issued with a ttl), source IP or query parameter"},
    {"destinations[].policy.traffic_policy.loadBalancer.localityLbSetting", true,
     "priorities by locality (failover, failoverPriority) with outlierDetection; distribute"},
    {"destinations[].policy.traffic_policy.loadBalancer.warmupDurationSecs", true,
     "a new endpoint's weight ramps up (round robin, least request)"},
    {"destinations[].policy.traffic_policy.loadBalancer.warmup", true,
     "a new endpoint's weight ramps up from minimumPercent (round robin, least request)"},
    {"destinations[].policy.traffic_policy.connectionPool", false, kLater},
    {"destinations[].policy.traffic_policy.connectionPool.tcp.connectTimeout", true,
     "the upstream connect deadline: 503 UF"},
    {"destinations[].policy.traffic_policy.connectionPool.tcp.maxConnections", true,
     "circuit breaker across workers: the request waits as pending"},
    {"destinations[].policy.traffic_policy.connectionPool.tcp.tcpKeepalive", true,
     "SO_KEEPALIVE with the probes, time and interval on upstream connections"},
    {"destinations[].policy.traffic_policy.connectionPool.tcp.maxConnectionDuration", true,
     "the connection is not reused after it"},
    {"destinations[].policy.traffic_policy.connectionPool.http.http1MaxPendingRequests", true,
     "circuit breaker across workers: 503 UO beyond it"},
    {"destinations[].policy.traffic_policy.connectionPool.http.http2MaxRequests", true,
     "active requests, HTTP/1.1 included: 503 UO beyond it"},
    {"destinations[].policy.traffic_policy.connectionPool.http.maxRequestsPerConnection", true,
     "the connection is closed after that many"},
    {"destinations[].policy.traffic_policy.connectionPool.http.maxRetries", true,
     "retries in back-off across workers; beyond it, no retry"},
    {"destinations[].policy.traffic_policy.connectionPool.http.idleTimeout", true,
     "idle upstream connections closed after it"},
    {"destinations[].policy.traffic_policy.outlierDetection", true,
     "consecutive 5xx, gateway and local-origin errors eject an endpoint across workers"},
    {"destinations[].policy.traffic_policy.outlierDetection.outlierDetectionHttpErrorCodes", true,
     "the listed answers count as errors instead of 5xx"},
    {"destinations[].policy.traffic_policy.tls", true,
     "SIMPLE and MUTUAL originate TLS (sni, subjectAltNames, caCertificates, caCrl, client "
     "certificate, credentialName, insecureSkipVerify); ISTIO_MUTUAL is reported at load"},
    {"destinations[].policy.traffic_policy.portLevelSettings", true,
     "the port's entry replaces the policy, as Istio's; its fields as above"},
    {"destinations[].policy.traffic_policy.tunnel", false, kLater},
    {"destinations[].policy.traffic_policy.proxyProtocol", false, kLater},
    {"destinations[].policy.traffic_policy.retryBudget", true,
     "retries in back-off at once: a share of the active requests, never below the floor"},
    {"destinations[].subset", true, "the subset's cluster"},
    {"destinations[].host", true, "the destination's cluster"},
    {"destinations[].port", true, "the destination's cluster"},
};

}  // namespace

void jsonLeafPaths(const nlohmann::json& j, const std::string& prefix, std::set<std::string>& out) {
  if (j.is_object() && !j.empty()) {
    for (const auto& [k, v] : j.items()) {
      std::string path = prefix;
      if (!path.empty()) path += '.';
      path += k;
      jsonLeafPaths(v, path, out);
    }
  } else if (j.is_array() && !j.empty()) {
    std::string path = prefix;
    path += "[]";
    for (const auto& v : j) jsonLeafPaths(v, path, out);
  } else {
    out.insert(prefix);
  }
}

std::span<const PolicyEnforcement> policyEnforcement() { return kTable; }

const PolicyEnforcement* enforcementFor(std::string_view path) {
  const PolicyEnforcement* best = nullptr;
  for (const PolicyEnforcement& e : kTable) {
    const bool covers =
        path == e.path || (path.starts_with(e.path) && path.size() > e.path.size() &&
                           (path[e.path.size()] == '.' || path[e.path.size()] == '['));
    if (covers && (best == nullptr || e.path.size() > best->path.size())) best = &e;
  }
  return best;
}

std::vector<std::string> unenforcedPolicies(const routing::Snapshot& snapshot) {
  std::vector<std::string> out;
  for (const api::Resource& r : snapshot.resources()) {
    const auto* dr = r.as<api::DestinationRule>();
    if (dr == nullptr) continue;
    std::set<std::string> paths;
    const nlohmann::json spec = api::toJson(*dr);
    if (spec.contains("trafficPolicy")) jsonLeafPaths(spec["trafficPolicy"], "", paths);
    if (spec.contains("subsets")) {
      for (const auto& s : spec["subsets"]) {
        if (s.contains("trafficPolicy")) jsonLeafPaths(s["trafficPolicy"], "", paths);
      }
    }
    std::set<std::string_view> reported;
    for (const std::string& p : paths) {
      const PolicyEnforcement* e = enforcementFor("destinations[].policy.traffic_policy." + p);
      if (e == nullptr || e->enforced || !reported.insert(e->path).second) continue;
      constexpr std::string_view kPrefix = "destinations[].policy.traffic_policy.";
      std::string_view field = e->path;
      if (field.starts_with(kPrefix)) field.remove_prefix(kPrefix.size());
      out.push_back(fmt::format("{}:{}: DestinationRule {}/{}: trafficPolicy.{} is {}", r.file,
                                r.mark.line, r.meta.namespace_, r.meta.name, field,
                                e->note.empty() ? "not enforced yet" : e->note));
    }
  }
  return out;
}

}  // namespace meshroute::proxy
