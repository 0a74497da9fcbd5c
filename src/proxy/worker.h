// One proxy worker: a thread with its own event loop, its own SO_REUSEPORT listener, the
// connections it accepted, its upstream connection pool, load-balancer state and metrics shard.
// The main thread only posts to it (a new configuration generation, drain); everything else
// runs on the worker's thread, so the request path takes no lock.
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_set>

#include "core/random.h"
#include "proxy/cluster_cache.h"
#include "proxy/host_stats.h"
#include "proxy/settings.h"
#include "proxy/upstream_pool.h"
#include "runtime/config_store.h"
#include "runtime/event_loop.h"
#include "stats/metrics.h"

namespace meshroute::proxy {

class Session;

// State shared by all workers: read-only settings, relaxed atomics, the metrics registry.
struct SharedState {
  explicit SharedState(const ProxySettings& s, stats::MetricsRegistry& m)
      : settings(s), metrics(m) {}
  const ProxySettings& settings;
  stats::MetricsRegistry& metrics;
  std::atomic<size_t> connections{0};  // open downstream connections, all workers
  std::atomic<uint64_t> connections_total{0};
  std::atomic<size_t> active_requests{0};
  std::atomic<uint64_t> rejected_connections{0};  // over max_connections
  HostStatsTable hosts;
};

class ProxyWorker {
 public:
  ProxyWorker(size_t index, SharedState& shared);
  ~ProxyWorker();
  ProxyWorker(const ProxyWorker&) = delete;
  ProxyWorker& operator=(const ProxyWorker&) = delete;

  // Starts the thread and accepts on `acceptor` (opened on this worker's context).
  void start(boost::asio::ip::tcp::acceptor acceptor);
  // Thread-safe: the generation serves every request that starts after it arrives.
  void publish(std::shared_ptr<const runtime::ConfigGeneration> generation);
  // Thread-safe: stop accepting, close idle connections, let requests in flight finish; the
  // loop ends when the last connection closes. `done` runs on the worker thread then.
  void drain(std::function<void()> done);
  void stop();  // abandons whatever is left
  void join();
  boost::asio::io_context& context() { return loop_.context(); }

  // Worker-thread only, for sessions:
  [[nodiscard]] const std::shared_ptr<const runtime::ConfigGeneration>& config() const {
    return config_;
  }
  [[nodiscard]] const ProxySettings& settings() const { return shared_.settings; }
  SharedState& shared() { return shared_; }
  UpstreamPool& pool() { return pool_; }
  ClusterCache& clusters() { return clusters_; }
  routing::DecisionMemo& decisions() { return decisions_; }
  core::Random& random() { return random_; }
  stats::MetricsShard& metrics() { return metrics_; }
  [[nodiscard]] bool draining() const { return draining_; }
  void sessionStarted(Session* s);
  void sessionEnded(Session* s);

 private:
  void acceptNext();
  void maybeFinishDrain();

  SharedState& shared_;
  runtime::EventLoopThread loop_;
  std::optional<boost::asio::ip::tcp::acceptor> acceptor_;
  std::shared_ptr<const runtime::ConfigGeneration> config_;
  UpstreamPool pool_;
  ClusterCache clusters_;
  routing::DecisionMemo decisions_;
  core::Random random_;
  stats::MetricsShard& metrics_;
  std::unordered_set<Session*> sessions_;
  bool draining_ = false;
  std::function<void()> drained_;
};

}  // namespace meshroute::proxy
