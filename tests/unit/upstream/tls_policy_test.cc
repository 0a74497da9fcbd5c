#include "upstream/tls_policy.h"

#include <gtest/gtest.h>

namespace meshroute::upstream {
namespace {

api::ClientTLSSettings settings(const std::string& mode) {
  api::ClientTLSSettings tls;
  tls.mode = mode;
  return tls;
}

TEST(UpstreamTlsPolicy, DisableAndNothingOriginateNothing) {
  for (const char* mode : {"", "DISABLE"}) {
    const TlsOrigination o = compileTlsOrigination(settings(mode), {});
    EXPECT_FALSE(o.originates()) << mode;
    EXPECT_TRUE(o.note.empty());
    EXPECT_TRUE(o.error.empty());
  }
}

TEST(UpstreamTlsPolicy, IstioMutualIsReportedNeverOriginated) {
  const TlsOrigination o = compileTlsOrigination(settings("ISTIO_MUTUAL"), {});
  EXPECT_EQ(o.mode, TlsMode::kIstioMutual);
  EXPECT_FALSE(o.originates());
  EXPECT_NE(o.note.find("ISTIO_MUTUAL is not enforced"), std::string::npos);
}

TEST(UpstreamTlsPolicy, SimpleWithoutSniOrNamesUsesAutoSniAndAutoSan) {
  const TlsOrigination o = compileTlsOrigination(settings("SIMPLE"), {});
  EXPECT_TRUE(o.originates());
  EXPECT_TRUE(o.sni.empty());
  EXPECT_TRUE(o.auto_san);
  EXPECT_TRUE(o.files.verify);
  EXPECT_TRUE(o.files.ca_certificates.empty());  // the system's roots
  EXPECT_TRUE(o.files.client_certificate.empty());
}

TEST(UpstreamTlsPolicy, SniWithoutNamesVerifiesTheChainOnly) {
  api::ClientTLSSettings tls = settings("SIMPLE");
  tls.sni = "api.example.com";
  tls.ca_certificates = "/certs/ca.pem";
  tls.ca_crl = "/certs/crl.pem";
  const TlsOrigination o = compileTlsOrigination(tls, {});
  EXPECT_EQ(o.sni, "api.example.com");
  EXPECT_FALSE(o.auto_san);
  EXPECT_TRUE(o.subject_alt_names.empty());
  EXPECT_EQ(o.files.ca_certificates, "/certs/ca.pem");
  EXPECT_EQ(o.files.ca_crl, "/certs/crl.pem");
}

TEST(UpstreamTlsPolicy, ServiceEntryNamesStandInForTheRules) {
  TlsScope scope;
  scope.service_alt_names = {"spiffe://cluster.local/ns/x/sa/y"};
  const TlsOrigination from_entry = compileTlsOrigination(settings("SIMPLE"), scope);
  EXPECT_EQ(from_entry.subject_alt_names, scope.service_alt_names);
  EXPECT_FALSE(from_entry.auto_san);
  api::ClientTLSSettings tls = settings("SIMPLE");
  tls.subject_alt_names = {"db.example.com"};
  EXPECT_EQ(compileTlsOrigination(tls, scope).subject_alt_names,
            std::vector<std::string>{"db.example.com"});
}

TEST(UpstreamTlsPolicy, InsecureSkipVerifyLoadsNoRootsAndChecksNoNames) {
  api::ClientTLSSettings tls = settings("MUTUAL");
  tls.insecure_skip_verify = true;
  tls.ca_certificates = "/certs/ca.pem";
  tls.client_certificate = "/certs/client.pem";
  tls.private_key = "/certs/client.key";
  const TlsOrigination o = compileTlsOrigination(tls, {});
  EXPECT_FALSE(o.files.verify);
  EXPECT_FALSE(o.auto_san);
  EXPECT_TRUE(o.files.ca_certificates.empty());
  EXPECT_EQ(o.files.client_certificate, "/certs/client.pem");
  EXPECT_EQ(o.files.private_key, "/certs/client.key");
}

TEST(UpstreamTlsPolicy, CredentialNameReadsTheSecretInTheProxysNamespace) {
  api::ClientTLSSettings tls = settings("MUTUAL");
  tls.credential_name = "client-credential";
  TlsScope scope;
  scope.secrets_dir = "/secrets";
  scope.proxy_namespace = "istio-system";
  scope.sidecar = false;  // a gateway
  const TlsOrigination o = compileTlsOrigination(tls, scope);
  ASSERT_TRUE(o.error.empty()) << o.error;
  EXPECT_EQ(o.files.client_certificate, "/secrets/istio-system/client-credential/tls.crt");
  EXPECT_EQ(o.files.private_key, "/secrets/istio-system/client-credential/tls.key");
  EXPECT_EQ(o.files.ca_certificates, "/secrets/istio-system/client-credential/ca.crt");
  EXPECT_EQ(o.files.ca_fallback, "/secrets/istio-system/client-credential-cacert/ca.crt");
  // SIMPLE takes only the CA of the credential.
  tls.mode = "SIMPLE";
  EXPECT_TRUE(compileTlsOrigination(tls, scope).files.client_certificate.empty());
}

TEST(UpstreamTlsPolicy, SidecarHonoursCredentialsOnlyFromSelectingRules) {
  api::ClientTLSSettings tls = settings("SIMPLE");
  tls.credential_name = "cred";
  TlsScope scope;
  scope.secrets_dir = "/secrets";
  const TlsOrigination ignored = compileTlsOrigination(tls, scope);
  EXPECT_FALSE(ignored.originates());  // as Istio: no TLS at all, and a note saying so
  EXPECT_NE(ignored.note.find("workloadSelector"), std::string::npos);
  scope.rule_has_selector = true;
  EXPECT_TRUE(compileTlsOrigination(tls, scope).originates());
}

TEST(UpstreamTlsPolicy, CredentialWithoutSecretsDirFailsClosed) {
  api::ClientTLSSettings tls = settings("SIMPLE");
  tls.credential_name = "cred";
  TlsScope scope;
  scope.sidecar = false;
  const TlsOrigination o = compileTlsOrigination(tls, scope);
  EXPECT_TRUE(o.originates());
  EXPECT_NE(o.error.find("--secrets-dir"), std::string::npos);
}

TEST(UpstreamTlsPolicy, ContextKeysDifferByEveryFile) {
  TlsFiles a;
  a.ca_certificates = "/a";
  TlsFiles b = a;
  EXPECT_EQ(a.key(), b.key());
  b.ca_crl = "/crl";
  EXPECT_NE(a.key(), b.key());
  TlsFiles c = a;
  c.verify = false;
  EXPECT_NE(a.key(), c.key());
}

}  // namespace
}  // namespace meshroute::upstream
