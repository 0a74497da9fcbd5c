// VirtualService admission rules: the main checks of each part of the spec, and where findings
// are reported.
#include <gtest/gtest.h>

#include <string>

#include "validate/common.h"
#include "validate_test_util.h"

namespace meshroute::validate {
namespace {

using testing::errorField;
using testing::hasError;
using testing::hasWarning;
using testing::validateYaml;

constexpr std::string_view kHeader = R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  namespace: bar
)";

core::Diagnostics validateSpec(std::string_view spec) {
  return validateYaml(std::string(kHeader) + std::string(spec));
}

const core::Diagnostic* findError(const core::Diagnostics& d, std::string_view text) {
  for (const auto& item : d.items()) {
    if (item.level == core::Level::kError && item.message.find(text) != std::string::npos) {
      return &item;
    }
  }
  return nullptr;
}

TEST(VirtualServiceValidation, AcceptsSimpleRoute) {
  auto d = validateSpec(R"(spec:
  hosts: [reviews.bar.svc.cluster.local]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
)");
  EXPECT_TRUE(d.empty());
}

TEST(VirtualServiceValidation, RejectsNegativeWeightAtItsField) {
  auto d = validateSpec(R"(spec:
  hosts: [foo.bar]
  http:
  - route:
    - destination: {host: a.b}
      weight: 5
    - destination: {host: a.c}
      weight: -1
)");
  const auto* e = findError(d, "weight -1 < 0");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->field, "spec.http[0].route[1].weight");
  EXPECT_EQ(e->mark.line, 13u);
}

TEST(VirtualServiceValidation, RejectsZeroTotalWeightOnlyWithSeveralDestinations) {
  auto several = validateSpec(R"(spec:
  hosts: [foo.bar]
  tcp:
  - route:
    - destination: {host: a.b}
    - destination: {host: a.c}
)");
  EXPECT_TRUE(hasError(several, "total destination weight = 0"));
  auto single = validateSpec(R"(spec:
  hosts: [foo.bar]
  tcp:
  - route:
    - destination: {host: a.b}
      weight: 0
)");
  EXPECT_FALSE(single.hasErrors());
}

TEST(VirtualServiceValidation, RejectsMeshWildcardHostButAllowsItOnGateway) {
  auto mesh = validateSpec(R"(spec:
  hosts: ["*"]
  http:
  - route: [{destination: {host: foo.baz}}]
)");
  EXPECT_TRUE(hasError(mesh, "wildcard host * is not allowed"));
  EXPECT_EQ(errorField(mesh, "wildcard host"), "spec.hosts[0]");
  auto gateway = validateSpec(R"(spec:
  hosts: ["*"]
  gateways: [istio-system/ingress]
  http:
  - route: [{destination: {host: foo.baz}}]
)");
  EXPECT_FALSE(gateway.hasErrors());
}

TEST(VirtualServiceValidation, RejectsOverlappingHosts) {
  auto d = validateSpec(R"(spec:
  hosts: ["*.foo.bar", "*.bar"]
  http:
  - route: [{destination: {host: foo.baz}}]
)");
  EXPECT_TRUE(hasError(d, "duplicate hosts in virtual service: *.foo.bar & *.bar"));
}

TEST(VirtualServiceValidation, WarnsOnLegacyGatewayNameAndStopsThere) {
  auto d = validateSpec(R"(spec:
  hosts: [foo.bar]
  gateways: [gateway.example.com, "*/bad"]
  http:
  - route: [{destination: {host: foo.baz}}]
)");
  EXPECT_FALSE(d.hasErrors());
  EXPECT_TRUE(hasWarning(d, "prefer the <namespace>/<name> format: \"example/gateway\""));
}

TEST(VirtualServiceValidation, DelegateMayNotHaveGatewaysOrTcp) {
  auto d = validateSpec(R"(spec:
  gateways: [ns/gw]
  tcp:
  - route: [{destination: {host: foo.baz}}]
)");
  EXPECT_TRUE(hasError(d, "delegate virtual service must have no gateways specified"));
  EXPECT_TRUE(hasError(d, "delegate virtual service must have no tcp route specified"));
}

TEST(VirtualServiceValidation, RootRouteWithDelegateMayNotRoute) {
  auto d = validateSpec(R"(spec:
  hosts: [foo.bar]
  http:
  - name: root
    delegate: {name: reviews, namespace: team}
    route: [{destination: {host: foo.baz}}]
)");
  EXPECT_TRUE(hasError(d, "root HTTP route root must not specify route"));
  EXPECT_EQ(errorField(d, "must not specify route"), "spec.http[0].route");
}

TEST(VirtualServiceValidation, ExplicitZeroHttpStatusSelectsTheAbort) {
  auto d = validateSpec(R"(spec:
  hosts: [foo.bar]
  http:
  - fault:
      abort:
        httpStatus: 0
    route: [{destination: {host: foo.baz}}]
)");
  EXPECT_TRUE(hasError(d, "HTTP status 0 is not in range 200-599"));
  EXPECT_EQ(errorField(d, "HTTP status"), "spec.http[0].fault.abort.httpStatus");
}

TEST(VirtualServiceValidation, AbortWithoutErrorTypeIsSilentlyAccepted) {
  auto d = validateSpec(R"(spec:
  hosts: [foo.bar]
  http:
  - fault: {abort: {percentage: {value: 20}}}
    route: [{destination: {host: foo.baz}}]
)");
  EXPECT_TRUE(d.empty());
}

TEST(VirtualServiceValidation, ChecksRegexWithRE2) {
  auto d = validateSpec(R"(spec:
  hosts: [foo.bar]
  http:
  - match:
    - uri: {regex: "(abc"}
    - withoutHeaders: {x-present: {regex: "*"}}
    route: [{destination: {host: foo.baz}}]
)");
  EXPECT_TRUE(hasError(d, "\"uri\": error parsing regexp: missing closing ): `(abc`"));
  EXPECT_EQ(errorField(d, "error parsing regexp"), "spec.http[0].match[0].uri.regex");
  EXPECT_FALSE(hasError(d, "withoutHeaders"));
}

TEST(VirtualServiceValidation, AllowsEmptyUriPrefixButNotEmptyMethodPrefix) {
  auto d = validateSpec(R"(spec:
  hosts: [foo.bar]
  http:
  - match:
    - uri: {prefix: ""}
      method: {prefix: ""}
    route: [{destination: {host: foo.baz}}]
)");
  EXPECT_TRUE(hasError(d, "\"method\": prefix string match should not be empty"));
  EXPECT_FALSE(hasError(d, "\"uri\""));
}

TEST(VirtualServiceValidation, RejectsRetryPolicyWithZeroAttempts) {
  auto d = validateSpec(R"(spec:
  hosts: [foo.bar]
  http:
  - retries:
      attempts: 0
      retryOn: 5xx,600,gateway-error
    route: [{destination: {host: foo.baz}}]
)");
  EXPECT_TRUE(hasError(d, "http retry policy configured when attempts are set to 0 (disabled)"));
  EXPECT_TRUE(hasError(d, "\"600\" is not a valid retryOn policy"));
  EXPECT_FALSE(hasError(d, "\"5xx\""));
}

TEST(VirtualServiceValidation, RedirectReportsOnlyItsFirstProblem) {
  auto d = validateSpec(R"(spec:
  hosts: [foo.bar]
  http:
  - redirect: {uri: /a, prefixRewrite: /b, redirectCode: 200}
)");
  EXPECT_TRUE(hasError(d, "redirect may only specify one of uri or prefix_rewrite"));
  EXPECT_FALSE(hasError(d, "not a valid redirect code"));
}

TEST(VirtualServiceValidation, AuthorityMayBeRewrittenOnlyOnce) {
  auto d = validateSpec(R"(spec:
  hosts: [foo.bar]
  http:
  - rewrite: {authority: bar}
    headers:
      request:
        set: {":authority": foo}
    route: [{destination: {host: foo.baz}}]
)");
  EXPECT_TRUE(hasError(d, "authority header cannot be set multiple times: have \"bar\""));
}

TEST(VirtualServiceValidation, HeaderOperationsFollowEnvoyRules) {
  auto d = validateSpec(R"(spec:
  hosts: [foo.bar]
  http:
  - headers:
      request:
        set: {":path": /x, host: ok}
      response:
        remove: [Host]
        add: {x-pct: "100%%", x-bad: "abc%123"}
    route: [{destination: {host: foo.baz}}]
)");
  EXPECT_TRUE(hasError(d, "invalid header \":path\": header cannot have \":\" prefix"));
  EXPECT_TRUE(hasError(d, "invalid header \"Host\": cannot set Host header"));
  EXPECT_TRUE(hasError(d, "header value configuration: invalid header configuration"));
  EXPECT_EQ(errorField(d, "Un-terminated"), "spec.http[0].headers.response.add[x-bad]");
  EXPECT_FALSE(hasError(d, "\"host\""));
}

TEST(VirtualServiceValidation, JwtClaimRoutingNeedsAGateway) {
  auto d = validateSpec(R"(spec:
  hosts: [foo.bar]
  http:
  - match:
    - headers: {"@request.auth.claims.group": {exact: admin}}
    route: [{destination: {host: foo.baz}}]
)");
  EXPECT_TRUE(hasError(d,
                       "JWT claim based routing (key: @request.auth.claims.group) is only "
                       "supported for gateway, found no gateways: []"));
}

TEST(VirtualServiceValidation, WarnsOnIpSniHostAndRejectsForeignSniHost) {
  auto d = validateSpec(R"(spec:
  hosts: [foo.bar]
  tls:
  - match:
    - sniHosts: [1.1.1.1, other.bar]
    route: [{destination: {host: foo.baz}}]
)");
  EXPECT_TRUE(hasWarning(d, "using an IP address (\"1.1.1.1\") goes against SNI spec"));
  EXPECT_TRUE(hasError(d,
                       "SNI host \"other.bar\" is not a compatible subset of any of the "
                       "virtual service hosts: [foo.bar]"));
  EXPECT_EQ(errorField(d, "SNI host"), "spec.tls[0].match[0].sniHosts[1]");
}

TEST(VirtualServiceValidation, DeprecatedMirrorPercentWarns) {
  auto d = validateSpec(R"(spec:
  hosts: [foo.bar]
  http:
  - mirrorPercent: 5
    mirror: {host: shadow.bar}
    route: [{destination: {host: foo.baz}}]
)");
  EXPECT_FALSE(d.hasErrors());
  EXPECT_TRUE(hasWarning(d, "using deprecated setting \"mirrorPercent\""));
}

TEST(VirtualServiceValidation, LargeDirectResponseWarnsThenFails) {
  std::string big(101 * 1024, 'a');
  auto warn = validateSpec(R"(spec:
  hosts: [foo.bar]
  http:
  - directResponse: {status: 200, body: {string: )" +
                           big + "}}\n");
  EXPECT_FALSE(warn.hasErrors());
  EXPECT_TRUE(hasWarning(warn, "large direct_responses may impact control plane performance"));
  auto bad_status = validateSpec(R"(spec:
  hosts: [foo.bar]
  http:
  - directResponse: {status: 601}
)");
  EXPECT_TRUE(hasError(bad_status, "HTTP status 601 is not in range 200-599"));
}

TEST(VirtualServiceValidation, WarnsOnUnreachableAndCoveredRules) {
  auto d = validateSpec(R"(spec:
  hosts: [foo.bar]
  http:
  - match: [{uri: {prefix: /api}}]
    route: [{destination: {host: foo.baz}}]
  - name: products
    match: [{uri: {prefix: /api/products}}]
    route: [{destination: {host: foo.baz}}]
  - route: [{destination: {host: foo.baz}}]
  - route: [{destination: {host: foo.baz}}]
)");
  EXPECT_FALSE(d.hasErrors());
  EXPECT_TRUE(hasWarning(d,
                         "virtualService rule \"products\" match #0 of prefix /api/products is "
                         "not used (duplicate/overlapping match in rule #0 of prefix /api on "
                         "#0)"));
  EXPECT_TRUE(hasWarning(d,
                         "virtualService rule #3 not used (only the last rule can have no "
                         "matches)"));
}

TEST(VirtualServiceValidation, DuplicateMatchMakesRuleUnreachable) {
  auto d = validateSpec(R"(spec:
  hosts: [foo.bar]
  http:
  - match: [{name: a, uri: {exact: /x}}]
    route: [{destination: {host: foo.baz}}]
  - match: [{name: b, uri: {exact: /x}}]
    route: [{destination: {host: foo.baz}}]
)");
  EXPECT_TRUE(hasWarning(d, "virtualService rule #1 match \"b\" is not used"));
  EXPECT_TRUE(hasWarning(d, "virtualService rule #1 not used (all matches used by prior rules)"));
}

TEST(VirtualServiceValidation, GatewaySemanticsSkipsDestinationChecks) {
  auto d = validateYaml(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  namespace: bar
  annotations:
    internal.istio.io/gateway-semantics: gateway
spec:
  hosts: [foo.bar]
  gateways: [ns/Not_A_Label]
  http:
  - route: [{destination: {host: "*"}}]
)");
  EXPECT_TRUE(d.empty());
}

TEST(HeaderValidation, NamesAndValues) {
  EXPECT_FALSE(validateHTTPHeaderNameOrJwtClaimRoute(":authority"));
  EXPECT_FALSE(validateHTTPHeaderNameOrJwtClaimRoute("funky!$#_"));
  EXPECT_EQ(*validateHTTPHeaderNameOrJwtClaimRoute("::"),
            "header name :: is not a valid header name");
  EXPECT_EQ(*validateHTTPHeaderName(""), "header name cannot be empty");
  EXPECT_FALSE(validateCORSHTTPHeaderName("*"));
  EXPECT_FALSE(validateHTTPHeaderWithAuthorityOperationName("Host"));
  EXPECT_TRUE(validateHTTPHeaderOperationName("host"));
  EXPECT_FALSE(validateHTTPHeaderValue("%DOWNSTREAM_PEER_CERT_V_END(%b %d %H:%M:%S %Y %Z)%"));
  EXPECT_FALSE(validateHTTPHeaderValue("%DYNAMIC_METADATA([\"a\", \"b\"])%"));
  EXPECT_TRUE(validateHTTPHeaderValue("%START_TIME%%"));
  EXPECT_TRUE(validateHTTPHeaderValue("bad\x01value"));
}

}  // namespace
}  // namespace meshroute::validate
