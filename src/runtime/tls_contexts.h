// Client TLS contexts for DestinationRule `tls` origination, loaded on the main thread when a
// configuration is accepted (never on a request), one per distinct set of files, and shared by
// every worker: OpenSSL makes connections from one SSL_CTX on any thread. A context that does
// not load (a missing file, a key that does not match its certificate) is kept as its error:
// connections to its clusters fail with that reason (503 UF), never in plaintext.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "routing/snapshot.h"
#include "upstream/tls_policy.h"

namespace meshroute::runtime {

class TlsClientContext {
 public:
  // Null, with `error` saying which file and why, when the files do not make a context.
  static std::shared_ptr<const TlsClientContext> load(const upstream::TlsFiles& files,
                                                      std::string& error);
  // Connections are made from it on any worker (SSL_new only takes a reference).
  boost::asio::ssl::context& native() const { return context_; }
  [[nodiscard]] bool verifies() const { return verify_; }
  // Unique per load: connections made from an older context are told apart from new ones.
  [[nodiscard]] uint64_t id() const { return id_; }

 private:
  TlsClientContext();
  mutable boost::asio::ssl::context context_;
  bool verify_ = true;
  uint64_t id_ = 0;
};

struct TlsContextEntry {
  std::shared_ptr<const TlsClientContext> context;
  std::string error;  // when `context` is null
};

class TlsContextTable {
 public:
  // A context for every SIMPLE and MUTUAL setting of every DestinationRule in `snapshot`, as
  // the proxy described by `scope` sees it (its namespace, whether it is a sidecar, where its
  // secrets are). `warnings` gets one line per setting that cannot originate TLS.
  static std::shared_ptr<const TlsContextTable> build(const routing::Snapshot& snapshot,
                                                      const upstream::TlsScope& scope,
                                                      std::vector<std::string>& warnings);
  // The entry for files.key(); null when the table has none (the setting was not seen).
  [[nodiscard]] const TlsContextEntry* find(const upstream::TlsFiles& files) const;
  // The proxy's part of every cluster's TlsScope.
  [[nodiscard]] const upstream::TlsScope& scope() const { return scope_; }
  [[nodiscard]] size_t size() const { return entries_.size(); }
  // Whether one of its contexts has this id().
  [[nodiscard]] bool holds(uint64_t context_id) const;

 private:
  upstream::TlsScope scope_;
  std::unordered_map<std::string, TlsContextEntry> entries_;
};

// "TLS_error:|<OpenSSL's reason>[:<certificate check>]:TLS_error_end", Envoy's shape for a
// transport failure reason.
std::string tlsFailureReason(std::string_view reason);

}  // namespace meshroute::runtime
