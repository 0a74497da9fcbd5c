// Istio's ServerTLSSettings rules (pkg/config/validation validateTLSOptions) and the CRD's
// schema rules on the same object.
#include "validate/server_tls.h"

#include <fmt/format.h>

#include <set>
#include <string_view>

#include "validate/schema_rules.h"

namespace meshroute::validate {
namespace {

// The cipher suites Envoy (BoringSSL) accepts on gateways, as Istio lists them.
constexpr std::string_view kValidCipherSuites[] = {"ECDHE-ECDSA-AES128-GCM-SHA256",
                                                   "ECDHE-RSA-AES128-GCM-SHA256",
                                                   "ECDHE-ECDSA-AES256-GCM-SHA384",
                                                   "ECDHE-RSA-AES256-GCM-SHA384",
                                                   "ECDHE-ECDSA-CHACHA20-POLY1305",
                                                   "ECDHE-RSA-CHACHA20-POLY1305",
                                                   "ECDHE-ECDSA-AES128-SHA",
                                                   "ECDHE-RSA-AES128-SHA",
                                                   "ECDHE-ECDSA-AES256-SHA",
                                                   "ECDHE-RSA-AES256-SHA",
                                                   "AES128-GCM-SHA256",
                                                   "AES256-GCM-SHA384",
                                                   "AES128-SHA",
                                                   "AES256-SHA",
                                                   "DES-CBC3-SHA"};

// Istio looks only at the first byte, taken as a Latin-1 code point, and asks whether it is a
// Unicode letter or number.
bool startsWithLetterOrNumber(std::string_view s) {
  auto c = static_cast<unsigned char>(s.front());
  if (c < 0x80) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }
  bool letter = c == 0xAA || c == 0xB5 || c == 0xBA || (c >= 0xC0 && c != 0xD7 && c != 0xF7);
  bool number = c == 0xB2 || c == 0xB3 || c == 0xB9 || (c >= 0xBC && c <= 0xBE);
  return letter || number;
}

bool isValidCipherSuite(std::string_view cs) {
  if (cs.empty() || cs == "ALL") return true;
  // Expressions with operators ("-X", "+X", "!X") are passed through to Envoy unchecked.
  if (!startsWithLetterOrNumber(cs)) return true;
  for (auto valid : kValidCipherSuites) {
    if (cs == valid) return true;
  }
  return false;
}

// Go's fmt "%v" of a sorted string slice: "[a b c]".
std::string goList(const std::set<std::string>& items) {
  std::string out = "[";
  for (const auto& s : items) {
    if (out.size() > 1) out += ' ';
    out += s;
  }
  return out + "]";
}

void validateCipherSuites(const api::ServerTLSSettings& tls, const Loc& at, Report& report) {
  if ((tls.min_protocol_version == "TLSV1_0" || tls.min_protocol_version == "TLSV1_1") &&
      tls.cipher_suites.empty()) {
    report.warning(at.field(tls, "minProtocolVersion"),
                   "TLS version below TLSV1_2 require setting compatible ciphers as by default "
                   "they no longer include compatible ciphers.");
  }
  std::set<std::string> invalid;
  std::set<std::string> valid;
  std::set<std::string> duplicate;
  for (const auto& cs : tls.cipher_suites) {
    if (!isValidCipherSuite(cs)) {
      invalid.insert(cs);
    } else if (!valid.insert(cs).second) {
      duplicate.insert(cs);
    }
  }
  Loc suites = at.field(tls, "cipherSuites");
  if (!invalid.empty()) {
    report.warning(suites, fmt::format("ignoring invalid cipher suites: {}", goList(invalid)));
  }
  if (!duplicate.empty()) {
    report.warning(suites, fmt::format("ignoring duplicate cipher suites: {}", goList(duplicate)));
  }
}

void validateIstioMutual(const api::ServerTLSSettings& tls, const Loc& at, Report& report) {
  auto reject = [&](bool set, std::string_view field, std::string_view what) {
    if (set) {
      report.error(at.field(tls, field),
                   fmt::format("ISTIO_MUTUAL TLS cannot have associated {}", what));
    }
  };
  reject(!tls.server_certificate.empty(), "serverCertificate", "server certificate");
  reject(!tls.private_key.empty(), "privateKey", "private key");
  reject(!tls.ca_certificates.empty(), "caCertificates", "CA bundle");
  reject(!tls.tls_certificates.empty(), "tlsCertificates", "tlsCertificates");
  reject(!tls.credential_name.empty(), "credentialName", "credentialName");
  reject(!tls.credential_names.empty(), "credentialNames", "credentialNames");
}

// SIMPLE, MUTUAL and OPTIONAL_MUTUAL without a credential name: the proxy reads certificates
// from files, so they must be named.
void validateFileCertificates(const api::ServerTLSSettings& tls, const Loc& at, Report& report) {
  std::string_view prefix = tls.mode == "SIMPLE" ? "SIMPLE TLS" : "MUTUAL TLS";
  if (tls.mode != "SIMPLE" && tls.ca_certificates.empty()) {
    report.error(at, fmt::format("{} requires a client CA bundle", prefix));
  }
  if (tls.tls_certificates.size() > 2) {
    report.warning(at.field(tls, "tlsCertificates"),
                   fmt::format("{} can support up to 2 server certificates", prefix));
  }
  auto check = [&](std::string_view cert, std::string_view key, const Loc& loc) {
    if (cert.empty()) report.error(loc, fmt::format("{} requires a server certificate", prefix));
    if (key.empty()) report.error(loc, fmt::format("{} requires a private key", prefix));
  };
  if (tls.tls_certificates.empty()) {
    check(tls.server_certificate, tls.private_key, at);
    return;
  }
  for (size_t i = 0; i < tls.tls_certificates.size(); ++i) {
    const auto& c = tls.tls_certificates[i];
    check(c.server_certificate, c.private_key, at.item("tlsCertificates", i, c));
  }
}

}  // namespace

void validateServerTLSOptions(const api::ServerTLSSettings& tls, const Loc& at, Report& report) {
  validateCipherSuites(tls, at, report);
  if (tls.mode == "ISTIO_MUTUAL") {
    validateIstioMutual(tls, at, report);
    return;
  }
  bool has_credential = !tls.credential_name.empty() || !tls.credential_names.empty();
  if (tls.mode == "PASSTHROUGH" || tls.mode == "AUTO_PASSTHROUGH") {
    if (!tls.ca_crl.empty() || !tls.server_certificate.empty() || !tls.private_key.empty() ||
        !tls.ca_certificates.empty() || !tls.tls_certificates.empty() || has_credential) {
      report.warning(
          at.field(tls, "mode"),
          fmt::format("{} mode does not use certificates, they will be ignored", tls.mode));
    }
  }
  int sources = 0;
  if (!tls.server_certificate.empty() && !tls.private_key.empty()) ++sources;
  if (!tls.credential_name.empty()) ++sources;
  if (!tls.credential_names.empty()) ++sources;
  if (!tls.tls_certificates.empty()) ++sources;
  if (sources > 1) {
    report.error(at,
                 "only one of credential_name, credential_names, server_certificate/private_key, "
                 "tls_certificates should be specified");
  }
  bool terminates = tls.mode == "SIMPLE" || tls.mode == "MUTUAL" || tls.mode == "OPTIONAL_MUTUAL";
  // With a credential name the certificates (and any CRL) come from the credential store.
  if (terminates && has_credential) return;
  if (terminates) validateFileCertificates(tls, at, report);
  if (!tls.ca_crl.empty()) {
    Loc crl = at.field(tls, "caCrl");
    if (!tls.credential_name.empty()) {
      report.error(crl,
                   "CRL is not supported with credentialName. CRL has to be specified in the "
                   "credential");
    }
    if (tls.mode == "SIMPLE") report.error(crl, "CRL is not supported with SIMPLE TLS");
  }
}

void validateServerTLSSchema(const api::ServerTLSSettings& tls, const Loc& at, Report& report) {
  auto items = [&](std::string_view field, size_t n) {
    if (!tls.has(field)) return;
    Loc loc = at.field(tls, field);
    if (n < 1) {
      report.error(loc, tooFewItems(loc, n, 1));
    } else if (n > 2) {
      report.error(loc, tooMany(n, 2));
    }
  };
  items("credentialNames", tls.credential_names.size());
  items("tlsCertificates", tls.tls_certificates.size());

  bool names = tls.has("credentialNames");
  bool certs = tls.has("tlsCertificates");
  bool name = tls.has("credentialName");
  if (names && certs) {
    report.error(at, "only one of credentialNames or tlsCertificates can be set");
  }
  if (name && names) report.error(at, "only one of credentialName or credentialNames can be set");
  // The CRD's third rule repeats the first condition under another message.
  if (names && certs) report.error(at, "only one of credentialName or tlsCertificates can be set");
}

}  // namespace meshroute::validate
