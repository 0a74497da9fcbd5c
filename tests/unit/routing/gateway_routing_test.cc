// Router (gateway) proxies: Gateway selection by labels, servers and their hosts, VirtualService
// binding, route merging across VirtualServices, httpsRedirect, HTTPS servers by SNI.
#include <gtest/gtest.h>

#include "routing_test_util.h"

namespace meshroute::routing {
namespace {

using namespace testing;  // NOLINT

const StringMap kIngressLabels{{"istio", "ingressgateway"}, {"app", "istio-ingressgateway"}};

const std::string kServices = k8sService("productpage", "default", 9080) +
                              k8sService("reviews", "default", 9080) +
                              doc("Service", "multi", "default", R"(  selector: {app: multi}
  ports:
  - {name: http, port: 8080}
  - {name: http-admin, port: 9090}
)",
                                  "", "v1");

const std::string kGateway = doc("Gateway", "public", "istio-system", R"(  selector:
    istio: ingressgateway
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*/bookinfo.example.com", "default/shop.example.com"]
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["bookinfo.example.com"]
    tls: {mode: SIMPLE, credentialName: bookinfo-cert}
)");

const std::string kBookinfo = vs("bookinfo", R"(  hosts: [bookinfo.example.com]
  gateways: [istio-system/public]
  http:
  - match:
    - uri: {prefix: /reviews}
    route:
    - destination: {host: reviews}
  - route:
    - destination: {host: productpage}
)");

Proxy ingress() { return router("istio-system", kIngressLabels); }

TEST(GatewayRouting, GatewaySelectsTheRouterByLabels) {
  auto snap = snapshotFrom(kServices + kGateway + kBookinfo);
  Decision d = snap->decide(ingress(), get("http://bookinfo.example.com/reviews/1"));
  EXPECT_EQ(clusterOf(d), "outbound|9080||reviews.default.svc.cluster.local") << traceText(d);
  EXPECT_EQ(d.route_config, "http.80");
  EXPECT_EQ(d.virtual_host, "bookinfo.example.com:80");
  Decision none = snap->decide(router("istio-system", {{"istio", "egressgateway"}}),
                               get("http://bookinfo.example.com/"));
  EXPECT_EQ(none.outcome, Outcome::kNoListener);
}

TEST(GatewayRouting, GatewayInAnyNamespaceSelectsByLabels) {
  const std::string gw = doc("Gateway", "team-gw", "team", R"(  selector: {istio: ingressgateway}
  servers:
  - port: {number: 8080, name: http, protocol: HTTP}
    hosts: ["*"]
)");
  const std::string v = vs("team", R"(  hosts: ["*"]
  gateways: [team-gw]
  http:
  - route:
    - destination: {host: productpage.default.svc.cluster.local}
)",
                           "team");
  auto snap = snapshotFrom(kServices + gw + v);
  Request r = get("http://anything.example.com:8080/");
  Decision d = snap->decide(ingress(), r);
  EXPECT_EQ(clusterOf(d), "outbound|9080||productpage.default.svc.cluster.local");
}

TEST(GatewayRouting, UnknownHostOnAGatewayIs404) {
  auto snap = snapshotFrom(kServices + kGateway + kBookinfo);
  Decision d = snap->decide(ingress(), get("http://unknown.example.com/"));
  EXPECT_EQ(d.outcome, Outcome::kNoRoute);
  EXPECT_EQ(d.status, 404);
  EXPECT_EQ(d.response_flags, "NR");
}

TEST(GatewayRouting, VirtualServiceNotBoundToTheGatewayDoesNotApply) {
  const std::string mesh_only = vs("shop", R"(  hosts: [shop.example.com]
  http:
  - route:
    - destination: {host: productpage}
)");
  auto snap = snapshotFrom(kServices + kGateway + kBookinfo + mesh_only);
  Decision d = snap->decide(ingress(), get("http://shop.example.com/"));
  EXPECT_EQ(d.status, 404);
  EXPECT_TRUE(hasNote(d, "default/shop (host shop.example.com) is bound to [mesh]"));
}

TEST(GatewayRouting, NamespacedServerHostOnlyAcceptsVirtualServicesOfThatNamespace) {
  const std::string other_ns = vs("shop", R"(  hosts: [shop.example.com]
  gateways: [istio-system/public]
  http:
  - route:
    - destination: {host: productpage.default.svc.cluster.local}
)",
                                  "other");
  auto snap = snapshotFrom(kServices + kGateway + other_ns);
  EXPECT_EQ(snap->decide(ingress(), get("http://shop.example.com/")).status, 404);
  const std::string same_ns = vs("shop", R"(  hosts: [shop.example.com]
  gateways: [istio-system/public]
  http:
  - route:
    - destination: {host: productpage}
)");
  auto ok = snapshotFrom(kServices + kGateway + same_ns);
  EXPECT_EQ(clusterOf(ok->decide(ingress(), get("http://shop.example.com/"))),
            "outbound|9080||productpage.default.svc.cluster.local");
}

TEST(GatewayRouting, GatewaysMergeRoutesOfSeveralVirtualServicesCatchAllLast) {
  const std::string first = vs("a-catch-all", R"(  hosts: [bookinfo.example.com]
  gateways: [istio-system/public]
  http:
  - route:
    - destination: {host: productpage}
)",
                               "default", "2024-01-01T00:00:00Z");
  const std::string second = vs("b-specific", R"(  hosts: [bookinfo.example.com]
  gateways: [istio-system/public]
  http:
  - match:
    - uri: {prefix: /reviews}
    route:
    - destination: {host: reviews}
)",
                                "default", "2024-02-01T00:00:00Z");
  auto snap = snapshotFrom(kServices + kGateway + first + second);
  Decision d = snap->decide(ingress(), get("http://bookinfo.example.com/reviews"));
  EXPECT_EQ(clusterOf(d), "outbound|9080||reviews.default.svc.cluster.local") << traceText(d);
  EXPECT_EQ(clusterOf(snap->decide(ingress(), get("http://bookinfo.example.com/x"))),
            "outbound|9080||productpage.default.svc.cluster.local");
  EXPECT_TRUE(hasNote(d, "are merged on this gateway host"));
}

TEST(GatewayRouting, MultiPortServiceWithoutDestinationPortUsesTheListenerPort) {
  const std::string v = vs("multi", R"(  hosts: [bookinfo.example.com]
  gateways: [istio-system/public]
  http:
  - route:
    - destination: {host: multi}
)");
  auto snap = snapshotFrom(kServices + kGateway + v);
  EXPECT_EQ(clusterOf(snap->decide(ingress(), get("http://bookinfo.example.com/"))),
            "outbound|80||multi.default.svc.cluster.local");
}

TEST(GatewayRouting, SinglePortServiceWithoutDestinationPortUsesItsPort) {
  auto snap = snapshotFrom(kServices + kGateway + kBookinfo);
  EXPECT_EQ(clusterOf(snap->decide(ingress(), get("http://bookinfo.example.com/"))),
            "outbound|9080||productpage.default.svc.cluster.local");
}

TEST(GatewayRouting, HttpsServerIsChosenBySni) {
  auto snap = snapshotFrom(kServices + kGateway + kBookinfo);
  Decision d = snap->decide(ingress(), get("https://bookinfo.example.com/"));
  EXPECT_EQ(clusterOf(d), "outbound|9080||productpage.default.svc.cluster.local") << traceText(d);
  EXPECT_EQ(d.route_config, "https.443.https.public.istio-system");
  Decision bad = snap->decide(ingress(), get("https://other.example.com/"));
  EXPECT_EQ(bad.outcome, Outcome::kNoListener);
}

TEST(GatewayRouting, PlainTextToAnHttpsOnlyPortFails) {
  auto snap = snapshotFrom(kServices + kGateway + kBookinfo);
  Request r = get("http://bookinfo.example.com:443/");
  r.tls = false;
  EXPECT_EQ(snap->decide(ingress(), r).outcome, Outcome::kNoListener);
}

TEST(GatewayRouting, HttpsRedirectAnswers301ToHttps) {
  const std::string gw =
      doc("Gateway", "redirect", "istio-system", R"(  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["secure.example.com"]
    tls: {httpsRedirect: true}
)");
  auto snap = snapshotFrom(kServices + gw);
  Decision d = snap->decide(ingress(), get("http://secure.example.com/login?x=1"));
  EXPECT_EQ(d.outcome, Outcome::kRedirect);
  EXPECT_EQ(d.status, 301);
  EXPECT_EQ(d.redirect_location, "https://secure.example.com/login?x=1");
}

TEST(GatewayRouting, MatchGatewaysSelectRoutesPerGateway) {
  const std::string v = vs("split", R"(  hosts: [bookinfo.example.com, reviews]
  gateways: [istio-system/public, mesh]
  http:
  - match:
    - gateways: [istio-system/public]
    route:
    - destination: {host: productpage}
  - route:
    - destination: {host: reviews}
)");
  auto snap = snapshotFrom(kServices + kGateway + v);
  EXPECT_EQ(clusterOf(snap->decide(ingress(), get("http://bookinfo.example.com/"))),
            "outbound|9080||productpage.default.svc.cluster.local");
  EXPECT_EQ(clusterOf(snap->decide(sidecar(), get("http://reviews:9080/"))),
            "outbound|9080||reviews.default.svc.cluster.local");
}

TEST(GatewayRouting, NoServerOnThePortIsNoListener) {
  auto snap = snapshotFrom(kServices + kGateway + kBookinfo);
  Decision d = snap->decide(ingress(), get("http://bookinfo.example.com:8080/"));
  EXPECT_EQ(d.outcome, Outcome::kNoListener);
}

}  // namespace
}  // namespace meshroute::routing
