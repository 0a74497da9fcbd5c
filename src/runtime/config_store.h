// The main thread's view of configuration: loads the -f paths, validates every resource as
// Istio's admission would, and compiles an immutable generation. A change that does not load
// or validate is rejected whole and the last good generation keeps serving; the rejection is
// kept (file, line, resource, reason) for the log and /config_dump.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "routing/snapshot.h"
#include "runtime/tls_contexts.h"
#include "upstream/tls_policy.h"

namespace meshroute::runtime {

// One accepted configuration. Immutable once published; workers and in-flight requests hold
// it through shared_ptr, so a reload never changes what a running request sees.
struct ConfigGeneration {
  uint64_t version = 0;  // 1 for the first accepted load, +1 per accepted reload
  std::shared_ptr<const routing::Snapshot> snapshot;
  std::chrono::system_clock::time_point loaded_at;
  std::vector<std::string> warnings;  // validation warnings, "file:line: field: message"
  // DestinationRule tls origination's contexts, loaded with the configuration for the proxy
  // (ConfigStore::setTlsScope); null when the store loads for no proxy.
  std::shared_ptr<const TlsContextTable> tls;
};

struct Rejection {
  std::chrono::system_clock::time_point at;
  std::vector<std::string> reasons;  // "file:line: Kind ns/name: field: message"
};

class ConfigStore {
 public:
  ConfigStore(std::vector<std::string> paths, routing::MeshConfig mesh);

  // Loads the paths again. On success the new generation becomes current and is returned; on
  // failure nullopt, and lastRejection() says why. Main thread only.
  std::shared_ptr<const ConfigGeneration> reload();
  // From now on every generation carries the TLS client contexts of its DestinationRules, as
  // the proxy `scope` describes sees them. Call before the first reload().
  void setTlsScope(upstream::TlsScope scope) { tls_scope_ = std::move(scope); }

  [[nodiscard]] std::shared_ptr<const ConfigGeneration> current() const { return current_; }
  [[nodiscard]] const std::optional<Rejection>& lastRejection() const { return rejection_; }
  [[nodiscard]] const std::vector<std::string>& paths() const { return paths_; }
  [[nodiscard]] uint64_t rejectedCount() const { return rejected_; }

 private:
  std::vector<std::string> paths_;
  routing::MeshConfig mesh_;
  std::optional<upstream::TlsScope> tls_scope_;
  std::shared_ptr<const ConfigGeneration> current_;
  std::optional<Rejection> rejection_;
  uint64_t next_version_ = 1;
  uint64_t rejected_ = 0;
};

}  // namespace meshroute::runtime
