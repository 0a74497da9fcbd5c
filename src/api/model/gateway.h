// networking.istio.io Gateway: the typed model of its spec (every field of the CRD schema).
// ServerTLSSettings is shared with Sidecar ingress listeners.
#pragma once

#include "api/model/common.h"

namespace meshroute::api {

// networking.Port (a Gateway server's port). Named apart from the Kubernetes ServicePort.
struct GatewayPort : Message {
  uint32_t number = 0;
  std::string protocol;
  std::string name;
  uint32_t target_port = 0;  // deprecated; Istio rejects it on gateways
};
template <class V>
void describe(V& v, GatewayPort& m) {
  v("number", m.number, {.required = true});
  v("protocol", m.protocol, {.required = true});
  v("name", m.name, {.required = true});
  v("targetPort", m.target_port);
}

inline constexpr EnumValue kServerTLSModeValues[] = {{"PASSTHROUGH", 0},  {"SIMPLE", 1},
                                                     {"MUTUAL", 2},       {"AUTO_PASSTHROUGH", 3},
                                                     {"ISTIO_MUTUAL", 4}, {"OPTIONAL_MUTUAL", 5}};
inline constexpr EnumTable kServerTLSMode{kServerTLSModeValues};

inline constexpr EnumValue kServerTLSProtocolValues[] = {
    {"TLS_AUTO", 0}, {"TLSV1_0", 1}, {"TLSV1_1", 2}, {"TLSV1_2", 3}, {"TLSV1_3", 4}};
inline constexpr EnumTable kServerTLSProtocol{kServerTLSProtocolValues};

// networking.ServerTLSSettings.TLSCertificate.
struct ServerTLSCertificate : Message {
  std::string server_certificate;
  std::string private_key;
  std::string ca_certificates;
};
template <class V>
void describe(V& v, ServerTLSCertificate& m) {
  v("serverCertificate", m.server_certificate);
  v("privateKey", m.private_key);
  v("caCertificates", m.ca_certificates);
}

// networking.ServerTLSSettings (Gateway servers, Sidecar ingress listeners).
struct ServerTLSSettings : Message {
  bool https_redirect = false;
  std::string mode;
  std::string server_certificate;
  std::string private_key;
  std::string ca_certificates;
  std::string ca_crl;
  std::string credential_name;
  std::vector<std::string> credential_names;
  std::vector<ServerTLSCertificate> tls_certificates;
  std::string ca_cert_credential_name;
  std::vector<std::string> subject_alt_names;
  std::vector<std::string> verify_certificate_spki;
  std::vector<std::string> verify_certificate_hash;
  std::string min_protocol_version;
  std::string max_protocol_version;
  std::vector<std::string> cipher_suites;
  std::optional<bool> insecure_skip_verify;  // google.protobuf.BoolValue
};
template <class V>
void describe(V& v, ServerTLSSettings& m) {
  v("httpsRedirect", m.https_redirect);
  v("mode", m.mode, {.enums = &kServerTLSMode});
  v("serverCertificate", m.server_certificate);
  v("privateKey", m.private_key);
  v("caCertificates", m.ca_certificates);
  v("caCrl", m.ca_crl);
  v("credentialName", m.credential_name);
  v("credentialNames", m.credential_names);
  v("tlsCertificates", m.tls_certificates);
  v("caCertCredentialName", m.ca_cert_credential_name);
  v("subjectAltNames", m.subject_alt_names);
  v("verifyCertificateSpki", m.verify_certificate_spki);
  v("verifyCertificateHash", m.verify_certificate_hash);
  v("minProtocolVersion", m.min_protocol_version, {.enums = &kServerTLSProtocol});
  v("maxProtocolVersion", m.max_protocol_version, {.enums = &kServerTLSProtocol});
  v("cipherSuites", m.cipher_suites);
  v("insecureSkipVerify", m.insecure_skip_verify);
}

// networking.Server.
struct Server : Message {
  std::optional<GatewayPort> port;
  std::string bind;
  std::vector<std::string> hosts;
  std::optional<ServerTLSSettings> tls;
  std::string default_endpoint;
  std::string name;
};
template <class V>
void describe(V& v, Server& m) {
  v("port", m.port, {.required = true});
  v("bind", m.bind);
  v("hosts", m.hosts, {.required = true});
  v("tls", m.tls);
  v("defaultEndpoint", m.default_endpoint);
  v("name", m.name);
}

struct Gateway : Message {
  std::vector<Server> servers;
  StringMap selector;
};
template <class V>
void describe(V& v, Gateway& m) {
  v("servers", m.servers);
  v("selector", m.selector);
}

}  // namespace meshroute::api
