// Gateway validation: server hosts, ports, binds, TLS options and the CRD's TLS rules.
#include <gtest/gtest.h>

#include <string>

#include "validate_test_util.h"

namespace meshroute::validate {
namespace {

using testing::errorField;
using testing::hasError;
using testing::hasWarning;
using testing::validateYaml;

// A Gateway named `name` whose spec is `spec` (YAML indented under "spec:").
core::Diagnostics gateway(const std::string& spec, const std::string& name = "gw") {
  return validateYaml("apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata:\n  name: " +
                      name + "\n  namespace: bar\nspec:\n" + spec);
}

// One HTTPS server on 443 with the given TLS settings (indented under "tls:").
core::Diagnostics httpsServer(const std::string& tls) {
  return gateway(R"(  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [foo.bar.com]
    tls:
)" + tls);
}

uint32_t errorLine(const core::Diagnostics& d, std::string_view text) {
  for (const auto& item : d.items()) {
    if (item.level == core::Level::kError && item.message.find(text) != std::string::npos) {
      return item.mark.line;
    }
  }
  return 0;
}

TEST(GatewayValidation, AcceptsPlainHTTPServer) {
  auto d = gateway(R"(  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [foo.bar.com, "*/baz.com"]
)");
  EXPECT_TRUE(d.empty());
}

TEST(GatewayValidation, RequiresAtLeastOneServer) {
  auto d = gateway("  selector: {istio: ingressgateway}\n");
  EXPECT_TRUE(hasError(d, "gateway must have at least one server"));
}

TEST(GatewayValidation, RejectsNameThatIsNotADNSLabel) {
  auto d = gateway(
      "  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n"
      "    hosts: [foo.bar.com]\n",
      "my.gateway");
  EXPECT_TRUE(hasError(d, "invalid gateway name: \"my.gateway\""));
  EXPECT_EQ(errorField(d, "invalid gateway name"), "metadata.name");
}

TEST(GatewayValidation, RejectsDuplicatePortNamesAtTheSecondServer) {
  auto d = gateway(R"(  servers:
  - port: {number: 80, name: web, protocol: HTTP}
    hosts: [foo.bar.com]
  - port: {number: 8080, name: web, protocol: HTTP}
    hosts: [baz.bar.com]
)");
  EXPECT_TRUE(hasError(d, "port names in servers must be unique: duplicate name web"));
  EXPECT_EQ(errorField(d, "duplicate name"), "spec.servers[1].port.name");
  EXPECT_EQ(errorLine(d, "duplicate name"), 10u);
}

TEST(GatewayValidation, ChecksPortNumberProtocolAndTargetPort) {
  auto d = gateway(R"(  servers:
  - port: {number: 66000, name: p, protocol: SMTP, targetPort: 8080}
    hosts: [foo.bar.com]
)");
  EXPECT_TRUE(hasError(d, "port number 66000 must be in the range 1..65535"));
  EXPECT_TRUE(hasError(d, "invalid protocol \"SMTP\", supported protocols are HTTP"));
  EXPECT_TRUE(hasError(d, "targetPort has no impact on Gateways"));
  EXPECT_EQ(errorField(d, "targetPort"), "spec.servers[0].port.targetPort");
}

TEST(GatewayValidation, RejectsPartialWildcardAndShortHosts) {
  auto d = gateway(R"(  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [foo.bar.com, "*bar.com", foo]
)");
  EXPECT_TRUE(hasError(d, "partial wildcard \"*bar.com\" not allowed"));
  EXPECT_EQ(errorField(d, "partial wildcard"), "spec.servers[0].hosts[1]");
  EXPECT_TRUE(hasError(d, "short names (non FQDN) are not allowed"));
  EXPECT_EQ(errorLine(d, "short names"), 9u);
}

TEST(GatewayValidation, AllowsTildeNamespaceOnlyWithGatewaySemantics) {
  std::string doc = R"(apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gw
  annotations: {internal.istio.io/gateway-semantics: gateway}
spec:
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["~/foo.bar.com"]
)";
  EXPECT_FALSE(validateYaml(doc).hasErrors());
  auto d = gateway(R"(  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["~/foo.bar.com"]
)");
  EXPECT_TRUE(hasError(d, "invalid namespace value \"~\" in gateway"));
}

TEST(GatewayValidation, UnixBindRequiresPortZero) {
  auto d = gateway(R"(  servers:
  - port: {number: 7, name: http, protocol: HTTP}
    hosts: [foo.bar.com]
    bind: "unix://@foobar"
)");
  EXPECT_TRUE(hasError(d, "port number must be 0 for unix domain socket"));
  EXPECT_EQ(errorField(d, "unix domain socket"), "spec.servers[0].bind");
  auto ok = gateway(R"(  servers:
  - port: {number: 0, name: http, protocol: HTTP}
    hosts: [foo.bar.com]
    bind: "unix:///var/run/gw.sock"
)");
  EXPECT_TRUE(ok.empty());
}

TEST(GatewayValidation, RejectsInvalidBindAddress) {
  auto d = gateway(R"(  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [foo.bar.com]
    bind: 1.1.A.1
)");
  EXPECT_TRUE(hasError(d, "1.1.A.1 is not a valid IP"));
}

TEST(GatewayValidation, HTTPSServerNeedsTLS) {
  auto d = gateway(R"(  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [foo.bar.com]
)");
  EXPECT_TRUE(hasError(d, "server must have TLS settings for HTTPS/TLS protocols"));
}

TEST(GatewayValidation, PlainHTTPServerMayOnlyRedirect) {
  auto redirect = gateway(R"(  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [foo.bar.com]
    tls: {httpsRedirect: true}
)");
  EXPECT_TRUE(redirect.empty());
  auto d = gateway(R"(  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [foo.bar.com]
    tls: {mode: SIMPLE, credentialName: cert}
)");
  EXPECT_TRUE(hasError(d, "server cannot have TLS settings for plain text HTTP ports"));
  auto tcp = gateway(R"(  servers:
  - port: {number: 9000, name: tcp, protocol: TCP}
    hosts: [foo.bar.com]
    tls: {httpsRedirect: true}
)");
  EXPECT_TRUE(hasError(tcp, "server cannot have TLS settings for non HTTPS/TLS ports"));
  EXPECT_TRUE(hasWarning(tcp, "tls.httpsRedirect should only be used with http servers"));
}

TEST(GatewayValidation, SimpleTLSNeedsCertificateAndKeyUnlessCredentialName) {
  auto d = httpsServer("      mode: SIMPLE\n      privateKey: key.pem\n");
  EXPECT_TRUE(hasError(d, "SIMPLE TLS requires a server certificate"));
  EXPECT_FALSE(hasError(d, "requires a private key"));
  EXPECT_TRUE(httpsServer("      mode: SIMPLE\n      credentialName: cert\n").empty());
}

TEST(GatewayValidation, MutualTLSNeedsClientCABundle) {
  auto d = httpsServer(
      "      mode: MUTUAL\n      serverCertificate: cert.pem\n      privateKey: key.pem\n");
  EXPECT_TRUE(hasError(d, "MUTUAL TLS requires a client CA bundle"));
}

TEST(GatewayValidation, IstioMutualForbidsCertificates) {
  auto d = httpsServer("      mode: ISTIO_MUTUAL\n      credentialName: cert\n");
  EXPECT_TRUE(hasError(d, "ISTIO_MUTUAL TLS cannot have associated credentialName"));
  EXPECT_EQ(errorField(d, "ISTIO_MUTUAL"), "spec.servers[0].tls.credentialName");
}

TEST(GatewayValidation, PassthroughWithCertificatesOnlyWarns) {
  auto d = httpsServer("      mode: PASSTHROUGH\n      caCrl: crl.pem\n");
  EXPECT_FALSE(d.hasErrors());
  EXPECT_TRUE(hasWarning(d, "PASSTHROUGH mode does not use certificates, they will be ignored"));
}

TEST(GatewayValidation, RejectsSeveralCertificateSources) {
  auto d = httpsServer(R"(      mode: SIMPLE
      serverCertificate: cert.pem
      privateKey: key.pem
      credentialName: cert
)");
  EXPECT_TRUE(hasError(d,
                       "only one of credential_name, credential_names, "
                       "server_certificate/private_key, tls_certificates should be specified"));
}

TEST(GatewayValidation, AppliesCRDRulesOnCredentialNamesAndTlsCertificates) {
  auto d = httpsServer(R"(      mode: SIMPLE
      credentialName: a
      credentialNames: [b, c, d]
)");
  EXPECT_TRUE(hasError(d, "only one of credentialName or credentialNames can be set"));
  EXPECT_TRUE(hasError(d, "Too many: 3: must have at most 2 items"));
  EXPECT_EQ(errorField(d, "Too many"), "spec.servers[0].tls.credentialNames");
  auto both = httpsServer(R"(      mode: SIMPLE
      credentialNames: [b]
      tlsCertificates: [{serverCertificate: c, privateKey: k}]
)");
  EXPECT_TRUE(hasError(both, "only one of credentialNames or tlsCertificates can be set"));
}

TEST(GatewayValidation, WarnsOnInvalidAndDuplicateCipherSuites) {
  auto d = httpsServer(R"(      mode: SIMPLE
      credentialName: cert
      cipherSuites: [not-a-suite, AES128-SHA, AES128-SHA, "-3DES", ALL]
)");
  EXPECT_FALSE(d.hasErrors());
  EXPECT_TRUE(hasWarning(d, "ignoring invalid cipher suites: [not-a-suite]"));
  EXPECT_TRUE(hasWarning(d, "ignoring duplicate cipher suites: [AES128-SHA]"));
}

TEST(GatewayValidation, WarnsOnOldTLSVersionWithoutCiphers) {
  auto d = httpsServer(
      "      mode: SIMPLE\n      credentialName: c\n"
      "      minProtocolVersion: TLSV1_1\n");
  EXPECT_TRUE(hasWarning(d, "TLS version below TLSV1_2 require setting compatible ciphers"));
}

TEST(GatewayValidation, RejectsCRLWithSimpleTLSAndCredentialName) {
  auto d = httpsServer(
      "      mode: SIMPLE\n      serverCertificate: c\n      privateKey: k\n      caCrl: crl\n");
  EXPECT_TRUE(hasError(d, "CRL is not supported with SIMPLE TLS"));
  auto passthrough = httpsServer(
      "      mode: PASSTHROUGH\n      credentialName: c\n"
      "      caCrl: crl\n");
  EXPECT_TRUE(hasError(passthrough, "CRL is not supported with credentialName"));
}

}  // namespace
}  // namespace meshroute::validate
