#include "upstream/tls_policy.h"

#include <fmt/format.h>

namespace meshroute::upstream {

std::string TlsFiles::key() const {
  // '\n' never occurs in a path Istio accepts: the fields cannot run into each other.
  return fmt::format("{}\n{}\n{}\n{}\n{}\n{}", ca_certificates, ca_fallback, ca_crl,
                     client_certificate, private_key, verify ? "verify" : "skip");
}

TlsMode tlsModeOf(const api::ClientTLSSettings& tls) {
  if (tls.mode == "SIMPLE") return TlsMode::kSimple;
  if (tls.mode == "MUTUAL") return TlsMode::kMutual;
  if (tls.mode == "ISTIO_MUTUAL") return TlsMode::kIstioMutual;
  return TlsMode::kDisable;
}

TlsOrigination compileTlsOrigination(const api::ClientTLSSettings& tls, const TlsScope& scope) {
  TlsOrigination o;
  o.mode = tlsModeOf(tls);
  if (o.mode == TlsMode::kIstioMutual) {
    o.note =
        "tls.mode ISTIO_MUTUAL is not enforced yet (the mesh CA comes with the gateway issue): "
        "connections to it go out in plaintext";
    return o;
  }
  if (!o.originates()) return o;
  const bool skip_verify = tls.insecure_skip_verify.value_or(false);
  o.files.verify = !skip_verify;
  o.sni = tls.sni;
  o.subject_alt_names = tls.subject_alt_names;
  if (o.subject_alt_names.empty()) o.subject_alt_names = scope.service_alt_names;
  o.auto_san = tls.sni.empty() && o.subject_alt_names.empty() && !skip_verify;
  if (!tls.credential_name.empty()) {
    if (scope.sidecar && !scope.rule_has_selector) {
      // Istio sends no TLS at all then; meshroute does the same and says so at load.
      o.note = fmt::format(
          "tls.credentialName {} is ignored: a sidecar reads credentials only from a "
          "DestinationRule with a workloadSelector (as Istio); connections go out in plaintext",
          tls.credential_name);
      o.mode = TlsMode::kDisable;
      return o;
    }
    if (scope.secrets_dir.empty()) {
      o.error = fmt::format("tls.credentialName {}: `meshroute run` was given no --secrets-dir",
                            tls.credential_name);
      return o;
    }
    const std::string dir =
        fmt::format("{}/{}/{}", scope.secrets_dir, scope.proxy_namespace, tls.credential_name);
    if (o.mode == TlsMode::kMutual) {
      o.files.client_certificate = dir + "/tls.crt";
      o.files.private_key = dir + "/tls.key";
    }
    if (o.files.verify) {
      o.files.ca_certificates = dir + "/ca.crt";
      o.files.ca_fallback = fmt::format("{}/{}/{}-cacert/ca.crt", scope.secrets_dir,
                                        scope.proxy_namespace, tls.credential_name);
    }
    return o;
  }
  if (o.mode == TlsMode::kMutual) {
    o.files.client_certificate = tls.client_certificate;
    o.files.private_key = tls.private_key;
  }
  if (o.files.verify) {
    o.files.ca_certificates = tls.ca_certificates;
    o.files.ca_crl = tls.ca_crl;
  }
  return o;
}

}  // namespace meshroute::upstream
