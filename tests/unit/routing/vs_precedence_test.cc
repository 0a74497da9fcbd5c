// Which VirtualService a sidecar uses for a host: visibility (exportTo, gateways binding,
// Sidecar egress hosts and its workloadSelector) and precedence when several claim the host.
#include <gtest/gtest.h>

#include "routing_test_util.h"

namespace meshroute::routing {
namespace {

using namespace testing;  // NOLINT

const std::string kServices = k8sService("reviews", "default", 9080) +
                              k8sService("ratings", "default", 9080) +
                              k8sService("reviews", "other", 9080);

std::string toSubset(const std::string& name, const std::string& subset,
                     const std::string& ns = "default", const std::string& created = "",
                     const std::string& extra = "") {
  return vs(name,
            "  hosts: [reviews.default.svc.cluster.local]\n" + extra +
                "  http:\n  - route:\n    - destination: {host: reviews.default.svc.cluster."
                "local, subset: " +
                subset + "}\n",
            ns, created);
}

std::string subsetOf(const Decision& d) {
  return d.destinations.empty() ? "" : d.destinations.front().subset;
}

TEST(VirtualServicePrecedence, SidecarUsesTheOldestVirtualServiceForAHost) {
  auto snap = snapshotFrom(kServices + toSubset("newer", "v2", "default", "2024-05-01T00:00:00Z") +
                           toSubset("older", "v1", "default", "2024-01-01T00:00:00Z"));
  Decision d = snap->decide(sidecar(), get("http://reviews:9080/"));
  EXPECT_EQ(subsetOf(d), "v1");
  EXPECT_TRUE(hasNote(d, "VirtualService default/newer also has host"));
}

TEST(VirtualServicePrecedence, LaterDefinitionWithTheSameNameReplacesTheEarlierOne) {
  // A manifest that applies "reviews" twice (blue, then green) ends with the second object.
  auto snap = snapshotFrom(kServices + toSubset("switch", "v1") + toSubset("switch", "v2"));
  EXPECT_EQ(subsetOf(snap->decide(sidecar(), get("http://reviews:9080/"))), "v2");
}

TEST(VirtualServicePrecedence, SameCreationTimeFallsBackToName) {
  auto snap = snapshotFrom(kServices + toSubset("b-vs", "v2") + toSubset("a-vs", "v1"));
  EXPECT_EQ(subsetOf(snap->decide(sidecar(), get("http://reviews:9080/"))), "v1");
}

TEST(VirtualServicePrecedence, NamespaceLocalVirtualServiceComesBeforePublicOnes) {
  // push_context.go: VirtualServices exported only to their own namespace are listed first.
  auto snap = snapshotFrom(
      kServices + toSubset("public", "v1", "default", "2020-01-01T00:00:00Z") +
      toSubset("local", "v3", "default", "2024-01-01T00:00:00Z", "  exportTo: [\".\"]\n"));
  EXPECT_EQ(subsetOf(snap->decide(sidecar("default"), get("http://reviews:9080/"))), "v3");
  EXPECT_EQ(subsetOf(snap->decide(sidecar("other"), get("http://reviews.default:9080/"))), "v1");
}

TEST(VirtualServicePrecedence, VirtualServiceNotExportedToTheProxyNamespaceDoesNotApply) {
  auto snap =
      snapshotFrom(kServices + toSubset("private", "v2", "default", "", "  exportTo: [\".\"]\n"));
  Decision d = snap->decide(sidecar("other"), get("http://reviews.default:9080/"));
  EXPECT_EQ(d.route_name, "default");
  EXPECT_TRUE(hasNote(d, "not exported to namespace other"));
}

TEST(VirtualServicePrecedence, MeshDefaultExportToAppliesWhenUnset) {
  MeshConfig mesh;
  mesh.default_virtual_service_export_to = {"."};
  auto snap = snapshotFrom(kServices + toSubset("vs", "v2"), mesh);
  EXPECT_EQ(snap->decide(sidecar("other"), get("http://reviews.default:9080/")).route_name,
            "default");
  EXPECT_EQ(subsetOf(snap->decide(sidecar("default"), get("http://reviews:9080/"))), "v2");
}

TEST(VirtualServicePrecedence, GatewayOnlyVirtualServiceDoesNotApplyToSidecars) {
  auto snap = snapshotFrom(
      kServices + toSubset("edge", "v2", "default", "", "  gateways: [istio-system/public]\n"));
  Decision d = snap->decide(sidecar(), get("http://reviews:9080/"));
  EXPECT_EQ(d.route_name, "default");
  EXPECT_TRUE(hasNote(d, "bound to gateways [istio-system/public] only"));
}

TEST(VirtualServicePrecedence, MeshInGatewaysKeepsItForSidecars) {
  auto snap = snapshotFrom(kServices + toSubset("both", "v2", "default", "",
                                                "  gateways: [mesh, istio-system/public]\n"));
  EXPECT_EQ(subsetOf(snap->decide(sidecar(), get("http://reviews:9080/"))), "v2");
}

TEST(VirtualServicePrecedence, SidecarEgressHostsLimitWhatIsVisible) {
  const std::string sc = doc("Sidecar", "default", "default",
                             "  egress:\n  - hosts: [\"./ratings.default.svc.cluster.local\"]\n");
  auto snap = snapshotFrom(kServices + toSubset("vs", "v2") + sc);
  Decision d = snap->decide(sidecar(), get("http://reviews:9080/"));
  EXPECT_EQ(d.virtual_host, "allow_any");
  EXPECT_EQ(snap->decide(sidecar(), get("http://ratings:9080/")).route_name, "default");
}

TEST(VirtualServicePrecedence, WorkloadSelectorSidecarBeatsTheNamespaceWideOne) {
  const std::string wide = doc("Sidecar", "wide", "default", "  egress:\n  - hosts: [\"./*\"]\n");
  const std::string narrow =
      doc("Sidecar", "narrow", "default",
          "  workloadSelector:\n    labels: {app: frontend}\n"
          "  egress:\n  - hosts: [\"./ratings.default.svc.cluster.local\"]\n");
  auto snap = snapshotFrom(kServices + wide + narrow);
  EXPECT_EQ(snap->decide(sidecar("default", {{"app", "frontend"}}), get("http://reviews:9080/"))
                .virtual_host,
            "allow_any");
  EXPECT_EQ(snap->decide(sidecar("default", {{"app", "backend"}}), get("http://reviews:9080/"))
                .virtual_host,
            "reviews.default.svc.cluster.local:9080");
}

TEST(VirtualServicePrecedence, RootNamespaceSidecarAppliesWhenTheNamespaceHasNone) {
  const std::string root =
      doc("Sidecar", "default", "istio-system", "  egress:\n  - hosts: [\"./*\"]\n");
  auto snap = snapshotFrom(kServices + root);
  // "./*" is the proxy's own namespace: reviews.default is invisible from "other".
  EXPECT_EQ(snap->decide(sidecar("other"), get("http://reviews.default:9080/")).virtual_host,
            "allow_any");
  EXPECT_EQ(snap->decide(sidecar("other"), get("http://reviews:9080/")).virtual_host,
            "reviews.other.svc.cluster.local:9080");
}

TEST(VirtualServicePrecedence, VirtualServiceWhoseRoutesAllFilterOutLeavesTheDefaultRoute) {
  const std::string v = vs("only-frontend", R"(  hosts: [reviews]
  http:
  - match:
    - sourceLabels: {app: frontend}
    route:
    - destination: {host: reviews, subset: v2}
)");
  auto snap = snapshotFrom(kServices + v);
  EXPECT_EQ(subsetOf(snap->decide(sidecar("default", {{"app", "frontend"}}),
                                  get("http://reviews:9080/"))),
            "v2");
  Decision d = snap->decide(sidecar("default", {{"app", "other"}}), get("http://reviews:9080/"));
  EXPECT_EQ(d.route_name, "default");
  EXPECT_TRUE(hasNote(d, "has no route for this proxy"));
}

TEST(VirtualServicePrecedence, WildcardVirtualServiceHostAppliesToMatchingServices) {
  const std::string v = vs("wild", R"(  hosts: ["*.default.svc.cluster.local"]
  http:
  - route:
    - destination: {host: ratings.default.svc.cluster.local}
)");
  auto snap = snapshotFrom(kServices + v);
  Decision d = snap->decide(sidecar(), get("http://reviews:9080/"));
  ASSERT_NE(d.virtual_service, nullptr);
  EXPECT_EQ(clusterOf(d), "outbound|9080||ratings.default.svc.cluster.local");
}

TEST(VirtualServicePrecedence, ExactVirtualServiceHostBeatsAWildcardOne) {
  const std::string wild = vs("wild", R"(  hosts: ["*.default.svc.cluster.local"]
  http:
  - route:
    - destination: {host: ratings.default.svc.cluster.local}
)");
  auto snap = snapshotFrom(kServices + wild + toSubset("exact", "v2"));
  EXPECT_EQ(subsetOf(snap->decide(sidecar(), get("http://reviews:9080/"))), "v2");
}

}  // namespace
}  // namespace meshroute::routing
