// One proxy worker: a thread with its own event loop, its own SO_REUSEPORT listener, the
// connections it accepted, its upstream connection pool, load-balancer state, metrics shard,
// and pools of read buffers and request streams. The main thread only posts to it (a new
// configuration generation, drain); everything else runs on the worker's thread, so the
// request path takes no lock.
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/random.h"
#include "http/h1.h"
#include "proxy/buffer_pool.h"
#include "proxy/cluster_cache.h"
#include "proxy/host_stats.h"
#include "proxy/settings.h"
#include "proxy/upstream/transport.h"
#include "proxy/upstream/upstream_pool.h"
#include "runtime/config_store.h"
#include "runtime/event_loop.h"
#include "stats/metrics.h"

namespace meshroute::proxy {

class DownstreamConnection;
class HttpStream;
class AccessLogWriter;

// Envoy's http2.* codec counters, all downstream HTTP/2 connections together.
struct Http2Counters {
  std::atomic<uint64_t> rx_reset{0};                // RST_STREAM from clients
  std::atomic<uint64_t> tx_reset{0};                // RST_STREAM the proxy sent
  std::atomic<uint64_t> goaway_sent{0};             // GOAWAY the proxy sent (drain or error)
  std::atomic<uint64_t> rx_messaging_error{0};      // connections ended for a protocol error
  std::atomic<uint64_t> outbound_control_flood{0};  // SETTINGS/PING floods (unread acks)
  std::atomic<uint64_t> header_overflow{0};         // header lists over the limits: 431
  std::atomic<int64_t> streams_active{0};
};

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
  std::atomic<uint64_t> mirrors_dropped{0};       // copies not sent: too many in flight
  std::atomic<uint64_t> internal_errors{0};       // coroutines that failed (logged)
  std::atomic<uint64_t> access_log_dropped{0};    // lines the writer could not keep up with
  Http2Counters http2;
  HostStatsTable hosts;
  AccessLogWriter* access_log = nullptr;   // null: lines go straight to stdout
  TransportFactory* transports = nullptr;  // null: plain TCP (tests put a fake here)
  runtime::DnsResolver* dns = nullptr;     // ServiceEntry DNS endpoints; null: per connection
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

  // Worker-thread only:
  [[nodiscard]] const std::shared_ptr<const runtime::ConfigGeneration>& config() const {
    return config_;
  }
  [[nodiscard]] const ProxySettings& settings() const { return shared_.settings; }
  SharedState& shared() { return shared_; }
  UpstreamPool& pool() { return pool_; }
  TransportFactory& transports() {
    return shared_.transports != nullptr ? *shared_.transports : tcpTransports();
  }
  ClusterCache& clusters() { return clusters_; }
  routing::DecisionMemo& decisions() { return decisions_; }
  core::Random& random() { return random_; }
  stats::MetricsShard& metrics() { return metrics_; }
  BufferPool& buffers() { return buffers_; }
  // Where connections parse request heads: the parse and the copy into a stream happen with no
  // wait between them, so one head per worker serves every connection.
  http::RequestHead& parseScratch() { return parse_scratch_; }
  std::unique_ptr<HttpStream> acquireStream();
  void releaseStream(std::unique_ptr<HttpStream> stream);
  [[nodiscard]] bool draining() const { return draining_; }
  void connectionStarted(DownstreamConnection* c);
  void connectionEnded(DownstreamConnection* c);
  // `from` hands its socket to `to` (an HTTP/1.1 connection that turned out to speak HTTP/2):
  // one connection in the counts, the new object in the set.
  void connectionHandedOff(DownstreamConnection* from, DownstreamConnection* to);
  // One access log line (ends in '\n'); never blocks the worker.
  void accessLog(std::string_view line);
  void logInternalError(std::string_view what, const std::exception_ptr& e);
  [[nodiscard]] size_t mirrorsInFlight() const { return mirrors_in_flight_; }
  void mirrorStarted() { ++mirrors_in_flight_; }
  void mirrorEnded() { --mirrors_in_flight_; }
  void countMirrorDropped() { shared_.mirrors_dropped.fetch_add(1, std::memory_order_relaxed); }

 private:
  void acceptNext();
  void maybeFinishDrain();
  void scheduleTick();

  SharedState& shared_;
  runtime::EventLoopThread loop_;
  std::optional<boost::asio::ip::tcp::acceptor> acceptor_;
  std::optional<boost::asio::steady_timer> tick_;
  std::shared_ptr<const runtime::ConfigGeneration> config_;
  UpstreamPool pool_;
  ClusterCache clusters_;
  routing::DecisionMemo decisions_;
  core::Random random_;
  stats::MetricsShard& metrics_;
  BufferPool buffers_;
  http::RequestHead parse_scratch_;
  std::vector<std::unique_ptr<HttpStream>> free_streams_;
  std::unordered_set<DownstreamConnection*> connections_;
  std::string log_batch_;  // access log lines not yet handed to the writer
  size_t mirrors_in_flight_ = 0;
  bool draining_ = false;
  std::function<void()> drained_;
};

}  // namespace meshroute::proxy
