// Connection-level routing: TCP routes (port, destinationSubnets, sourceLabels), TLS routes
// (sniHosts), the default TCP cluster and the passthrough/blackhole outbound listener.
#include <gtest/gtest.h>

#include "routing_test_util.h"

namespace meshroute::routing {
namespace {

using namespace testing;  // NOLINT

const std::string kServices = k8sService("mongo", "default", 27017, "tcp-mongo", "10.96.0.20") +
                              doc("ServiceEntry", "external-tls", "default",
                                  R"(  hosts: [api.example.com, "*.secure.example.com"]
  ports: [{number: 443, name: tls, protocol: TLS}]
  resolution: DNS
  location: MESH_EXTERNAL
)");

Request tcp(const std::string& address, uint32_t port) {
  Request r;
  r.protocol = Protocol::kTcp;
  r.port = port;
  r.destination_address = address;
  return r;
}

Request tls(const std::string& sni, uint32_t port = 443) {
  Request r;
  r.protocol = Protocol::kTls;
  r.tls = true;
  r.sni = sni;
  r.port = port;
  return r;
}

TEST(TcpRouting, ServiceWithoutTcpRoutesGoesToItsDefaultCluster) {
  auto snap = snapshotFrom(kServices);
  Decision d = snap->decide(sidecar(), tcp("10.96.0.20", 27017));
  EXPECT_EQ(clusterOf(d), "outbound|27017||mongo.default.svc.cluster.local");
  EXPECT_EQ(d.listener, "10.96.0.20_27017");
}

TEST(TcpRouting, TcpRouteWithWeights) {
  const std::string v = vs("mongo", R"(  hosts: [mongo]
  tcp:
  - match:
    - port: 27017
    route:
    - destination: {host: mongo, subset: v1}
      weight: 80
    - destination: {host: mongo, subset: v2}
      weight: 20
)");
  auto snap = snapshotFrom(kServices + v);
  Decision d = snap->decide(sidecar(), tcp("10.96.0.20", 27017));
  ASSERT_EQ(d.destinations.size(), 2u) << traceText(d);
  EXPECT_DOUBLE_EQ(d.destinations[0].weight_percent, 80);
  EXPECT_EQ(clusterOf(d, 1), "outbound|27017|v2|mongo.default.svc.cluster.local");
}

TEST(TcpRouting, DestinationSubnetsNeedTheAddress) {
  const std::string v = vs("mongo", R"(  hosts: [mongo]
  tcp:
  - match:
    - destinationSubnets: [10.96.1.0/24]
    route:
    - destination: {host: mongo, subset: other}
  - route:
    - destination: {host: mongo, subset: main}
)");
  auto snap = snapshotFrom(kServices + v);
  Decision d = snap->decide(sidecar(), tcp("10.96.0.20", 27017));
  EXPECT_EQ(d.destinations.at(0).subset, "main");
  ASSERT_EQ(d.trace.size(), 2u);
  EXPECT_NE(d.trace[0].reason.find("destinationSubnets"), std::string::npos);
}

TEST(TcpRouting, SourceLabelsFilterTcpRoutes) {
  const std::string v = vs("mongo", R"(  hosts: [mongo]
  tcp:
  - match:
    - sourceLabels: {app: admin}
    route:
    - destination: {host: mongo, subset: admin}
  - route:
    - destination: {host: mongo, subset: main}
)");
  auto snap = snapshotFrom(kServices + v);
  EXPECT_EQ(snap->decide(sidecar("default", {{"app", "admin"}}), tcp("10.96.0.20", 27017))
                .destinations.at(0)
                .subset,
            "admin");
  EXPECT_EQ(snap->decide(sidecar("default", {{"app", "web"}}), tcp("10.96.0.20", 27017))
                .destinations.at(0)
                .subset,
            "main");
}

TEST(TlsRouting, SniHostsSelectTheTlsRoute) {
  const std::string v = vs("tls", R"(  hosts: [api.example.com, "*.secure.example.com"]
  tls:
  - match:
    - sniHosts: [api.example.com]
    route:
    - destination: {host: api.example.com}
  - match:
    - sniHosts: ["*.secure.example.com"]
    route:
    - destination: {host: api.example.com, port: {number: 8443}}
)");
  auto snap = snapshotFrom(kServices + v);
  EXPECT_EQ(clusterOf(snap->decide(sidecar(), tls("api.example.com"))),
            "outbound|443||api.example.com");
  EXPECT_EQ(clusterOf(snap->decide(sidecar(), tls("pay.secure.example.com"))),
            "outbound|8443||api.example.com");
}

TEST(TlsRouting, UnknownSniTakesThePassthroughListener) {
  auto snap = snapshotFrom(kServices);
  Decision d = snap->decide(sidecar(), tls("unknown.example.net"));
  EXPECT_EQ(clusterOf(d), "PassthroughCluster");
  MeshConfig mesh;
  mesh.outbound_allow_any = false;
  auto strict = snapshotFrom(kServices, mesh);
  Decision b = strict->decide(sidecar(), tls("unknown.example.net"));
  EXPECT_EQ(b.outcome, Outcome::kNoListener);
  EXPECT_EQ(clusterOf(b), "BlackHoleCluster");
}

TEST(TcpRouting, HttpRequestToATcpServicePortIsProxiedAsTcp) {
  auto snap = snapshotFrom(kServices + k8sService("web", "default", 27017));
  Request r = get("http://mongo:27017/");
  Decision d = snap->decide(sidecar(), r);
  EXPECT_EQ(clusterOf(d), "outbound|27017||mongo.default.svc.cluster.local");
  EXPECT_EQ(d.listener, "10.96.0.20_27017");
}

TEST(GatewayTls, PassthroughServerRoutesBySni) {
  const std::string gw =
      doc("Gateway", "passthrough", "istio-system", R"(  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: tls, protocol: TLS}
    hosts: ["*.secure.example.com"]
    tls: {mode: PASSTHROUGH}
)");
  const std::string v = vs("pt", R"(  hosts: ["*.secure.example.com"]
  gateways: [istio-system/passthrough]
  tls:
  - match:
    - sniHosts: [pay.secure.example.com]
    route:
    - destination: {host: api.example.com}
)");
  auto snap = snapshotFrom(kServices + gw + v);
  Proxy p = router("istio-system", {{"istio", "ingressgateway"}});
  EXPECT_EQ(clusterOf(snap->decide(p, tls("pay.secure.example.com"))),
            "outbound|443||api.example.com");
  EXPECT_EQ(snap->decide(p, tls("other.secure.example.com")).outcome, Outcome::kNoListener);
}

}  // namespace
}  // namespace meshroute::routing
