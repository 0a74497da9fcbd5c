// meshroute's own analyzers (MR codes): for each, a configuration with the mistake (the finding,
// its text and its line) and the corrected configuration (no finding).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "analysis/input.h"

namespace meshroute::analysis {
namespace {

struct Run {
  std::vector<api::Resource> resources;
  std::vector<Finding> findings;
};

// Findings of one analyzer over inline YAML (namespace "default" for resources naming none).
std::vector<std::string> analyzeText(const std::string& analyzer, const std::string& yaml) {
  api::LoadResult loaded;
  api::loadText(yaml, "t.yaml", loaded, loadOptions("default"));
  EXPECT_FALSE(loaded.diagnostics.hasErrors()) << loaded.diagnostics.items().front().message;
  Store store(loaded.resources);
  Options options;
  options.analyzers = {analyzer};
  Result r = analyze(store, MeshSettings::from({}), options);
  std::vector<std::string> out;
  for (const Finding& f : r.findings) {
    out.push_back(f.text());
    EXPECT_EQ(f.analyzer, analyzer);
  }
  return out;
}

const char* const kReviewsService = R"yaml(
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]
---
apiVersion: v1
kind: Pod
metadata: {name: reviews-v1, namespace: default, labels: {app: reviews, version: v1}}
---
apiVersion: v1
kind: Pod
metadata: {name: reviews-v2, namespace: default, labels: {app: reviews, version: "2.0"}}
)yaml";

// ---- MR0001 ---------------------------------------------------------------------------------

TEST(ShadowedRule, BroaderPrefixFirstShadowsLaterRule) {
  auto found = analyzeText("meshroute.ShadowedRuleAnalyzer", R"yaml(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api}
spec:
  hosts: [api]
  http:
  - name: all-api
    match:
    - uri: {prefix: /api}
    route: [{destination: {host: api-v1}}]
  - name: api-v2
    match:
    - uri: {prefix: /api/v2}
      headers: {x-canary: {exact: "yes"}}
    route: [{destination: {host: api-v2}}]
)yaml");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0],
            "Warning [MR0001] (VirtualService default/api t.yaml:14) VirtualService rule "
            "\"api-v2\" (http[1]) is never reached: uri prefix \"/api/v2\", header x-canary "
            "exact \"yes\" is already matched by rule \"all-api\" (http[0]) (uri prefix "
            "\"/api\").");
}

TEST(ShadowedRule, CatchAllWrittenAsPrefixSlash) {
  auto found = analyzeText("meshroute.ShadowedRuleAnalyzer", R"yaml(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web]
  http:
  - match: [{uri: {prefix: /}}]
    route: [{destination: {host: web}}]
  - match: [{uri: {exact: /health}}]
    route: [{destination: {host: health}}]
)yaml");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_NE(found[0].find("rule http[0] matches every request first"), std::string::npos)
      << found[0];
}

TEST(ShadowedRule, NarrowerFirstIsFine) {
  auto found = analyzeText("meshroute.ShadowedRuleAnalyzer", R"yaml(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api}
spec:
  hosts: [api]
  http:
  - match:
    - uri: {prefix: /api/v2}
    route: [{destination: {host: api-v2}}]
  - match:
    - uri: {prefix: /api}
      headers: {x-canary: {exact: "yes"}}
    route: [{destination: {host: api-v1}}]
  - route: [{destination: {host: api-v1}}]
)yaml");
  EXPECT_TRUE(found.empty()) << found[0];
}

TEST(ShadowedRule, LeavesIstiosOwnDuplicateFindingsToIstio) {
  // A rule after a rule without matches, and a repeated match: IST0130 reports both.
  auto found = analyzeText("meshroute.ShadowedRuleAnalyzer", R"yaml(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api}
spec:
  hosts: [api]
  http:
  - match: [{uri: {exact: /a}}]
    route: [{destination: {host: a}}]
  - match: [{uri: {exact: /a}}]
    route: [{destination: {host: b}}]
  - route: [{destination: {host: c}}]
  - match: [{uri: {exact: /d}}]
    route: [{destination: {host: d}}]
)yaml");
  EXPECT_TRUE(found.empty()) << found[0];
}

// ---- MR0002 ---------------------------------------------------------------------------------

TEST(ZeroWeight, DestinationWithWeightZero) {
  auto found = analyzeText("meshroute.ZeroWeightAnalyzer", R"yaml(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 100
    - destination: {host: reviews, subset: v2}
      weight: 0
)yaml");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0],
            "Info [MR0002] (VirtualService default/reviews t.yaml:12) Destination reviews subset "
            "v2 of rule http[0] has weight 0 and receives no traffic.");
}

TEST(ZeroWeight, SingleDestinationWithoutWeightTakesAll) {
  auto found = analyzeText("meshroute.ZeroWeightAnalyzer", R"yaml(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
  tcp:
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 50
    - destination: {host: reviews, subset: v2}
      weight: 50
)yaml");
  EXPECT_TRUE(found.empty()) << found[0];
}

// ---- MR0003 ---------------------------------------------------------------------------------

TEST(RegexNeverMatches, PathRegexWithoutLeadingSlash) {
  auto found = analyzeText("meshroute.RegexNeverMatchesAnalyzer", R"yaml(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api}
spec:
  hosts: [api]
  http:
  - match:
    - uri: {regex: "api/v[0-9]+/.*"}
    route: [{destination: {host: api}}]
)yaml");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0],
            "Warning [MR0003] (VirtualService default/api t.yaml:9) Regex \"api/v[0-9]+/.*\" in "
            "the uri match of rule http[0] can never match: request paths start with \"/\" and "
            "every match of this regex starts otherwise.");
}

TEST(RegexNeverMatches, AnchoredPathRegexAndHeaderRegexMatch) {
  auto found = analyzeText("meshroute.RegexNeverMatchesAnalyzer", R"yaml(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api}
spec:
  hosts: [api]
  http:
  - match:
    - uri: {regex: "/api/v[0-9]+/.*"}
      headers: {x-user: {regex: "(alice|bob)"}}
    - uri: {regex: ".*/health"}
    route: [{destination: {host: api}}]
)yaml");
  EXPECT_TRUE(found.empty()) << found[0];
}

// ---- MR0010 / MR0011 ------------------------------------------------------------------------

TEST(SubsetResolution, LocalDestinationRuleWithoutTheSubsetWins) {
  auto found =
      analyzeText("meshroute.SubsetResolutionAnalyzer", std::string(kReviewsService) + R"yaml(
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews.default.svc.cluster.local
  subsets:
  - name: v1
    labels: {version: v1}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews-tls, namespace: frontend}
spec:
  host: reviews.default.svc.cluster.local
  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: frontend}
spec:
  hosts: [reviews.default.svc.cluster.local]
  http:
  - route:
    - destination: {host: reviews.default.svc.cluster.local, subset: v1}
)yaml");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0],
            "Error [MR0010] (VirtualService frontend/reviews t.yaml:41) Subset \"v1\" of host "
            "reviews.default.svc.cluster.local has no DestinationRule visible from namespace "
            "\"frontend\": Istio applies frontend/reviews-tls (in the calling namespace "
            "\"frontend\"), which has no such subset, and ignores default/reviews.");
}

TEST(SubsetResolution, NotExportedToCaller) {
  auto found =
      analyzeText("meshroute.SubsetResolutionAnalyzer", std::string(kReviewsService) + R"yaml(
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews.default.svc.cluster.local
  exportTo: ["."]
  subsets:
  - name: v1
    labels: {version: v1}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: frontend}
spec:
  hosts: [reviews.default.svc.cluster.local]
  http:
  - route:
    - destination: {host: reviews.default.svc.cluster.local, subset: v1}
)yaml");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_NE(found[0].find(": default/reviews defines it but is not exported to \"frontend\"."),
            std::string::npos)
      << found[0];
}

TEST(SubsetResolution, SubsetSelectsNoPodNamesTheDifference) {
  auto found =
      analyzeText("meshroute.SubsetResolutionAnalyzer", std::string(kReviewsService) + R"yaml(
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets:
  - name: v1
    labels: {version: v1}
  - name: v2
    labels: {version: v2}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 90
    - destination: {host: reviews, subset: v2}
      weight: 10
)yaml");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0],
            "Error [MR0011] (VirtualService default/reviews t.yaml:38) Subset v2 of host "
            "reviews.default.svc.cluster.local selects 0 workloads: pods have version=2.0, "
            "version=v1.");
}

TEST(SubsetResolution, SeveralLabelsNameTheNearestWorkload) {
  auto found =
      analyzeText("meshroute.SubsetResolutionAnalyzer", std::string(kReviewsService) + R"yaml(
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets:
  - name: v1-canary
    labels: {version: v1, track: canary}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1-canary}
)yaml");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_NE(found[0].find("selects 0 workloads: no pod has label track (subset wants "
                          "track=canary) (nearest: Pod default/reviews-v1)."),
            std::string::npos)
      << found[0];
}

TEST(SubsetResolution, EverySubsetResolvesAndSelects) {
  auto found =
      analyzeText("meshroute.SubsetResolutionAnalyzer", std::string(kReviewsService) + R"yaml(
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets:
  - name: v1
    labels: {version: v1}
  - name: v2
    labels: {version: "2.0"}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 90
    - destination: {host: reviews, subset: v2}
      weight: 10
)yaml");
  EXPECT_TRUE(found.empty()) << found[0];
}

// ---- MR0020..MR0023 -------------------------------------------------------------------------

TEST(RetryBudget, AttemptsTimesPerTryExceedTimeout) {
  auto found = analyzeText("meshroute.RetryBudgetAnalyzer", R"yaml(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings}
spec:
  hosts: [ratings]
  http:
  - timeout: 2s
    retries: {attempts: 3, perTryTimeout: 1s}
    route: [{destination: {host: ratings}}]
)yaml");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0],
            "Warning [MR0020] (VirtualService default/ratings t.yaml:9) Retries of rule http[0] "
            "can take 4s (4 attempts x perTryTimeout 1s), more than the route timeout 2s, so the "
            "last retries never run.");
}

TEST(RetryBudget, FitsOrNoRouteTimeout) {
  auto found = analyzeText("meshroute.RetryBudgetAnalyzer", R"yaml(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings}
spec:
  hosts: [ratings]
  http:
  - timeout: 10s
    retries: {attempts: 3, perTryTimeout: 2s}
    route: [{destination: {host: ratings}}]
  - retries: {attempts: 5, perTryTimeout: 2s}
    route: [{destination: {host: ratings}}]
)yaml");
  EXPECT_TRUE(found.empty()) << found[0];
}

TEST(RetriesNonIdempotent, PostWithDefaultRetryPolicy) {
  auto found = analyzeText("meshroute.RetryIdempotencyAnalyzer", R"yaml(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: orders}
spec:
  hosts: [orders]
  http:
  - name: create
    match:
    - method: {exact: POST}
    route: [{destination: {host: orders}}]
)yaml");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0],
            "Warning [MR0021] (VirtualService default/orders t.yaml:10) Rule \"create\" (http[0]) "
            "retries on unavailable,cancelled,retriable-status-codes (Istio's default retry "
            "policy, as the rule sets no retryOn) and carries POST requests, which are not "
            "idempotent: a retried request may be applied twice.");
}

TEST(RetriesNonIdempotent, PostRetriedOnlyBeforeSendingOrGet) {
  auto found = analyzeText("meshroute.RetryIdempotencyAnalyzer", R"yaml(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: orders}
spec:
  hosts: [orders]
  http:
  - match:
    - method: {exact: POST}
    retries: {attempts: 2, retryOn: "connect-failure,refused-stream"}
    route: [{destination: {host: orders}}]
  - match:
    - method: {regex: "GET|HEAD"}
    route: [{destination: {host: orders}}]
  - match:
    - method: {exact: PATCH}
    retries: {attempts: 0}
    route: [{destination: {host: orders}}]
)yaml");
  EXPECT_TRUE(found.empty()) << found[0];
}

TEST(FaultRetry, AbortWithRetries) {
  auto found = analyzeText("meshroute.FaultRetryAnalyzer", R"yaml(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings}
spec:
  hosts: [ratings]
  http:
  - fault:
      abort: {httpStatus: 503, percentage: {value: 50}}
    retries: {attempts: 3, retryOn: 5xx}
    route: [{destination: {host: ratings}}]
)yaml");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0],
            "Info [MR0022] (VirtualService default/ratings t.yaml:9) Rule http[0] injects aborts "
            "(HTTP 503 for 50% of requests) and retries (3 attempts on 5xx): the injected faults "
            "are not retried, since they are answered before the request leaves the proxy.");
}

TEST(FaultRetry, AbortWithoutRetries) {
  auto found = analyzeText("meshroute.FaultRetryAnalyzer", R"yaml(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings}
spec:
  hosts: [ratings]
  http:
  - fault:
      abort: {httpStatus: 503, percentage: {value: 50}}
    route: [{destination: {host: ratings}}]
  - fault:
      delay: {fixedDelay: 1s, percentage: {value: 50}}
    retries: {attempts: 3}
    route: [{destination: {host: ratings}}]
)yaml");
  EXPECT_TRUE(found.empty()) << found[0];
}

TEST(MirrorToSelf, MirrorEqualsRoute) {
  auto found = analyzeText("meshroute.MirrorToSelfAnalyzer", R"yaml(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: httpbin}
spec:
  hosts: [httpbin]
  http:
  - route:
    - destination: {host: httpbin, subset: v1}
    mirror: {host: httpbin.default.svc.cluster.local, subset: v1}
)yaml");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0],
            "Warning [MR0023] (VirtualService default/httpbin t.yaml:10) Rule http[0] mirrors to "
            "httpbin.default.svc.cluster.local subset v1, which is also where it routes.");
}

TEST(MirrorToSelf, MirrorToOtherSubset) {
  auto found = analyzeText("meshroute.MirrorToSelfAnalyzer", R"yaml(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: httpbin}
spec:
  hosts: [httpbin]
  http:
  - route:
    - destination: {host: httpbin, subset: v1}
    mirrors:
    - destination: {host: httpbin, subset: v2}
)yaml");
  EXPECT_TRUE(found.empty()) << found[0];
}

// ---- MR0030..MR0033 -------------------------------------------------------------------------

TEST(GatewayOnly, MeshServiceRoutedOnlyAtTheGateway) {
  auto found = analyzeText("meshroute.GatewayOnlyAnalyzer", std::string(kReviewsService) + R"yaml(
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  gateways: [bookinfo-gateway]
  http:
  - route:
    - destination: {host: reviews, subset: v2}
)yaml");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0],
            "Warning [MR0030] (VirtualService default/reviews t.yaml:22) VirtualService binds to "
            "gateways [bookinfo-gateway] only, so sidecars ignore it, but host "
            "reviews.default.svc.cluster.local is a mesh service (Service default/reviews), and "
            "no other VirtualService routes it inside the mesh.");
}

TEST(GatewayOnly, MeshListedOrExternalHost) {
  auto found = analyzeText("meshroute.GatewayOnlyAnalyzer", std::string(kReviewsService) + R"yaml(
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  gateways: [bookinfo-gateway, mesh]
  http:
  - route:
    - destination: {host: reviews, subset: v2}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bookinfo}
spec:
  hosts: ["bookinfo.example.com"]
  gateways: [bookinfo-gateway]
  http:
  - route:
    - destination: {host: productpage}
)yaml");
  EXPECT_TRUE(found.empty()) << found[0];
}

TEST(RulesDropped, TwoVirtualServicesForOneHostInTheMesh) {
  auto found = analyzeText("meshroute.RulesDroppedAnalyzer", R"yaml(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews-a}
spec:
  hosts: [reviews]
  http:
  - route: [{destination: {host: reviews, subset: v1}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews-b}
spec:
  hosts: [reviews.default.svc.cluster.local]
  http:
  - match: [{headers: {end-user: {exact: jason}}}]
    route: [{destination: {host: reviews, subset: v2}}]
)yaml");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0],
            "Warning [MR0031] (VirtualService default/reviews-b t.yaml:14) VirtualServices "
            "[default/reviews-a default/reviews-b] all define host "
            "reviews.default.svc.cluster.local for sidecars (mesh): sidecars use only "
            "default/reviews-a (the oldest, then first by name) and ignore default/reviews-b's 1 "
            "HTTP rules for this host.");
}

TEST(RulesDropped, GatewayMergeAfterCatchAll) {
  auto found = analyzeText("meshroute.RulesDroppedAnalyzer", R"yaml(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a-site}
spec:
  hosts: [shop.example.com]
  gateways: [edge]
  http:
  - route: [{destination: {host: web}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: b-api}
spec:
  hosts: [shop.example.com]
  gateways: [edge]
  http:
  - match: [{uri: {prefix: /api}}]
    route: [{destination: {host: api}}]
)yaml");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_NE(found[0].find("for gateway default/edge: the gateway merges their rules in that order "
                          "and rule http[0] of default/a-site matches every request, so "
                          "default/b-api's rules for this host are never reached."),
            std::string::npos)
      << found[0];
}

TEST(RulesDropped, GatewayMergeWithoutCatchAllAndSeparateExports) {
  auto found = analyzeText("meshroute.RulesDroppedAnalyzer", R"yaml(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a-api}
spec:
  hosts: [shop.example.com]
  gateways: [edge]
  http:
  - match: [{uri: {prefix: /api}}]
    route: [{destination: {host: api}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: b-site}
spec:
  hosts: [shop.example.com]
  gateways: [edge]
  http:
  - route: [{destination: {host: web}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: team-a, namespace: a}
spec:
  hosts: [ratings.default.svc.cluster.local]
  exportTo: ["."]
  http:
  - route: [{destination: {host: ratings.default.svc.cluster.local}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: team-b, namespace: b}
spec:
  hosts: [ratings.default.svc.cluster.local]
  exportTo: ["."]
  http:
  - route: [{destination: {host: ratings.default.svc.cluster.local}}]
)yaml");
  EXPECT_TRUE(found.empty()) << found[0];
}

const char* const kTwoNamespaces = R"yaml(
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: prod}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]
---
apiVersion: v1
kind: Service
metadata: {name: ratings, namespace: data}
spec:
  selector: {app: ratings}
  ports: [{name: http, port: 9080}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: routing}
spec:
  hosts: [reviews.prod.svc.cluster.local]
  http:
  - route: [{destination: {host: reviews.prod.svc.cluster.local}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: local, namespace: prod}
spec:
  hosts: [local.prod.svc.cluster.local]
  http:
  - route: [{destination: {host: ratings.data.svc.cluster.local}}]
)yaml";

TEST(SidecarImport, ServiceImportedButNotItsVirtualServiceOrDestination) {
  auto found = analyzeText("meshroute.SidecarImportAnalyzer", std::string(kTwoNamespaces) + R"yaml(
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: prod}
spec:
  egress:
  - hosts: ["./*", "istio-system/*"]
)yaml");
  ASSERT_EQ(found.size(), 2U);
  EXPECT_EQ(found[0],
            "Warning [MR0032] (Sidecar prod/default t.yaml:38) Sidecar prod/default does not "
            "import VirtualService routing/reviews (egress hosts [./* istio-system/*]), so its "
            "workloads reach reviews.prod.svc.cluster.local without that VirtualService's rules "
            "(the import needs \"routing/reviews.prod.svc.cluster.local\").");
  EXPECT_NE(found[1].find("does not import host ratings.data.svc.cluster.local"), std::string::npos)
      << found[1];
}

TEST(SidecarImport, ImportsCoverEverything) {
  auto found = analyzeText("meshroute.SidecarImportAnalyzer", std::string(kTwoNamespaces) + R"yaml(
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: prod}
spec:
  egress:
  - hosts: ["./*", "routing/*", "data/ratings.data.svc.cluster.local"]
)yaml");
  EXPECT_TRUE(found.empty()) << found[0];
}

TEST(ServiceEntryEndpoints, StaticWithoutEndpoints) {
  auto found = analyzeText("meshroute.ServiceEntryEndpointsAnalyzer", R"yaml(
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: legacy}
spec:
  hosts: [legacy.internal]
  ports: [{number: 80, name: http, protocol: HTTP}]
  location: MESH_INTERNAL
  resolution: STATIC
)yaml");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0],
            "Warning [MR0033] (ServiceEntry default/legacy t.yaml:9) ServiceEntry host "
            "legacy.internal has resolution STATIC but no endpoints and no workloadSelector, so "
            "requests to it fail with 503.");
}

TEST(ServiceEntryEndpoints, StaticWithEndpointsOrDns) {
  auto found = analyzeText("meshroute.ServiceEntryEndpointsAnalyzer", R"yaml(
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: legacy}
spec:
  hosts: [legacy.internal]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: STATIC
  endpoints: [{address: 10.0.0.7}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: api}
spec:
  hosts: [api.example.com]
  ports: [{number: 443, name: https, protocol: TLS}]
  resolution: DNS
)yaml");
  EXPECT_TRUE(found.empty()) << found[0];
}

TEST(OwnAnalyzers, EveryOwnCodeHasATemplateAndHint) {
  for (const MessageType* t : ownMessageTypes()) {
    EXPECT_TRUE(t->code.starts_with("MR0")) << t->code;
    EXPECT_FALSE(t->hint.empty()) << t->code;
    EXPECT_NE(t->format.find('%'), std::string_view::npos) << t->code;
  }
}

}  // namespace
}  // namespace meshroute::analysis
