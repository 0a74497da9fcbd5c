// Request helpers and the MeshConfig reader.
#include <gtest/gtest.h>

#include "routing/request.h"

namespace meshroute::routing {
namespace {

TEST(RequestHelpers, AuthorityHostAndPort) {
  Request r;
  r.authority = "Reviews.Default:9080";
  EXPECT_EQ(r.host(), "reviews.default");
  EXPECT_EQ(r.authorityPort(), 9080u);
  r.authority = "[::1]:8443";
  EXPECT_EQ(r.host(), "[::1]");
  EXPECT_EQ(r.authorityPort(), 8443u);
  r.authority = "example.com";
  EXPECT_EQ(r.authorityPort(), 0u);
}

TEST(RequestHelpers, PathAndQuery) {
  Request r;
  r.path = "/a/b?x=1&y=2#frag";
  EXPECT_EQ(r.pathOnly(), "/a/b");
  EXPECT_EQ(r.query(), "x=1&y=2");
  r.headers = {{"X-User", "alice"}};
  EXPECT_EQ(r.header("x-user").value_or(""), "alice");
}

TEST(MeshConfigReader, ReadsRoutingFields) {
  core::Diagnostics diags;
  MeshConfig m = parseMeshConfig(R"(
rootNamespace: istio-config
outboundTrafficPolicy:
  mode: REGISTRY_ONLY
defaultVirtualServiceExportTo: ["."]
defaultHttpRetryPolicy:
  attempts: 4
  retryOn: 5xx
accessLogFile: /dev/stdout
)",
                                 "mesh.yaml", diags);
  EXPECT_TRUE(diags.empty());
  EXPECT_EQ(m.root_namespace, "istio-config");
  EXPECT_FALSE(m.outbound_allow_any);
  EXPECT_EQ(m.default_virtual_service_export_to, std::vector<std::string>{"."});
  ASSERT_TRUE(m.default_http_retry_policy.has_value());
  EXPECT_EQ(m.default_http_retry_policy->attempts, 4);
}

TEST(MeshConfigReader, LocalityLoadBalancingIsOnUnlessTheMeshSaysOtherwise) {
  core::Diagnostics diags;
  MeshConfig defaults = parseMeshConfig("rootNamespace: istio-system\n", "m.yaml", diags);
  ASSERT_TRUE(defaults.locality_lb_setting.has_value());
  EXPECT_EQ(defaults.locality_lb_setting->enabled, std::optional<bool>(true));
  MeshConfig m = parseMeshConfig(R"(
localityLbSetting:
  failover: [{from: us-east, to: us-west}]
)",
                                 "m.yaml", diags);
  EXPECT_TRUE(diags.empty());
  ASSERT_TRUE(m.locality_lb_setting.has_value());
  ASSERT_EQ(m.locality_lb_setting->failover.size(), 1U);
  EXPECT_EQ(m.locality_lb_setting->failover[0].to, "us-west");
  m = parseMeshConfig("localityLbSetting: {enabled: false}\n", "m.yaml", diags);
  EXPECT_EQ(m.locality_lb_setting->enabled, std::optional<bool>(false));
}

TEST(MeshConfigReader, DnsRefreshRateDefaultsToIstiosMinute) {
  core::Diagnostics diags;
  EXPECT_EQ(parseMeshConfig("rootNamespace: istio-system\n", "m.yaml", diags).dns_refresh_rate,
            std::chrono::seconds(60));
  EXPECT_EQ(parseMeshConfig("dnsRefreshRate: 5s\n", "m.yaml", diags).dns_refresh_rate,
            std::chrono::seconds(5));
  EXPECT_TRUE(diags.empty());
  const MeshConfig bad = parseMeshConfig("dnsRefreshRate: soon\n", "m.yaml", diags);
  EXPECT_TRUE(diags.hasErrors());
  EXPECT_EQ(bad.dns_refresh_rate, std::chrono::seconds(60));
}

TEST(MeshConfigReader, ReadsTheIstioConfigMap) {
  core::Diagnostics diags;
  MeshConfig m = parseMeshConfig(R"(
apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: |-
    outboundTrafficPolicy:
      mode: REGISTRY_ONLY
)",
                                 "cm.yaml", diags);
  EXPECT_FALSE(m.outbound_allow_any);
}

TEST(MeshConfigReader, UnknownModeIsAnError) {
  core::Diagnostics diags;
  MeshConfig m = parseMeshConfig("outboundTrafficPolicy: {mode: SOMETIMES}\n", "m.yaml", diags);
  EXPECT_TRUE(diags.hasErrors());
  EXPECT_TRUE(m.outbound_allow_any);
}

}  // namespace
}  // namespace meshroute::routing
