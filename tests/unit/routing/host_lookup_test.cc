// Host lookup on sidecars: the virtual host Envoy picks for the authority among the services
// and VirtualService hosts visible on the listener port (httproute.go), and the catch-all.
#include <gtest/gtest.h>

#include "routing_test_util.h"

namespace meshroute::routing {
namespace {

using namespace testing;  // NOLINT

const std::string kServices = k8sService("reviews", "default", 9080) +
                              k8sService("ratings", "default", 9080) +
                              k8sService("httpbin", "other", 8000);

TEST(HostLookup, ShortNameResolvesForAProxyInTheSameNamespace) {
  auto snap = snapshotFrom(kServices);
  Decision d = snap->decide(sidecar("default"), get("http://reviews:9080/"));
  EXPECT_EQ(d.virtual_host, "reviews.default.svc.cluster.local:9080");
  EXPECT_EQ(d.route_name, "default");
  EXPECT_EQ(clusterOf(d), "outbound|9080||reviews.default.svc.cluster.local");
  EXPECT_EQ(d.listener, "0.0.0.0_9080");
  EXPECT_EQ(d.route_config, "9080");
}

TEST(HostLookup, KubernetesAliasesAllReachTheService) {
  auto snap = snapshotFrom(kServices);
  for (const char* host :
       {"reviews", "reviews.default", "reviews.default.svc", "reviews.default.svc.cluster.local",
        "reviews.default.svc.cluster.local."}) {
    Decision d = snap->decide(sidecar("default"), get(std::string("http://") + host + ":9080/"));
    EXPECT_EQ(d.virtual_host, "reviews.default.svc.cluster.local:9080") << host;
  }
}

TEST(HostLookup, BareNameOfAnotherNamespaceIsNotAnAlias) {
  auto snap = snapshotFrom(kServices);
  Decision d = snap->decide(sidecar("default"), get("http://httpbin:8000/"));
  EXPECT_EQ(d.virtual_host, "allow_any");
  EXPECT_EQ(clusterOf(d), "PassthroughCluster");
  Decision ok = snap->decide(sidecar("default"), get("http://httpbin.other:8000/"));
  EXPECT_EQ(ok.virtual_host, "httpbin.other.svc.cluster.local:8000");
}

TEST(HostLookup, PortInTheAuthorityIsIgnored) {
  auto snap = snapshotFrom(kServices);
  Request r = get("http://reviews:1234/");
  r.port = 9080;  // the listener port decides, not the authority's
  EXPECT_EQ(snap->decide(sidecar(), r).virtual_host, "reviews.default.svc.cluster.local:9080");
}

TEST(HostLookup, AuthorityIsCaseInsensitive) {
  auto snap = snapshotFrom(kServices);
  EXPECT_EQ(snap->decide(sidecar(), get("http://Reviews.Default:9080/")).virtual_host,
            "reviews.default.svc.cluster.local:9080");
}

TEST(HostLookup, UnknownHostWithRegistryOnlyGets502) {
  MeshConfig mesh;
  mesh.outbound_allow_any = false;
  auto snap = snapshotFrom(kServices, mesh);
  Decision d = snap->decide(sidecar(), get("http://example.com:9080/"));
  EXPECT_EQ(d.outcome, Outcome::kDirectResponse);
  EXPECT_EQ(d.status, 502);
  EXPECT_EQ(d.virtual_host, "block_all");
}

TEST(HostLookup, SidecarOutboundPolicyOverridesTheMesh) {
  auto snap = snapshotFrom(kServices + doc("Sidecar", "default", "default",
                                           "  outboundTrafficPolicy:\n    mode: REGISTRY_ONLY\n"));
  EXPECT_EQ(snap->decide(sidecar(), get("http://example.com:9080/")).status, 502);
}

TEST(HostLookup, PortWithoutAnyServiceTakesThePassthroughListener) {
  auto snap = snapshotFrom(kServices);
  Decision d = snap->decide(sidecar(), get("http://example.com:7777/"));
  EXPECT_EQ(d.listener, "virtualOutbound");
  EXPECT_EQ(clusterOf(d), "PassthroughCluster");
}

const std::string kExternal = doc("ServiceEntry", "wild", "default", R"(  hosts: ["*.example.com"]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: NONE
  location: MESH_EXTERNAL
)") + doc("ServiceEntry", "api", "default", R"(  hosts: [api.example.com]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS
  location: MESH_EXTERNAL
)") + doc("ServiceEntry", "deep", "default", R"(  hosts: ["*.eu.example.com"]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: NONE
)");

TEST(HostLookup, ExactDomainBeatsWildcard) {
  auto snap = snapshotFrom(kExternal);
  EXPECT_EQ(snap->decide(sidecar(), get("http://api.example.com/")).virtual_host,
            "api.example.com:80");
  EXPECT_EQ(snap->decide(sidecar(), get("http://web.example.com/")).virtual_host,
            "*.example.com:80");
}

TEST(HostLookup, LongestWildcardWins) {
  auto snap = snapshotFrom(kExternal);
  EXPECT_EQ(snap->decide(sidecar(), get("http://shop.eu.example.com/")).virtual_host,
            "*.eu.example.com:80");
}

TEST(HostLookup, VirtualServiceHostWithoutServiceWorksOnPort80Only) {
  const std::string vs80 = vs("ext", R"(  hosts: [no-service.example.org]
  http:
  - route:
    - destination: {host: reviews, port: {number: 9080}}
)");
  auto snap = snapshotFrom(kServices + k8sService("web", "default", 80) + vs80);
  Decision d = snap->decide(sidecar(), get("http://no-service.example.org/"));
  EXPECT_EQ(d.virtual_host, "no-service.example.org:80");
  EXPECT_EQ(clusterOf(d), "outbound|9080||reviews.default.svc.cluster.local");
  Decision other = snap->decide(sidecar(), get("http://no-service.example.org:9080/"));
  EXPECT_EQ(other.virtual_host, "allow_any");
  EXPECT_TRUE(hasNote(other, "port 80 only"));
}

TEST(HostLookup, ShortVirtualServiceHostExpandsInItsOwnNamespace) {
  const std::string v = vs("httpbin", R"(  hosts: [httpbin]
  http:
  - route:
    - destination: {host: httpbin}
      headers: {response: {set: {x-vs: "1"}}}
)",
                           "other");
  auto snap = snapshotFrom(kServices + v);
  Decision d = snap->decide(sidecar("default"), get("http://httpbin.other:8000/"));
  ASSERT_NE(d.virtual_service, nullptr);
  EXPECT_EQ(d.virtual_service->meta.name, "httpbin");
  EXPECT_EQ(clusterOf(d), "outbound|8000||httpbin.other.svc.cluster.local");
}

TEST(HostLookup, ClusterIpIsADomainToo) {
  auto snap = snapshotFrom(k8sService("reviews", "default", 9080, "http", "10.96.0.10"));
  EXPECT_EQ(snap->decide(sidecar(), get("http://10.96.0.10:9080/")).virtual_host,
            "reviews.default.svc.cluster.local:9080");
}

}  // namespace
}  // namespace meshroute::routing
