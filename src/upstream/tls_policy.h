// DestinationRule `tls` (ClientTLSSettings) compiled into what an upstream connection needs:
// which files a TLS context loads, the SNI to send and the names the server's certificate must
// carry. Pure: paths are resolved, nothing is read (the proxy's I/O layer loads the files).
//
// Istio's semantics (pilot/pkg/networking/core/cluster_tls.go):
// - SIMPLE and MUTUAL originate TLS; DISABLE and no `tls` do not; ISTIO_MUTUAL needs the mesh
//   CA, which meshroute does not have yet (reported, see `note`).
// - No `sni`: Envoy's auto_sni, the request's host. No `sni` and no `subjectAltNames`:
//   auto_san_validation, the certificate must name that host. `sni` without
//   `subjectAltNames`: the chain is verified, no name is.
// - A ServiceEntry's `subjectAltNames` stand in when the rule has none.
// - No `caCertificates`: the system's roots (VERIFY_CERTIFICATE_AT_CLIENT); insecureSkipVerify:
//   nothing is verified.
// - credentialName: a Kubernetes TLS secret (tls.crt, tls.key, ca.crt) in the proxy's
//   namespace, from `run --secrets-dir`; the CA from its ca.crt, else from the `<name>-cacert`
//   secret. A sidecar honours it only from a rule with a workloadSelector; otherwise Istio
//   leaves the cluster without TLS, and so does meshroute, with a note saying so.
#pragma once

#include <string>
#include <vector>

#include "api/model/destination_rule.h"

namespace meshroute::upstream {

enum class TlsMode { kDisable, kSimple, kMutual, kIstioMutual };

// What one TLS client context loads: contexts are shared by every cluster whose files are the
// same (the key), and built once per configuration.
struct TlsFiles {
  std::string ca_certificates;  // PEM roots; "" with verify: the system's
  std::string ca_fallback;      // read when ca_certificates does not exist (credentials)
  std::string ca_crl;
  std::string client_certificate;  // MUTUAL (or a credential with a key)
  std::string private_key;
  bool verify = true;  // false: insecureSkipVerify
  [[nodiscard]] std::string key() const;
  bool operator==(const TlsFiles&) const = default;
};

struct TlsOrigination {
  TlsMode mode = TlsMode::kDisable;
  TlsFiles files;
  std::string sni;  // "": the request's host (auto SNI)
  // Exact names (DNS or URI SANs) one of which the server's certificate must carry.
  std::vector<std::string> subject_alt_names;
  bool auto_san = false;  // the certificate must name the SNI sent
  // Why the rule's TLS is not originated ("" when it is, or when the rule asked for none).
  std::string note;
  // Why it cannot be (a credential without --secrets-dir): connections fail, never plaintext.
  std::string error;
  [[nodiscard]] bool originates() const {
    return mode == TlsMode::kSimple || mode == TlsMode::kMutual;
  }
};

struct TlsScope {
  std::string secrets_dir;  // `run --secrets-dir`; "" when none was given
  std::string proxy_namespace = "default";
  bool sidecar = true;
  api::StringMap proxy_labels;                 // which workloadSelector rules apply to the proxy
  bool rule_has_selector = false;              // the DestinationRule sets workloadSelector
  std::vector<std::string> service_alt_names;  // a ServiceEntry's subjectAltNames
};

TlsMode tlsModeOf(const api::ClientTLSSettings& tls);
TlsOrigination compileTlsOrigination(const api::ClientTLSSettings& tls, const TlsScope& scope);

}  // namespace meshroute::upstream
