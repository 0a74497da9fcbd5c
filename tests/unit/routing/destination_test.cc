// DestinationIndex: which DestinationRule applies to a destination (Istio's namespace order,
// exportTo, workloadSelector, host specificity, merging), subsets (NC / UH), the merged traffic
// policy and the cluster name.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "api/loader.h"
#include "routing/destination.h"

namespace meshroute::routing {
namespace {

constexpr const char* kReviews = "reviews.default.svc.cluster.local";

// A DestinationRule document: `spec` is indented YAML under "spec:".
std::string dr(const std::string& name, const std::string& ns, const std::string& spec) {
  return "---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: " +
         name + "\n  namespace: " + ns + "\nspec:\n" + spec;
}

registry::Endpoint endpoint(const std::string& address, registry::StringMap labels,
                            bool healthy = true) {
  registry::Endpoint ep;
  ep.address = address;
  ep.labels = std::move(labels);
  ep.healthy = healthy;
  return ep;
}

registry::Service service(const std::string& host, const std::string& ns, uint32_t port,
                          std::vector<registry::Endpoint> endpoints = {}) {
  registry::Service svc;
  svc.hostname = host;
  svc.ns = ns;
  svc.name = host.substr(0, host.find('.'));
  svc.ports.push_back({"http", port, "HTTP", 0});
  svc.selector = {{"app", svc.name}};
  svc.endpoints = std::move(endpoints);
  for (auto& ep : svc.endpoints) ep.ports.emplace(port, port);  // served on the same port
  return svc;
}

// reviews in default with pods of v1, v2 and v3.
registry::Service reviews() {
  return service(kReviews, "default", 9080,
                 {endpoint("10.0.0.1", {{"app", "reviews"}, {"version", "v1"}}),
                  endpoint("10.0.0.2", {{"app", "reviews"}, {"version", "v2"}}),
                  endpoint("10.0.0.3", {{"app", "reviews"}, {"version", "v3"}})});
}

const char* kThreeSubsets = R"(  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
  - {name: v3, labels: {version: v3}}
)";

// Config, registry contents and the index over them, kept alive together.
struct World {
  api::LoadResult loaded;
  std::vector<registry::Service> services;
  MeshConfig mesh;
  std::shared_ptr<const DestinationIndex> index;

  World(const std::string& yaml, std::vector<registry::Service> svcs, MeshConfig m = {})
      : services(std::move(svcs)), mesh(std::move(m)) {
    api::loadText(yaml, "test.yaml", loaded);
    index = DestinationIndex::build(loaded.resources, services, mesh);
  }
  DestinationResolution resolve(const Proxy& proxy, std::string_view host, std::string_view subset,
                                uint32_t port = 9080) const {
    return index->resolve(proxy, host, subset, port);
  }
};

Proxy sidecar(const std::string& ns, registry::StringMap labels = {}) {
  Proxy p;
  p.ns = ns;
  p.labels = std::move(labels);
  return p;
}

std::string ruleOf(const DestinationResolution& r) {
  return r.destination_rule == nullptr
             ? ""
             : r.destination_rule->meta.namespace_ + "/" + r.destination_rule->meta.name;
}

// --- Lookup order ---

TEST(DestinationLookup, ProxyNamespaceRuleBeatsServiceNamespaceRule) {
  World w(dr("in-service-ns", "default", "  host: reviews.default.svc.cluster.local\n") +
              dr("in-proxy-ns", "shop", "  host: reviews.default.svc.cluster.local\n"),
          {reviews()});
  auto r = w.resolve(sidecar("shop"), kReviews, "");
  EXPECT_EQ(ruleOf(r), "shop/in-proxy-ns");
  EXPECT_EQ(r.rule_found, "in the proxy's namespace shop");
  EXPECT_EQ(ruleOf(w.resolve(sidecar("other"), kReviews, "")), "default/in-service-ns");
}

TEST(DestinationLookup, ServiceNamespaceRuleBeatsRootNamespaceRule) {
  World w(
      dr("root", "istio-system", "  host: '*.local'\n") + dr("svc", "default", "  host: reviews\n"),
      {reviews()});
  auto r = w.resolve(sidecar("shop"), kReviews, "");
  EXPECT_EQ(ruleOf(r), "default/svc");
  EXPECT_EQ(r.rule_found, "in the service's namespace default");
}

TEST(DestinationLookup, RootNamespaceRuleAppliesWhenNoOtherExists) {
  MeshConfig mesh;
  mesh.root_namespace = "mesh-root";
  World w(dr("root", "mesh-root", "  host: '*.svc.cluster.local'\n") +
              dr("elsewhere", "unrelated", "  host: reviews.default.svc.cluster.local\n"),
          {reviews()}, mesh);
  auto r = w.resolve(sidecar("shop"), kReviews, "");
  EXPECT_EQ(ruleOf(r), "mesh-root/root");
  EXPECT_EQ(r.rule_found, "in the root namespace mesh-root");
}

TEST(DestinationLookup, ShortHostIsResolvedInTheRuleNamespace) {
  // "reviews" written in namespace shop means reviews.shop.svc.cluster.local.
  World w(dr("r", "shop", "  host: reviews\n  subsets: [{name: v1, labels: {version: v1}}]\n"),
          {reviews()});
  auto r = w.resolve(sidecar("shop"), kReviews, "v1");
  EXPECT_EQ(r.status, DestinationStatus::kNoCluster);
  EXPECT_EQ(r.destination_rule, nullptr);
}

TEST(DestinationLookup, ExactHostBeatsWildcardAndLongerWildcardBeatsShorter) {
  World exact(dr("a-wild", "default", "  host: '*.default.svc.cluster.local'\n") +
                  dr("b-exact", "default", "  host: reviews\n"),
              {reviews()});
  EXPECT_EQ(ruleOf(exact.resolve(sidecar("default"), kReviews, "")), "default/b-exact");
  World wild(dr("short", "default", "  host: '*.cluster.local'\n") +
                 dr("long", "default", "  host: '*.default.svc.cluster.local'\n"),
             {reviews()});
  EXPECT_EQ(ruleOf(wild.resolve(sidecar("default"), kReviews, "")), "default/long");
}

TEST(DestinationLookup, FirstNamespaceWithARuleEndsTheSearchEvenWhenItsSelectorMisses) {
  // Istio's destinationRule() stops at the proxy's namespace; the selector then filters the
  // rule out and the service namespace's rule is never consulted.
  World w(dr("svc", "default", kThreeSubsets) +
              dr("only-for-canary", "shop",
                 "  host: reviews.default.svc.cluster.local\n  workloadSelector:\n"
                 "    matchLabels: {track: canary}\n"),
          {reviews()});
  auto r = w.resolve(sidecar("shop", {{"app", "web"}}), kReviews, "v1");
  EXPECT_EQ(r.status, DestinationStatus::kNoCluster);
  EXPECT_NE(r.problem.find("DestinationRule default/svc defines it, but Istio's lookup stopped "
                           "at the rules in the proxy's namespace shop"),
            std::string::npos)
      << r.problem;
}

// --- exportTo ---

TEST(DestinationExportTo, RuleExportedOnlyToItsNamespaceIsInvisibleElsewhere) {
  World w(dr("private", "default", std::string(kThreeSubsets) + "  exportTo: ['.']\n"),
          {reviews()});
  EXPECT_EQ(w.resolve(sidecar("default"), kReviews, "v2").status, DestinationStatus::kOk);
  auto r = w.resolve(sidecar("shop"), kReviews, "v2");
  EXPECT_EQ(r.status, DestinationStatus::kNoCluster);
  EXPECT_EQ(r.problem,
            "no DestinationRule for reviews.default.svc.cluster.local is visible from namespace "
            "shop, so subset \"v2\" has no cluster; DestinationRule default/private defines it, "
            "but it is exported only to its own namespace default");
}

TEST(DestinationExportTo, MeshDefaultPrivateAppliesToRulesWithoutExportTo) {
  MeshConfig mesh;
  mesh.default_destination_rule_export_to = {"."};
  World w(
      dr("r", "default", kThreeSubsets) +
          dr("public", "default", "  host: ratings\n  exportTo: ['*']\n  subsets: [{name: v1}]\n"),
      {reviews(), service("ratings.default.svc.cluster.local", "default", 9080,
                          {endpoint("10.0.1.1", {{"app", "ratings"}})})},
      mesh);
  auto r = w.resolve(sidecar("shop"), kReviews, "v1");
  EXPECT_EQ(r.status, DestinationStatus::kNoCluster);
  EXPECT_NE(r.problem.find("mesh's default exportTo"), std::string::npos) << r.problem;
  EXPECT_EQ(w.resolve(sidecar("shop"), "ratings.default.svc.cluster.local", "v1").status,
            DestinationStatus::kOk);
}

TEST(DestinationExportTo, RuleExportedToANamedNamespaceIsVisibleThereOnly) {
  World w(dr("r", "default", std::string(kThreeSubsets) + "  exportTo: [shop]\n"), {reviews()});
  EXPECT_EQ(w.resolve(sidecar("shop"), kReviews, "v3").status, DestinationStatus::kOk);
  auto r = w.resolve(sidecar("web"), kReviews, "v3");
  EXPECT_NE(r.problem.find("it is not exported to namespace web (exportTo: shop)"),
            std::string::npos)
      << r.problem;
}

TEST(DestinationExportTo, ServiceNotExportedToTheProxyIsAnUnknownHost) {
  auto svc = reviews();
  svc.export_to = {"."};
  World w("", {svc});
  EXPECT_EQ(w.resolve(sidecar("default"), kReviews, "").status, DestinationStatus::kOk);
  auto r = w.resolve(sidecar("shop"), kReviews, "");
  EXPECT_EQ(r.status, DestinationStatus::kUnknownHost);
  EXPECT_NE(r.problem.find("is not exported to namespace shop"), std::string::npos);
}

// --- workloadSelector ---

TEST(DestinationWorkloadSelector, SelectorRuleAppliesOnlyToMatchingProxies) {
  World w(dr("all", "default", kThreeSubsets) +
              dr("canary-clients", "default",
                 "  host: reviews\n  workloadSelector:\n    matchLabels: {app: productpage}\n"
                 "  trafficPolicy:\n    loadBalancer: {simple: RANDOM}\n"),
          {reviews()});
  auto selected = w.resolve(sidecar("default", {{"app", "productpage"}}), kReviews, "");
  EXPECT_EQ(ruleOf(selected), "default/canary-clients");
  EXPECT_EQ(selected.policy.load_balancer, "RANDOM");
  EXPECT_EQ(ruleOf(w.resolve(sidecar("default", {{"app", "other"}}), kReviews, "")), "default/all");
}

TEST(DestinationWorkloadSelector, SelectorRuleNeverAppliesOutsideItsNamespace) {
  World w(dr("sel", "default",
             "  host: reviews\n  workloadSelector:\n    matchLabels: {app: productpage}\n"
             "  subsets: [{name: v1, labels: {version: v1}}]\n"),
          {reviews()});
  auto r = w.resolve(sidecar("shop", {{"app", "productpage"}}), kReviews, "v1");
  EXPECT_EQ(r.status, DestinationStatus::kNoCluster);
  EXPECT_NE(r.problem.find("it has a workloadSelector, so it applies only to proxies in its "
                           "own namespace default"),
            std::string::npos)
      << r.problem;
}

// --- Merging several rules for one host ---

TEST(DestinationMerge, SubsetsAreAppendedAndTheFirstTopLevelPolicyIsKept) {
  // Same creation time: Istio orders by name, so "a-first" is merged into first.
  World w(dr("b-second", "default",
             "  host: reviews\n  trafficPolicy:\n    loadBalancer: {simple: RANDOM}\n"
             "  subsets:\n  - {name: v1, labels: {version: v3}}\n"
             "  - {name: v2, labels: {version: v2}}\n") +
              dr("a-first", "default",
                 "  host: reviews\n  trafficPolicy:\n    loadBalancer: {simple: ROUND_ROBIN}\n"
                 "  subsets:\n  - {name: v1, labels: {version: v1}}\n"),
          {reviews()});
  auto r = w.resolve(sidecar("default"), kReviews, "v2");
  ASSERT_EQ(r.status, DestinationStatus::kOk) << r.problem;
  ASSERT_EQ(r.destination_rules.size(), 2U);
  EXPECT_EQ(ruleOf(r), "default/a-first");
  EXPECT_EQ(r.policy.load_balancer, "ROUND_ROBIN");
  auto v1 = w.resolve(sidecar("default"), kReviews, "v1");
  EXPECT_EQ(v1.subset_labels.at("version"), "v1");  // the duplicate subset is dropped
}

TEST(DestinationMerge, RulesWithDifferentExportToAreKeptApart) {
  World w(dr("a", "default", "  host: reviews\n  subsets: [{name: v1, labels: {version: v1}}]\n") +
              dr("b", "default",
                 "  host: reviews\n  exportTo: ['*']\n"
                 "  subsets: [{name: v2, labels: {version: v2}}]\n"),
          {reviews()});
  auto r = w.resolve(sidecar("default"), kReviews, "v1");
  // Both stay separate entries; the last one without a selector is used.
  EXPECT_EQ(r.status, DestinationStatus::kNoCluster);
  EXPECT_EQ(r.problem,
            "subset \"v1\" is not defined by DestinationRule default/b (it defines v2); "
            "DestinationRule default/a defines it, but it is not merged with DestinationRule "
            "default/b because their exportTo differ (none and *), and Istio uses only one of "
            "them");
}

TEST(DestinationMerge, SelectorRulesAbsorbSameNamespaceRulesWhoseExportToIsASuperset) {
  // Istio's TestSetDestinationRuleWithWorkloadSelector: the catch-all rule (exportTo ".",
  // test2) merges into each selector rule (exportTo "." implied) and also stays on its own.
  const std::string host = "  host: httpbin.org\n";
  auto selector = [&](const std::string& app, const std::string& subset) {
    return host + "  exportTo: [test2, '.']\n  workloadSelector: {matchLabels: {app: " + app +
           "}}\n  subsets: [{name: " + subset + "}]\n";
  };
  auto with_time = [](std::string doc, const std::string& when) {
    return doc.replace(doc.find("spec:"), 5, "  creationTimestamp: '" + when + "'\nspec:");
  };
  World w(with_time(dr("nsRule1", "test", selector("app1", "s1")), "2024-01-01T00:00:01Z") +
              with_time(dr("nsRule2", "test", selector("app2", "s2")), "2024-01-01T00:00:02Z") +
              with_time(dr("nsRule3", "test", selector("app2", "s3")), "2024-01-01T00:00:02Z") +
              with_time(dr("nsRule4", "test",
                           host + "  exportTo: ['.', test2]\n  subsets: [{name: s4}]\n"),
                        "2024-01-01T00:00:00Z"),
          {service("httpbin.org", "test", 80, {endpoint("10.0.0.9", {})})});
  auto app2 = w.resolve(sidecar("test", {{"app", "app2"}}), "httpbin.org", "s4", 80);
  ASSERT_EQ(app2.status, DestinationStatus::kOk) << app2.problem;
  ASSERT_EQ(app2.destination_rules.size(), 3U);
  EXPECT_EQ(ruleOf(app2), "test/nsRule2");
  EXPECT_EQ(app2.destination_rules[1]->meta.name, "nsRule3");
  EXPECT_EQ(app2.destination_rules[2]->meta.name, "nsRule4");
  EXPECT_EQ(ruleOf(w.resolve(sidecar("test", {{"app", "x"}}), "httpbin.org", "", 80)),
            "test/nsRule4");
  auto other_ns = w.resolve(sidecar("test2", {{"app", "app1"}}), "httpbin.org", "s1", 80);
  EXPECT_EQ(other_ns.status, DestinationStatus::kNoCluster);
  EXPECT_EQ(ruleOf(other_ns), "test/nsRule4");
}

// --- Subsets: NC and UH ---

TEST(DestinationSubset, SubsetNotDefinedByTheRuleHasNoCluster) {
  World w(dr("reviews", "default", kThreeSubsets), {reviews()});
  auto r = w.resolve(sidecar("default"), kReviews, "v4");
  EXPECT_EQ(r.status, DestinationStatus::kNoCluster);
  EXPECT_EQ(r.problem,
            "subset \"v4\" is not defined by DestinationRule default/reviews (it defines v1, v2, "
            "v3)");
  EXPECT_EQ(destinationStatusName(r.status), "no_cluster");
}

TEST(DestinationSubset, SubsetWithoutAnyRuleHasNoCluster) {
  World w("", {reviews()});
  auto r = w.resolve(sidecar("default"), kReviews, "v2");
  EXPECT_EQ(r.status, DestinationStatus::kNoCluster);
  EXPECT_EQ(r.problem,
            "no DestinationRule for reviews.default.svc.cluster.local is visible from namespace "
            "default, so subset \"v2\" has no cluster");
  EXPECT_EQ(r.cluster, "outbound|9080|v2|reviews.default.svc.cluster.local");
}

TEST(DestinationSubset, SubsetSelectingNoEndpointIsNoHealthyUpstream) {
  auto svc = service(kReviews, "default", 9080,
                     {endpoint("10.0.0.1", {{"app", "reviews"}, {"version", "v1"}}),
                      endpoint("10.0.0.2", {{"app", "reviews"}, {"version", "v1"}}),
                      endpoint("10.0.0.3", {{"app", "reviews"}, {"version", "2.0"}})});
  World w(dr("reviews", "default", kThreeSubsets), {svc});
  auto r = w.resolve(sidecar("default"), kReviews, "v2");
  EXPECT_EQ(r.status, DestinationStatus::kNoHealthyUpstream);
  EXPECT_EQ(r.problem,
            "subset \"v2\" (version=v2) selects 0 of 3 endpoints of "
            "reviews.default.svc.cluster.local: they have version=v1, version=2.0");
  auto v1 = w.resolve(sidecar("default"), kReviews, "v1");
  EXPECT_EQ(v1.status, DestinationStatus::kOk);
  EXPECT_EQ(v1.endpoints.size(), 2U);
}

TEST(DestinationSubset, ProblemNamesTheClosestEndpointsAndTheLabelThatDiffers) {
  auto svc = service(kReviews, "default", 9080,
                     {endpoint("10.0.0.1", {{"version", "v1"}, {"track", "canary"}}),
                      endpoint("10.0.0.2", {{"version", "v2"}})});
  World w(dr("reviews", "default",
             "  host: reviews\n  subsets: [{name: v1, labels: {version: v1, track: stable}}]\n"),
          {svc});
  auto r = w.resolve(sidecar("default"), kReviews, "v1");
  EXPECT_EQ(r.problem,
            "subset \"v1\" (track=stable, version=v1) selects 0 of 2 endpoints of "
            "reviews.default.svc.cluster.local: the closest (10.0.0.1) has track=canary");
}

TEST(DestinationSubset, EndpointsThatAreNotReadyGiveNoHealthyUpstream) {
  auto svc = service(kReviews, "default", 9080,
                     {endpoint("10.0.0.1", {{"version", "v1"}}, /*healthy=*/false)});
  World w(dr("reviews", "default", kThreeSubsets), {svc});
  auto r = w.resolve(sidecar("default"), kReviews, "v1");
  EXPECT_EQ(r.status, DestinationStatus::kNoHealthyUpstream);
  EXPECT_EQ(r.problem, "subset \"v1\" (version=v1) selects 1 endpoint, but none is ready");
}

TEST(DestinationSubset, DeploymentTemplatesStandInForPodsWhenTheServiceHasNoEndpoints) {
  registry::Workload v1;
  v1.kind = registry::WorkloadKind::kDeployment;
  v1.name = "reviews-v1";
  v1.ns = "default";
  v1.labels = {{"app", "reviews"}, {"version", "v1"}};
  v1.replicas = 3;
  auto svc = service(kReviews, "default", 9080);
  svc.template_workloads = {&v1};
  World w(dr("reviews", "default", kThreeSubsets), {svc});
  auto ok = w.resolve(sidecar("default"), kReviews, "v1");
  EXPECT_EQ(ok.status, DestinationStatus::kOk) << ok.problem;
  ASSERT_EQ(ok.template_workloads.size(), 1U);
  auto r = w.resolve(sidecar("default"), kReviews, "v3");
  EXPECT_EQ(r.status, DestinationStatus::kNoHealthyUpstream);
  EXPECT_EQ(r.problem,
            "subset \"v3\" (version=v3) selects 0 of 1 Deployments behind "
            "reviews.default.svc.cluster.local: it has version=v1");
}

TEST(DestinationSubset, EndpointsWithoutTheServicePortAreNotCounted) {
  auto svc = reviews();
  svc.ports.push_back({"grpc", 9090, "GRPC", 0});
  svc.endpoints[1].ports.emplace(9090, 9090);  // only the v2 pod declares the grpc port
  World w(dr("reviews", "default", kThreeSubsets), {svc});
  EXPECT_EQ(w.resolve(sidecar("default"), kReviews, "v2", 9090).status, DestinationStatus::kOk);
  auto r = w.resolve(sidecar("default"), kReviews, "v1", 9090);
  EXPECT_EQ(r.status, DestinationStatus::kNoHealthyUpstream);
  EXPECT_NE(r.problem.find("selects 0 of 1 endpoints"), std::string::npos) << r.problem;
}

// --- Traffic policy ---

TEST(DestinationPolicy, SubsetPolicyOverridesTheTopLevelFieldByField) {
  World w(dr("reviews", "default", R"(  host: reviews
  trafficPolicy:
    connectionPool: {tcp: {maxConnections: 100}}
    outlierDetection: {consecutive5xxErrors: 5}
    tls: {mode: ISTIO_MUTUAL}
  subsets:
  - name: v1
    labels: {version: v1}
    trafficPolicy:
      loadBalancer: {simple: ROUND_ROBIN}
      connectionPool: {http: {http2MaxRequests: 2000}}
)"),
          {reviews()});
  auto r = w.resolve(sidecar("default"), kReviews, "v1");
  ASSERT_TRUE(r.policy.policy.has_value());
  const auto& p = *r.policy.policy;
  EXPECT_EQ(r.policy.load_balancer, "ROUND_ROBIN");
  ASSERT_TRUE(p.connection_pool.has_value());
  EXPECT_FALSE(p.connection_pool->tcp.has_value());  // the whole block is replaced
  EXPECT_EQ(p.connection_pool->http->http2_max_requests, 2000);
  ASSERT_TRUE(p.outlier_detection.has_value());  // inherited from the top level
  EXPECT_EQ(p.outlier_detection->consecutive_5xx_errors.value_or(0), 5U);
  EXPECT_EQ(r.policy.tls_mode, "ISTIO_MUTUAL");
  EXPECT_FALSE(r.policy.tls_auto);
}

TEST(DestinationPolicy, PortLevelSettingsReplaceTheTopLevelPolicyWholesale) {
  World w(dr("reviews", "default", R"(  host: reviews
  trafficPolicy:
    loadBalancer: {simple: RANDOM}
    outlierDetection: {consecutive5xxErrors: 5}
    portLevelSettings:
    - port: {number: 9080}
      loadBalancer: {simple: ROUND_ROBIN}
  subsets:
  - name: v1
    labels: {version: v1}
    trafficPolicy:
      connectionPool: {tcp: {maxConnections: 7}}
  - name: v2
    labels: {version: v2}
    trafficPolicy:
      connectionPool: {tcp: {maxConnections: 7}}
      portLevelSettings:
      - port: {number: 9080}
        tls: {mode: DISABLE}
)"),
          {reviews()});
  auto plain = w.resolve(sidecar("default"), kReviews, "");
  EXPECT_EQ(plain.policy.load_balancer, "ROUND_ROBIN");
  EXPECT_FALSE(plain.policy.policy->outlier_detection.has_value());  // not inherited
  auto v1 = w.resolve(sidecar("default"), kReviews, "v1");
  EXPECT_EQ(v1.policy.load_balancer, "ROUND_ROBIN");
  EXPECT_EQ(v1.policy.policy->connection_pool->tcp->max_connections, 7);
  // The subset's port entry replaces all four per-port fields, even those it leaves unset.
  auto v2 = w.resolve(sidecar("default"), kReviews, "v2");
  EXPECT_EQ(v2.policy.load_balancer, "LEAST_REQUEST");
  EXPECT_FALSE(v2.policy.policy->connection_pool.has_value());
  EXPECT_EQ(v2.policy.tls_mode, "DISABLE");
}

TEST(DestinationPolicy, LoadBalancerNamesFollowIstiod) {
  World w(dr("reviews", "default", R"(  host: reviews
  subsets:
  - {name: least, labels: {version: v1}, trafficPolicy: {loadBalancer: {simple: LEAST_CONN}}}
  - name: ring
    labels: {version: v1}
    trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user}}}
  - name: maglev
    labels: {version: v1}
    trafficPolicy: {loadBalancer: {consistentHash: {useSourceIp: true, maglev: {}}}}
  - {name: pass, labels: {version: v9}, trafficPolicy: {loadBalancer: {simple: PASSTHROUGH}}}
)"),
          {reviews()});
  // istiod sets LEAST_REQUEST itself when the rule names no algorithm.
  EXPECT_EQ(w.resolve(sidecar("default"), kReviews, "").policy.load_balancer, "LEAST_REQUEST");
  EXPECT_EQ(w.resolve(sidecar("default"), kReviews, "least").policy.load_balancer, "LEAST_REQUEST");
  EXPECT_EQ(w.resolve(sidecar("default"), kReviews, "ring").policy.load_balancer, "RING_HASH");
  EXPECT_EQ(w.resolve(sidecar("default"), kReviews, "maglev").policy.load_balancer, "MAGLEV");
  // Passthrough goes to the original destination: no endpoint list to be empty.
  auto pass = w.resolve(sidecar("default"), kReviews, "pass");
  EXPECT_EQ(pass.policy.load_balancer, "CLUSTER_PROVIDED");
  EXPECT_EQ(pass.status, DestinationStatus::kOk);
}

TEST(DestinationPolicy, AutoMtlsForMeshServicesAndNoneForExternalOnes) {
  auto external = service("api.example.com", "default", 443, {endpoint("api.example.com", {})});
  external.from_service_entry = true;
  external.mesh_external = true;
  external.resolution = registry::Resolution::kDns;
  World w("", {reviews(), external});
  auto internal = w.resolve(sidecar("default"), kReviews, "");
  EXPECT_EQ(internal.policy.tls_mode, "ISTIO_MUTUAL");
  EXPECT_TRUE(internal.policy.tls_auto);
  EXPECT_FALSE(internal.policy.policy.has_value());
  auto ext = w.resolve(sidecar("default"), "api.example.com", "", 443);
  EXPECT_EQ(ext.policy.tls_mode, "DISABLE");
  EXPECT_EQ(ext.cluster, "outbound|443||api.example.com");
}

// --- Cluster names and hosts ---

TEST(DestinationCluster, NameCarriesPortSubsetAndHost) {
  World w(dr("reviews", "default", kThreeSubsets), {reviews()});
  EXPECT_EQ(w.resolve(sidecar("default"), kReviews, "v2").cluster,
            "outbound|9080|v2|reviews.default.svc.cluster.local");
  auto no_port = w.resolve(sidecar("default"), kReviews, "", 0);  // the only port is used
  EXPECT_EQ(no_port.cluster, "outbound|9080||reviews.default.svc.cluster.local");
  EXPECT_EQ(no_port.port, 9080U);
  EXPECT_EQ(no_port.endpoints.size(), 3U);
}

TEST(DestinationCluster, ExternalNameServiceUsesItsTargetsCluster) {
  auto alias = service("legacy.default.svc.cluster.local", "default", 9080);
  alias.resolution = registry::Resolution::kAlias;
  alias.external_name = kReviews;
  auto dangling = service("gone.default.svc.cluster.local", "default", 9080);
  dangling.resolution = registry::Resolution::kAlias;
  dangling.external_name = "nowhere.example.com";
  World w(dr("reviews", "default", kThreeSubsets), {reviews(), alias, dangling});
  auto r = w.resolve(sidecar("default"), "legacy.default.svc.cluster.local", "v1", 0);
  EXPECT_EQ(r.status, DestinationStatus::kOk) << r.problem;
  EXPECT_EQ(r.cluster, "outbound|9080|v1|reviews.default.svc.cluster.local");
  ASSERT_NE(r.alias, nullptr);
  EXPECT_EQ(ruleOf(r), "default/reviews");  // the target's rule applies
  auto gone = w.resolve(sidecar("default"), "gone.default.svc.cluster.local", "", 0);
  EXPECT_EQ(gone.status, DestinationStatus::kUnknownHost);
  EXPECT_EQ(gone.problem.rfind("service gone.default.svc.cluster.local is an ExternalName alias "
                               "of nowhere.example.com; no service has the hostname",
                               0),
            0U)
      << gone.problem;
}

TEST(DestinationCluster, UnknownHostsAndPortsHaveNoCluster) {
  World w("", {reviews()});
  auto host = w.resolve(sidecar("default"), "ratings.default.svc.cluster.local", "");
  EXPECT_EQ(host.status, DestinationStatus::kUnknownHost);
  EXPECT_EQ(host.cluster, "outbound|9080||ratings.default.svc.cluster.local");
  auto port = w.resolve(sidecar("default"), kReviews, "", 9999);
  EXPECT_EQ(port.status, DestinationStatus::kNoCluster);
  EXPECT_EQ(port.problem,
            "service reviews.default.svc.cluster.local has no port 9999 (its ports: 9080/http), "
            "so Envoy has no cluster outbound|9999||reviews.default.svc.cluster.local");
}

}  // namespace
}  // namespace meshroute::routing
