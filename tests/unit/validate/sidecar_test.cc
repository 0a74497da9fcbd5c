// Sidecar validation: listeners, egress hosts, ingress TLS, outbound traffic policy.
#include <gtest/gtest.h>

#include <string>

#include "validate_test_util.h"

namespace meshroute::validate {
namespace {

using testing::errorField;
using testing::hasError;
using testing::hasWarning;
using testing::validateYaml;

// A Sidecar in namespace bar whose spec is `spec` (YAML indented under "spec:").
core::Diagnostics sidecar(const std::string& spec) {
  return validateYaml(
      "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata:\n  name: sc\n"
      "  namespace: bar\nspec:\n" +
      spec);
}

uint32_t errorLine(const core::Diagnostics& d, std::string_view text) {
  for (const auto& item : d.items()) {
    if (item.level == core::Level::kError && item.message.find(text) != std::string::npos) {
      return item.mark.line;
    }
  }
  return 0;
}

TEST(SidecarValidation, AcceptsDefaultEgress) {
  auto d = sidecar(R"(  workloadSelector:
    labels: {app: reviews}
  egress:
  - hosts: ["*/*"]
)");
  EXPECT_TRUE(d.empty());
}

TEST(SidecarValidation, RejectsEmptySidecar) {
  auto d = sidecar("  {}\n");
  EXPECT_TRUE(hasError(d, "sidecar: empty configuration provided"));
}

TEST(SidecarValidation, WarnsOnSelectorWithoutLabels) {
  auto d = sidecar("  workloadSelector: {}\n  egress:\n  - hosts: [\"*/*\"]\n");
  EXPECT_FALSE(d.hasErrors());
  EXPECT_TRUE(hasWarning(d, "sidecar: workload selector specified without labels"));
}

TEST(SidecarValidation, StopsAtWildcardSelector) {
  auto d = sidecar("  workloadSelector:\n    labels: {app: \"*\"}\n");
  EXPECT_TRUE(hasError(d, "wildcard is not supported in selector: \"app=*\""));
  EXPECT_EQ(errorField(d, "wildcard"), "spec.workloadSelector.labels[app]");
  // Istio reports nothing else once the selector is wrong, not even the empty spec.
  EXPECT_FALSE(hasError(d, "empty configuration"));
}

TEST(SidecarValidation, CatchAllEgressListenerMustBeLast) {
  auto d = sidecar(R"(  egress:
  - hosts: ["*/foo.com"]
  - port: {number: 8080, protocol: HTTP, name: http}
    hosts: [ns1/bar.com]
)");
  EXPECT_TRUE(hasError(d, "the egress listener with empty port should be the last listener"));
  EXPECT_EQ(errorField(d, "should be the last"), "spec.egress[0]");
}

TEST(SidecarValidation, RejectsDuplicateEgressPortsAndSockets) {
  auto d = sidecar(R"(  egress:
  - port: {number: 90, protocol: HTTP, name: foo}
    hosts: [ns1/bar.com]
  - port: {number: 90, protocol: TCP, name: tcp}
    hosts: [ns2/bar.com]
  - port: {number: 0, protocol: HTTP, name: a}
    bind: "unix:///var/run/a.sock"
    hosts: [ns1/bar.com]
  - port: {number: 0, protocol: HTTP, name: b}
    bind: "unix:///var/run/a.sock"
    hosts: [ns1/bar.com]
)");
  EXPECT_TRUE(hasError(d, "sidecar: ports on IP bound listeners must be unique"));
  EXPECT_EQ(errorField(d, "IP bound"), "spec.egress[1].port.number");
  EXPECT_EQ(errorLine(d, "IP bound"), 10u);
  EXPECT_TRUE(hasError(d, "sidecar: unix domain socket values for listeners must be unique"));
  EXPECT_EQ(errorField(d, "unix domain socket values"), "spec.egress[3].bind");
}

TEST(SidecarValidation, UnixSocketEgressNeedsSocketBindAndDefaultCapture) {
  auto d = sidecar(R"(  egress:
  - port: {number: 0, protocol: HTTP, name: uds}
    captureMode: IPTABLES
    hosts: [ns1/bar.com]
)");
  EXPECT_TRUE(hasError(d, "ports with 0 value must have a unix domain socket bind address"));
  EXPECT_TRUE(hasError(d, "captureMode must be DEFAULT/NONE for unix domain socket listeners"));
}

TEST(SidecarValidation, EgressHostsNeedNamespaceAndFQDN) {
  auto d = sidecar(R"(  egress:
  - hosts: [foo.com, "ns1/*a.com", "bad_ns/foo.com"]
)");
  EXPECT_TRUE(hasError(d, "host must be of form namespace/dnsName"));
  EXPECT_TRUE(hasError(d, "partial wildcard \"*a.com\" not allowed"));
  EXPECT_EQ(errorField(d, "partial wildcard"), "spec.egress[0].hosts[1]");
  EXPECT_TRUE(hasError(d, "invalid namespace value \"bad_ns\" in sidecar"));
}

TEST(SidecarValidation, OverlappingEgressHostsOnlyWarn) {
  auto d = sidecar(R"(  egress:
  - hosts: ["./*", bar/a.com, "*/*"]
)");
  EXPECT_FALSE(d.hasErrors());
  EXPECT_TRUE(hasWarning(d, "duplicated egress host: bar/a.com"));
  EXPECT_TRUE(hasWarning(d, "`*/*` host select all resources, no other hosts can be added"));
  auto excluded = sidecar("  egress:\n  - hosts: [\"*/*\", \"~ns1/*\", \"~/foo.com\"]\n");
  EXPECT_TRUE(excluded.empty());
}

TEST(SidecarValidation, ChecksIngressPortBindAndDefaultEndpoint) {
  auto d = sidecar(R"(  ingress:
  - port: {number: 0, protocol: HTTP, name: uds, targetPort: 9}
    bind: "unix:///@foo"
    defaultEndpoint: "10.0.0.1:hi"
)");
  EXPECT_TRUE(hasError(d, "port number 0 must be in the range 1..65535"));
  EXPECT_TRUE(hasError(d, "targetPort has no impact on Sidecars"));
  EXPECT_TRUE(hasError(d, "unix:///@foo is not a valid IP"));
  EXPECT_TRUE(hasError(d, "sidecar: defaultEndpoint must be of form 127.0.0.1:<port>"));
  EXPECT_TRUE(hasError(
      d, "sidecar: defaultEndpoint port (hi) is not a number: strconv.Atoi: parsing \"hi\""));
  EXPECT_EQ(errorField(d, "not a number"), "spec.ingress[0].defaultEndpoint");
}

TEST(SidecarValidation, AcceptsLoopbackAndSocketDefaultEndpoints) {
  auto d = sidecar(R"(  ingress:
  - port: {number: 90, protocol: HTTP, name: a}
    defaultEndpoint: "[::1]:9999"
  - port: {number: 91, protocol: HTTP, name: b}
    defaultEndpoint: "0.0.0.0:9999"
  - port: {number: 92, protocol: HTTP, name: c}
    defaultEndpoint: "unix:///var/run/app.sock"
)");
  EXPECT_TRUE(d.empty());
  auto bad = sidecar(R"(  ingress:
  - port: {number: 90, protocol: HTTP, name: a}
    defaultEndpoint: "127.0.0.1"
)");
  EXPECT_TRUE(hasError(bad, "address 127.0.0.1: missing port in address"));
}

TEST(SidecarValidation, IngressTLSNeedsTLSPortAndFileCertificates) {
  auto d = sidecar(R"(  ingress:
  - port: {number: 90, protocol: TCP, name: foo}
    tls:
      mode: ISTIO_MUTUAL
      credentialName: cert
      subjectAltNames: [a.com]
)");
  EXPECT_TRUE(hasError(d, "server cannot have TLS settings for non HTTPS/TLS ports"));
  EXPECT_TRUE(hasError(d, "cannot set mode to ISTIO_MUTUAL in sidecar ingress tls"));
  EXPECT_TRUE(hasError(d, "sidecar: credentialName is not currently supported"));
  EXPECT_TRUE(hasError(d, "sidecar: subjectAltNames is not supported in ingress tls"));
  auto ok = sidecar(R"(  ingress:
  - port: {number: 443, protocol: HTTPS, name: https}
    tls: {mode: SIMPLE, serverCertificate: /etc/cert.pem, privateKey: /etc/key.pem}
)");
  EXPECT_TRUE(ok.empty());
}

TEST(SidecarValidation, WarnsOnHTTPPoolForTCPPort) {
  auto d = sidecar(R"(  ingress:
  - port: {number: 90, protocol: tcp, name: foo}
    connectionPool:
      http: {maxRetries: 3}
)");
  EXPECT_FALSE(d.hasErrors());
  EXPECT_TRUE(hasWarning(d,
                         "HTTP connection pool settings are configured for port 90 (\"foo\") "
                         "but its protocol is not HTTP (tcp)"));
}

TEST(SidecarValidation, RejectsEmptyInboundConnectionPool) {
  auto d = sidecar("  inboundConnectionPool: {}\n");
  EXPECT_TRUE(hasError(d, "connection pool must have at least one field"));
  EXPECT_EQ(errorField(d, "connection pool"), "spec.inboundConnectionPool");
}

TEST(SidecarValidation, EgressProxyNeedsAllowAnyAndPort) {
  auto registry = sidecar(R"(  outboundTrafficPolicy:
    egressProxy: {host: foo.bar, port: {number: 5000}}
)");
  EXPECT_TRUE(hasError(registry, "egress_proxy must be set only with ALLOW_ANY"));
  auto no_port = sidecar(R"(  outboundTrafficPolicy:
    mode: ALLOW_ANY
    egressProxy: {host: foo.bar}
)");
  EXPECT_TRUE(hasError(no_port, "sidecar: egress_proxy port must be non-nil"));
  auto ok = sidecar(R"(  outboundTrafficPolicy:
    mode: ALLOW_ANY
    egressProxy: {host: foo.bar, subset: v1, port: {number: 5000}}
)");
  EXPECT_TRUE(ok.empty());
}

TEST(SidecarValidation, RejectsDynamicDNSMode) {
  auto d = sidecar("  outboundTrafficPolicy: {mode: 3}\n");
  EXPECT_TRUE(hasError(d, "ALLOW_ANY_DYNAMIC_DNS mode is only supported in MeshConfig"));
}

}  // namespace
}  // namespace meshroute::validate
