#include "runtime/tls_contexts.h"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <sys/stat.h>

#include <atomic>
#include <set>

#include "api/model/destination_rule.h"

namespace meshroute::runtime {
namespace {

bool fileExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// OpenSSL's last queued error, "" when none; the queue is left empty.
std::string openSslError() {
  unsigned long last = 0;
  while (const unsigned long e = ERR_get_error()) last = e;
  if (last == 0) return "";
  char buf[256];
  ERR_error_string_n(last, buf, sizeof buf);
  return buf;
}

std::string fileError(std::string_view field, const std::string& path, std::string_view what) {
  const std::string detail = openSslError();
  return fmt::format("{} {}: {}{}{}", field, path, what, detail.empty() ? "" : ": ", detail);
}

void collect(const api::TrafficPolicy& p, std::vector<const api::ClientTLSSettings*>& out) {
  if (p.tls) out.push_back(&*p.tls);
  for (const api::PortTrafficPolicy& port : p.port_level_settings) {
    if (port.tls) out.push_back(&*port.tls);
  }
}

bool selects(const api::DestinationRule& dr, const routing::Proxy& proxy) {
  if (!dr.workload_selector) return true;
  for (const auto& [k, v] : dr.workload_selector->match_labels) {
    auto it = proxy.labels.find(k);
    if (it == proxy.labels.end() || it->second != v) return false;
  }
  return true;
}

}  // namespace

TlsClientContext::TlsClientContext() : context_(boost::asio::ssl::context::tls_client) {
  static std::atomic<uint64_t> next_id{1};
  id_ = next_id.fetch_add(1, std::memory_order_relaxed);
}

std::shared_ptr<const TlsClientContext> TlsClientContext::load(const upstream::TlsFiles& files,
                                                               std::string& error) {
  ERR_clear_error();
  std::shared_ptr<TlsClientContext> c(new TlsClientContext());
  SSL_CTX* ctx = c->context_.native_handle();
  // Envoy's client defaults: TLS 1.2 at least and, unless told otherwise, at most.
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
  // An idle pooled connection keeps no read or write buffer.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  // A server that closes without close_notify has closed, not failed: HTTP's own framing
  // tells a cut-off response.
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  c->verify_ = files.verify;
  if (files.verify) {
    if (files.ca_certificates.empty()) {
      if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        error = "the system's CA certificates: " + openSslError();
        return nullptr;
      }
    } else {
      std::string ca = files.ca_certificates;
      if (!fileExists(ca) && !files.ca_fallback.empty() && fileExists(files.ca_fallback)) {
        ca = files.ca_fallback;
      }
      if (!fileExists(ca)) {
        error = files.ca_fallback.empty()
                    ? fmt::format("caCertificates {}: no such file", ca)
                    : fmt::format("credential CA: neither {} nor {} exists", ca, files.ca_fallback);
        return nullptr;
      }
      if (SSL_CTX_load_verify_locations(ctx, ca.c_str(), nullptr) != 1) {
        error = fileError("caCertificates", ca, "not a PEM certificate bundle");
        return nullptr;
      }
    }
    if (!files.ca_crl.empty()) {
      X509_STORE* store = SSL_CTX_get_cert_store(ctx);
      X509_LOOKUP* lookup = X509_STORE_add_lookup(store, X509_LOOKUP_file());
      if (!fileExists(files.ca_crl)) {
        error = fmt::format("caCrl {}: no such file", files.ca_crl);
        return nullptr;
      }
      if (lookup == nullptr ||
          X509_load_crl_file(lookup, files.ca_crl.c_str(), X509_FILETYPE_PEM) <= 0) {
        error = fileError("caCrl", files.ca_crl, "not a PEM certificate revocation list");
        return nullptr;
      }
      // Envoy checks every certificate of the chain against the CRLs given.
      X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  if (!files.client_certificate.empty()) {
    for (const auto& [field, path] : {std::pair{"clientCertificate", files.client_certificate},
                                      std::pair{"privateKey", files.private_key}}) {
      if (!fileExists(path)) {
        error = fmt::format("{} {}: no such file", field, path);
        return nullptr;
      }
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, files.client_certificate.c_str()) != 1) {
      error = fileError("clientCertificate", files.client_certificate, "not a PEM certificate");
      return nullptr;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, files.private_key.c_str(), SSL_FILETYPE_PEM) != 1) {
      error = fileError("privateKey", files.private_key, "not a PEM private key");
      return nullptr;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
      error = fileError("privateKey", files.private_key,
                        "does not match clientCertificate " + files.client_certificate);
      return nullptr;
    }
  }
  return c;
}

std::shared_ptr<const TlsContextTable> TlsContextTable::build(const routing::Snapshot& snapshot,
                                                              const upstream::TlsScope& scope,
                                                              std::vector<std::string>& warnings) {
  auto table = std::make_shared<TlsContextTable>();
  table->scope_ = scope;
  routing::Proxy proxy;
  proxy.ns = scope.proxy_namespace;
  proxy.labels = scope.proxy_labels;
  for (const api::Resource& r : snapshot.resources()) {
    const auto* dr = r.as<api::DestinationRule>();
    if (dr == nullptr || !selects(*dr, proxy)) continue;
    std::vector<const api::ClientTLSSettings*> settings;
    if (dr->traffic_policy) collect(*dr->traffic_policy, settings);
    for (const api::Subset& s : dr->subsets) {
      if (s.traffic_policy) collect(*s.traffic_policy, settings);
    }
    upstream::TlsScope rule_scope = scope;
    rule_scope.rule_has_selector = dr->workload_selector.has_value();
    std::set<std::string> said;  // one line per problem and rule
    auto warn = [&](const std::string& what) {
      if (said.insert(what).second) {
        warnings.push_back(fmt::format("{}:{}: DestinationRule {}/{}: {}", r.file, r.mark.line,
                                       r.meta.namespace_, r.meta.name, what));
      }
    };
    for (const api::ClientTLSSettings* tls : settings) {
      const upstream::TlsOrigination o = upstream::compileTlsOrigination(*tls, rule_scope);
      if (!o.note.empty()) warn(o.note);
      if (!o.error.empty()) warn(o.error + ": connections to its hosts fail (503 UF)");
      if (!o.originates() || !o.error.empty()) continue;
      const std::string key = o.files.key();
      auto [it, fresh] = table->entries_.try_emplace(key);
      if (fresh) it->second.context = TlsClientContext::load(o.files, it->second.error);
      if (!it->second.context) {
        warn("tls: " + it->second.error + ": connections to its hosts fail (503 UF)");
      }
    }
  }
  return table;
}

const TlsContextEntry* TlsContextTable::find(const upstream::TlsFiles& files) const {
  auto it = entries_.find(files.key());
  return it == entries_.end() ? nullptr : &it->second;
}

bool TlsContextTable::holds(uint64_t context_id) const {
  for (const auto& [key, entry] : entries_) {
    if (entry.context && entry.context->id() == context_id) return true;
  }
  return false;
}

std::string tlsFailureReason(std::string_view reason) {
  return fmt::format("TLS_error:|{}:TLS_error_end", reason);
}

}  // namespace meshroute::runtime
