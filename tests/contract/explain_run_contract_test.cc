// The contract between `meshroute explain` and `meshroute run`: every policy field explain
// reports for a route (its JSON paths, from a configuration that sets every policy Istio has)
// is covered by run's enforcement table, every VirtualService policy is enforced, and what run
// does not enforce yet is warned about when a configuration uses it.
#include <gtest/gtest.h>

#include <set>

#include "api/loader.h"
#include "cli/explain_output.h"
#include "proxy/enforcement.h"
#include "routing/snapshot.h"

namespace meshroute {
namespace {

constexpr const char* kEveryPolicy = R"(apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews.default.svc.cluster.local]
  location: MESH_INTERNAL
  ports: [{number: 9080, name: http, protocol: HTTP}]
  resolution: STATIC
  workloadSelector: {labels: {app: reviews}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: reviews-v1, namespace: default}
spec: {address: 10.0.0.1, ports: {http: 9080}, labels: {app: reviews, version: v1}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews.default.svc.cluster.local
  trafficPolicy:
    loadBalancer:
      consistentHash: {httpHeaderName: x-user, minimumRingSize: 1024}
      localityLbSetting: {enabled: true}
      warmup: {duration: 10s}
    connectionPool:
      tcp: {maxConnections: 10, connectTimeout: 1s, tcpKeepalive: {time: 10s}, idleTimeout: 1h}
      http: {http1MaxPendingRequests: 5, http2MaxRequests: 10, maxRequestsPerConnection: 3,
             maxRetries: 2, idleTimeout: 30s, h2UpgradePolicy: UPGRADE}
    outlierDetection: {consecutive5xxErrors: 3, interval: 1s, baseEjectionTime: 30s,
                       maxEjectionPercent: 50}
    tls: {mode: SIMPLE, sni: reviews.example.com}
    portLevelSettings:
    - port: {number: 9080}
      loadBalancer: {simple: ROUND_ROBIN}
    proxyProtocol: {version: V1}
  subsets:
  - name: v1
    labels: {version: v1}
    trafficPolicy:
      loadBalancer: {simple: LEAST_REQUEST}
      connectionPool: {tcp: {connectTimeout: 2s}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - name: every-policy
    match: [{uri: {prefix: /api}}]
    rewrite: {uri: /v2, authority: reviews-internal}
    timeout: 3s
    retries: {attempts: 3, perTryTimeout: 1s, retryOn: "5xx,reset,503", backoff: 50ms}
    fault:
      delay: {fixedDelay: 1s, percentage: {value: 10}}
      abort: {httpStatus: 503, percentage: {value: 5}}
    mirror: {host: reviews.default.svc.cluster.local, subset: v1}
    mirrorPercentage: {value: 50}
    corsPolicy:
      allowOrigins: [{exact: "https://example.com"}]
      allowMethods: [GET]
      allowHeaders: [x-a]
      exposeHeaders: [x-b]
      maxAge: 1h
      allowCredentials: true
    headers:
      request: {set: {x-a: "1"}, add: {x-b: "2"}, remove: [x-c]}
      response: {set: {x-d: "1"}, add: {x-e: "2"}, remove: [x-f]}
    route:
    - destination: {host: reviews, subset: v1}
      weight: 100
      headers:
        request: {set: {x-g: "1"}}
        response: {add: {x-h: "1"}}
  - name: grpc-abort
    fault: {abort: {grpcStatus: UNAVAILABLE, percentage: {value: 1}}}
    route: [{destination: {host: reviews, subset: v1}}]
)";

class ExplainRunContract : public ::testing::Test {
 protected:
  void SetUp() override {
    api::LoadResult loaded;
    api::loadText(kEveryPolicy, "every-policy.yaml", loaded);
    ASSERT_TRUE(loaded.diagnostics.empty());
    core::Diagnostics diags;
    snapshot_ = routing::Snapshot::build(std::move(loaded.resources), {}, diags);
  }
  // Explain's JSON for a request, reduced to the leaf paths that describe policy.
  std::set<std::string> policyPaths(const std::string& path) {
    routing::Request req;
    req.authority = "reviews:9080";
    req.port = 9080;
    req.path = path;
    const routing::Proxy proxy;
    const routing::Decision d = snapshot_->decide(proxy, req);
    const std::vector<std::string> ignored;
    const nlohmann::json j = cli::explainJson({proxy, req, d, ignored, *snapshot_});
    std::set<std::string> all;
    proxy::jsonLeafPaths(j, "", all);
    std::set<std::string> out;
    for (const std::string& p : all) {
      if (p.starts_with("policy.") || p.starts_with("destinations[].policy.") ||
          p.starts_with("destinations[].request_headers") ||
          p.starts_with("destinations[].response_headers")) {
        out.insert(p);
      }
    }
    return out;
  }
  std::shared_ptr<const routing::Snapshot> snapshot_;
};

TEST_F(ExplainRunContract, EveryPolicyExplainReportsIsInRunsEnforcementTable) {
  std::set<std::string> paths = policyPaths("/api/x");
  const std::set<std::string> grpc = policyPaths("/other");
  paths.insert(grpc.begin(), grpc.end());
  ASSERT_GT(paths.size(), 40U);  // the configuration sets every policy
  for (const std::string& p : paths) {
    EXPECT_NE(proxy::enforcementFor(p), nullptr)
        << "explain reports " << p << " but run's enforcement table (src/proxy/enforcement.cc) "
        << "does not say whether it is enforced";
  }
}

TEST_F(ExplainRunContract, EveryVirtualServicePolicyIsEnforced) {
  for (const std::string& p : policyPaths("/api/x")) {
    if (!p.starts_with("policy.")) continue;
    const proxy::PolicyEnforcement* e = proxy::enforcementFor(p);
    ASSERT_NE(e, nullptr) << p;
    EXPECT_TRUE(e->enforced) << p << ": " << e->note;
  }
}

TEST_F(ExplainRunContract, WhatRunDoesNotEnforceYetIsWarnedAboutAtLoad) {
  const std::vector<std::string> warnings = proxy::unenforcedPolicies(*snapshot_);
  auto warned = [&](std::string_view field) {
    for (const std::string& w : warnings) {
      if (w.find(field) != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_FALSE(warned("trafficPolicy.outlierDetection"));             // enforced now
  EXPECT_FALSE(warned("trafficPolicy.loadBalancer.consistentHash"));  // enforced now
  EXPECT_FALSE(warned("trafficPolicy.tls"));  // originated now (ISTIO_MUTUAL: TlsContextTable)
  EXPECT_TRUE(warned("trafficPolicy.connectionPool "));
  EXPECT_FALSE(warned("loadBalancer.simple"));
  EXPECT_FALSE(warned("connectTimeout"));
  ASSERT_FALSE(warnings.empty());
  EXPECT_TRUE(warnings[0].starts_with("every-policy.yaml:")) << warnings[0];
  EXPECT_NE(warnings[0].find("DestinationRule default/reviews"), std::string::npos);
}

TEST(EnforcementTable, TheLongestEntryDecides) {
  const auto* simple =
      proxy::enforcementFor("destinations[].policy.traffic_policy.loadBalancer.simple");
  ASSERT_NE(simple, nullptr);
  EXPECT_TRUE(simple->enforced);
  const auto* retries =
      proxy::enforcementFor("destinations[].policy.traffic_policy.connectionPool.http.maxRetries");
  ASSERT_NE(retries, nullptr);
  EXPECT_TRUE(retries->enforced);
  // A field without an entry of its own falls under its parent's.
  const auto* tcp_idle =
      proxy::enforcementFor("destinations[].policy.traffic_policy.connectionPool.tcp.idleTimeout");
  ASSERT_NE(tcp_idle, nullptr);
  EXPECT_FALSE(tcp_idle->enforced);  // TCP proxying comes with the listener issue
  const auto* keepalive = proxy::enforcementFor(
      "destinations[].policy.traffic_policy.connectionPool.tcp.tcpKeepalive.time");
  ASSERT_NE(keepalive, nullptr);
  EXPECT_TRUE(keepalive->enforced);
  EXPECT_EQ(proxy::enforcementFor("policy.timeoutx"), nullptr);
}

}  // namespace
}  // namespace meshroute
