// The sidecar as a whole, on the main thread: loads and reloads configuration (files watched,
// SIGHUP), publishes each accepted generation to every worker, and drains on shutdown. The
// admin server reads it through the thread-safe accessors.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "proxy/access_log_writer.h"
#include "proxy/settings.h"
#include "proxy/worker.h"
#include "runtime/config_store.h"
#include "runtime/dns_resolver.h"
#include "runtime/file_watcher.h"
#include "stats/metrics.h"

namespace meshroute::proxy {

class ProxyServer {
 public:
  ProxyServer(boost::asio::io_context& main, ProxySettings settings, std::vector<std::string> paths,
              routing::MeshConfig mesh);
  ~ProxyServer();
  ProxyServer(const ProxyServer&) = delete;
  ProxyServer& operator=(const ProxyServer&) = delete;

  // Loads the configuration, opens one listener per worker and starts them. False with
  // `error` set when the first configuration is invalid or the address can't be bound.
  bool start(std::string& error);
  // Main thread. Loads the paths again; an accepted generation goes to every worker.
  void reload(std::string_view trigger);
  // Main thread. Stops accepting, lets requests in flight finish for up to drain_time, then
  // stops the workers and calls `done`. Idempotent.
  void shutdown(std::function<void()> done);

  // Thread-safe (admin thread).
  [[nodiscard]] std::shared_ptr<const runtime::ConfigGeneration> current() const;
  [[nodiscard]] std::optional<runtime::Rejection> lastRejection() const;
  [[nodiscard]] uint64_t rejectedCount() const;
  [[nodiscard]] bool ready() const;
  [[nodiscard]] bool shuttingDown() const;
  [[nodiscard]] const ProxySettings& settings() const { return settings_; }
  [[nodiscard]] const std::vector<std::string>& paths() const { return paths_; }
  stats::MetricsRegistry& metrics() { return metrics_; }
  SharedState& shared() { return shared_; }
  boost::asio::io_context& mainContext() { return main_; }

 private:
  void log(std::string_view line) const;

  boost::asio::io_context& main_;
  ProxySettings settings_;
  std::vector<std::string> paths_;
  stats::MetricsRegistry metrics_;
  std::unique_ptr<AccessLogWriter> access_log_;  // outlives the workers that feed it
  SharedState shared_;
  runtime::ConfigStore store_;
  std::vector<std::unique_ptr<ProxyWorker>> workers_;
  // ServiceEntry DNS endpoints: the names of `gen` kept resolved, the first answers awaited
  // for at most `limit`.
  void resolveNames(const runtime::ConfigGeneration& gen, std::chrono::milliseconds limit);
  std::unique_ptr<runtime::FileWatcher> watcher_;
  std::unique_ptr<runtime::DnsResolver> dns_;  // before the workers use it, after they stop
  std::unique_ptr<runtime::FileWatcher> secrets_watcher_;  // --secrets-dir: rotated certificates
  boost::asio::steady_timer drain_timer_;
  std::atomic<bool> shutting_down_{false};
  bool finished_ = false;
  size_t workers_drained_ = 0;
  std::function<void()> on_stopped_;

  mutable std::mutex mu_;  // guards the copies below, read by the admin thread
  std::shared_ptr<const runtime::ConfigGeneration> current_;
  std::optional<runtime::Rejection> rejection_;
  uint64_t rejected_ = 0;
  bool ready_ = false;
};

}  // namespace meshroute::proxy
