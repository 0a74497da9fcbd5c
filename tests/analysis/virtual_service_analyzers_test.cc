// The virtualservice.* analyzers and schema.ValidationAnalyzer.*: branches the conformance
// cases do not reach (exportTo scopes, wildcard ServiceEntries, mirrors, TCP routes, gateway
// host forms, internal gateways, RequestAuthentication, rule-analysis parameters).
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "analysis/input.h"

namespace meshroute::analysis {
namespace {

using Lines = std::vector<std::string>;

std::string joined(const Lines& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// "CODE origin line message" for each finding of `analyzer` over `yaml` (namespace "" where
// none is given, as Istio's analyzer tests load).
Lines run(std::string_view yaml, std::string_view analyzer) {
  api::LoadResult loaded;
  api::loadText(yaml, "t.yaml", loaded, loadOptions(""));
  MeshSettings mesh = MeshSettings::from({});
  addDefaultResources(mesh, loaded.resources);
  Store store(loaded.resources);
  Options options;
  options.analyzers = {std::string(analyzer)};
  Result result = analyze(store, mesh, options);
  EXPECT_EQ(result.executed.size(), 1U) << analyzer;
  std::vector<std::string> out;
  for (const Finding& f : result.findings) {
    out.push_back(std::string(f.type->code) + " " + f.origin() + " " + std::to_string(f.mark.line) +
                  " " + f.message);
  }
  return out;
}

void expectContains(const std::string& line, std::string_view part) {
  EXPECT_NE(line.find(part), std::string::npos) << line;
}

void expectStartsWith(const std::string& line, std::string_view prefix) {
  EXPECT_TRUE(line.starts_with(prefix)) << line;
}

constexpr std::string_view kConflicts = "virtualservice.ConflictingMeshGatewayHostsAnalyzer";
constexpr std::string_view kHosts = "virtualservice.DestinationHostAnalyzer";
constexpr std::string_view kRules = "virtualservice.DestinationRuleAnalyzer";
constexpr std::string_view kGateways = "virtualservice.GatewayAnalyzer";
constexpr std::string_view kJwt = "virtualservice.JWTClaimRouteAnalyzer";
constexpr std::string_view kSchema = "schema.ValidationAnalyzer.VirtualService";

TEST(ConflictingMeshGatewayHosts, SameHostOnMeshInOneScope) {
  auto got = run(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: a
  namespace: foo
spec:
  hosts: [reviews]
  http: [{route: [{destination: {host: reviews}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: b
  namespace: foo
spec:
  hosts: [reviews.foo.svc.cluster.local]
  gateways: [mesh, gw]
  http: [{route: [{destination: {host: reviews}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: c
  namespace: foo
spec:
  hosts: [reviews]
  gateways: [gw]
  http: [{route: [{destination: {host: reviews}}]}]
)",
                 kConflicts);
  std::string text =
      "The VirtualServices foo/a,foo/b associated with mesh gateway define the same host "
      "*/reviews.foo.svc.cluster.local which can lead to undefined behavior. This can be fixed by "
      "merging the conflicting VirtualServices into a single resource.";
  EXPECT_EQ(got, (Lines{"IST0109 VirtualService foo/a 4 " + text,
                        "IST0109 VirtualService foo/b 13 " + text}));
}

TEST(ConflictingMeshGatewayHosts, LocalExportsDoNotConflictButPublicWildcardsDo) {
  auto got = run(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a, namespace: foo}
spec:
  hosts: [web.example.com]
  exportTo: ["."]
  http: [{route: [{destination: {host: web.example.com}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: b, namespace: bar}
spec:
  hosts: [web.example.com]
  exportTo: ["."]
  http: [{route: [{destination: {host: web.example.com}}]}]
)",
                 kConflicts);
  EXPECT_TRUE(got.empty()) << joined(got);
  got = run(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a, namespace: foo}
spec:
  hosts: [web.example.com]
  exportTo: ["."]
  http: [{route: [{destination: {host: web.example.com}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: b, namespace: bar}
spec:
  hosts: ["*.example.com"]
  http: [{route: [{destination: {host: web.example.com}}]}]
)",
            kConflicts);
  ASSERT_EQ(got.size(), 2U);
  expectContains(got[0], ("bar/b,foo/a associated with mesh gateway define the "
                          "same host foo/web.example.com "));
}

constexpr std::string_view kServices = R"(apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  ports: [{port: 80, name: http}, {port: 9080, name: http-alt}]
---
apiVersion: v1
kind: Service
metadata:
  name: hidden
  namespace: other
  annotations: {networking.istio.io/exportTo: " . "}
spec:
  ports: [{port: 80, name: http}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext, namespace: default}
spec:
  hosts: ["*.example.com"]
  ports: [{number: 443, name: tls, protocol: TLS}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: private, namespace: other}
spec:
  hosts: [private.internal]
  exportTo: ["."]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS
)";

TEST(DestinationHost, ResolvesServicesEntriesAndReportsAtTheHost) {
  auto got = run(std::string(kServices) + R"(---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, port: {number: 80}}
    - destination: {host: api.example.com, port: {number: 443}}
    - destination: {host: reviews}
    mirror: {host: hidden.other.svc.cluster.local}
    mirrors:
    - destination: {host: private.internal}
  tcp:
  - route:
    - destination: {host: reviews, port: {number: 81}}
)",
                 kHosts);
  // Each finding sits on the host it names (Istio's path for mirrors leaves out ".destination"
  // and so points at the resource; meshroute points at the mirror's host).
  EXPECT_EQ(got, (Lines{"IST0101 VirtualService default/vs 43 Referenced mirror host not found: "
                        "\"hidden.other.svc.cluster.local\"",
                        "IST0101 VirtualService default/vs 45 Referenced mirror host not found: "
                        "\"private.internal\"",
                        "IST0101 VirtualService default/vs 48 Referenced host:port not found: "
                        "\"reviews:81\"",
                        "IST0112 VirtualService default/vs 42 This VirtualService routes to a "
                        "service \"reviews\" that exposes multiple ports [80 9080]. Specifying a "
                        "port in the destination is required to disambiguate."}));
}

TEST(DestinationHost, VisibilityFollowsExportTo) {
  auto got = run(std::string(kServices) + R"(---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: other}
spec:
  hosts: [x.other.svc.cluster.local]
  http:
  - route:
    - destination: {host: hidden}
    - destination: {host: private.internal}
    - destination: {host: reviews.default.svc.cluster.local, port: {number: 9080}}
)",
                 kHosts);
  EXPECT_TRUE(got.empty()) << joined(got);
}

TEST(DestinationHost, GatewayRouteWithoutSubsetToSplitHost) {
  auto got = run(std::string(kServices) + R"(---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: split, namespace: default}
spec:
  hosts: [reviews]
  http: [{route: [{destination: {host: reviews, subset: v1, port: {number: 80}}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: edge, namespace: default}
spec:
  hosts: [www.example.com]
  gateways: [gw]
  http:
  - name: http
    route: [{destination: {host: reviews, port: {number: 80}}}]
  - route: [{destination: {host: reviews, port: {number: 80}}}]
)",
                 kHosts);
  // Istio names the field by the rule's name, so only its rule named "http" gets a line;
  // meshroute gives each finding the line of the route's host.
  EXPECT_EQ(got, (Lines{"IST0140 VirtualService default/edge 48 Subset in virtual service "
                        "default/split has no effect on ingress gateway default/edge "
                        "requests",
                        "IST0140 VirtualService default/edge 49 Subset in virtual service "
                        "default/split has no effect on ingress gateway default/edge "
                        "requests"}));
}

TEST(DestinationRule, SubsetsResolveShortNamesInTheirNamespace) {
  auto got = run(R"(apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: dr, namespace: bar}
spec:
  host: reviews
  subsets: [{name: v1, labels: {version: v1}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: foo}
spec:
  hosts: [reviews]
  tls:
  - match: [{sniHosts: [reviews]}]
    route:
    - destination: {host: reviews.bar.svc.cluster.local, subset: v1}
    - destination: {host: reviews, subset: v1}
  http:
  - route: [{destination: {host: reviews}}]
    mirror: {host: reviews.bar.svc.cluster.local, subset: v2}
)",
                 kRules);
  EXPECT_EQ(got, (Lines{"IST0101 VirtualService foo/vs 17 Referenced host+subset in "
                        "destinationrule not found: \"reviews+v1\"",
                        "IST0101 VirtualService foo/vs 20 Referenced mirror+subset in "
                        "destinationrule not found: \"reviews.bar.svc.cluster.local+v2\""}));
}

TEST(Gateway, HostFormsAndReferences) {
  auto got = run(R"(apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: edge}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["./local.example.com", "apps/apps.example.com", "*/any.example.com"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: local, namespace: edge}
spec:
  hosts: [local.example.com]
  gateways: [gw, mesh]
  http: [{route: [{destination: {host: x}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: apps, namespace: apps}
spec:
  hosts: [apps.example.com, any.example.com]
  gateways: [edge/gw]
  http: [{route: [{destination: {host: x}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: stranger, namespace: apps}
spec:
  hosts: [local.example.com]
  gateways: [edge/gw, apps/gw~istio-autogenerated-k8s-gateway~http]
  http: [{route: [{destination: {host: x}}]}]
)",
                 kGateways);
  EXPECT_EQ(got, (Lines{"IST0132 VirtualService apps/stranger 31 one or more host "
                        "[local.example.com] defined in VirtualService apps/stranger not found "
                        "in Gateway edge/gw.",
                        "IST0165 VirtualService apps/stranger 31 Gateway reference in "
                        "VirtualService apps/stranger is to an implementation-generated internal "
                        "Gateway: apps/gw~istio-autogenerated-k8s-gateway~http."}));
}

TEST(Gateway, AnyNamespaceAnyHostAndMissingGateways) {
  auto got = run(R"(apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: edge}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["other/a.example.com", "*/*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: apps}
spec:
  hosts: [b.example.org]
  gateways: [edge/gw, missing]
  http: [{route: [{destination: {host: x}}]}]
)",
                 kGateways);
  EXPECT_EQ(got, (Lines{"IST0101 VirtualService apps/vs 15 Referenced gateway not found: "
                        "\"missing\"",
                        "IST0132 VirtualService apps/vs 15 one or more host [b.example.org] "
                        "defined in VirtualService apps/vs not found in Gateway apps/missing."}));
}

TEST(Gateway, KubernetesListenerWithoutHostnameMatchesAll) {
  auto got = run(R"(apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: kgw, namespace: default}
spec:
  gatewayClassName: istio
  listeners:
  - {name: a, port: 80, protocol: HTTP, hostname: "a.example.com"}
  - {name: b, port: 81, protocol: HTTP}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: default}
spec:
  hosts: [other.example.org]
  gateways: [kgw]
  http: [{route: [{destination: {host: x}}]}]
)",
                 kGateways);
  EXPECT_TRUE(got.empty()) << joined(got);
}

constexpr std::string_view kJwtGateway = R"(apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: default}
spec:
  hosts: [web.example.com]
  gateways: [istio-system/gw]
  http:
  - match: [{withoutHeaders: {"@request.auth.claims[groups]": {exact: admin}}}]
    route: [{destination: {host: web}}]
)";

TEST(JwtClaimRoute, WithoutHeadersNeedRequestAuthentication) {
  auto got = run(kJwtGateway, kJwt);
  ASSERT_EQ(got.size(), 1U);
  expectContains(got[0], ("(key: @request.auth.claims[groups]) but found no "
                          "request authentication for the gateway "
                          "(istio-system/gw) pod (istio-ingressgateway-dummypod)"));
  got = run(std::string(kJwtGateway) + R"(---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: ra, namespace: istio-system}
spec:
  selector: {matchLabels: {istio: ingressgateway}}
  jwtRules: [{issuer: me}]
)",
            kJwt);
  EXPECT_TRUE(got.empty()) << joined(got);
}

TEST(SchemaValidation, RuleAnalysisKeepsQuotedNames) {
  auto got = run(R"yaml(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: vs
  namespace: default
  annotations: {internal.istio.io/route-semantics: gateway}
spec:
  hosts: [web]
  http:
  - name: "a match b"
    match: [{uri: {exact: /a}}]
    route: [{destination: {host: web}}]
  - name: "c (d)"
    match: [{name: "m is not used (duplicate/overlapping match in rule x", uri: {exact: /a}}]
    route: [{destination: {host: web}}]
  - route: [{destination: {host: web}}]
  - route: [{destination: {host: web}}]
)yaml",
                 kSchema);
  EXPECT_EQ(got,
            (Lines{"IST0130 VirtualService default/vs 13 VirtualService rule "
                   "\"c (d)\" not used (all matches used by prior rules).",
                   "IST0130 VirtualService default/vs 17 VirtualService rule #3 not "
                   "used (only the last rule can have no matches).",
                   "IST0131 VirtualService default/vs 14 VirtualService rule \"c (d)\" "
                   "match \"m is not used (duplicate/overlapping match in rule x\" is not used "
                   "(duplicate/overlapping match in rule "
                   "\"a match b\")."}));
}

TEST(SchemaValidation, ErrorsAndOtherKinds) {
  auto got = run(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: default}
spec:
  hosts: [web]
)",
                 kSchema);
  EXPECT_EQ(got, (Lines{"IST0106 VirtualService default/vs 5 Schema validation error: "
                        "http, tcp or tls must be provided in virtual service"}));
  got = run(R"(apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: dr, namespace: default}
spec: {}
)",
            "schema.ValidationAnalyzer.DestinationRule");
  ASSERT_FALSE(got.empty());
  expectStartsWith(got[0], ("IST0106 DestinationRule default/dr 4 Schema "
                            "validation error: "));
}

}  // namespace
}  // namespace meshroute::analysis
