#include "proxy/worker.h"

#include <fmt/format.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <random>

#include "proxy/access_log_writer.h"
#include "proxy/downstream/h1_connection.h"
#include "proxy/http_stream.h"

namespace meshroute::proxy {

namespace asio = boost::asio;

namespace {

constexpr auto kTick = std::chrono::milliseconds(100);
constexpr size_t kLogBatch = 16 * size_t{1024};
constexpr size_t kReadBuffer = 16 * size_t{1024};
constexpr size_t kMaxFreeStreams = 256;

}  // namespace

ProxyWorker::ProxyWorker(size_t index, SharedState& shared)
    : shared_(shared),
      loop_("mr-worker-" + std::to_string(index)),
      pool_(shared.settings.max_idle_upstream_per_host),
      random_(std::random_device{}() ^ (static_cast<uint64_t>(index) << 32)),
      metrics_(shared.metrics.shard(index)),
      // A few spare buffers cover the connections that read at the same instant; more would
      // only keep memory that bursts of connections leave behind.
      buffers_(shared.settings.limits.max_head_bytes + kReadBuffer, 8) {}

ProxyWorker::~ProxyWorker() {
  stop();
  join();
  // Connections still open past the drain time die with their coroutines here, not when the
  // loop is destroyed after the buffers, streams and sets their destructors give back to.
  loop_.abandonPending();
}

void ProxyWorker::start(asio::ip::tcp::acceptor acceptor) {
  acceptor_.emplace(std::move(acceptor));
  asio::post(loop_.context(), [this] {
    acceptNext();
    scheduleTick();
  });
  loop_.start();
}

void ProxyWorker::publish(std::shared_ptr<const runtime::ConfigGeneration> generation) {
  asio::post(loop_.context(), [this, generation = std::move(generation)]() mutable {
    config_ = std::move(generation);
    const runtime::TlsContextTable* tls = config_ ? config_->tls.get() : nullptr;
    pool_.closeIdleTlsUnless([tls](uint64_t id) { return tls != nullptr && tls->holds(id); });
  });
}

void ProxyWorker::acceptNext() {
  if (!acceptor_ || !acceptor_->is_open()) return;
  acceptor_->async_accept([this](boost::system::error_code ec, asio::ip::tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || draining_) return;
      // EMFILE and friends: keep accepting; the failed connection is gone either way.
      acceptNext();
      return;
    }
    const auto& s = shared_.settings;
    if (shared_.connections.load(std::memory_order_relaxed) >= s.max_connections || !config_) {
      shared_.rejected_connections.fetch_add(1, std::memory_order_relaxed);
      boost::system::error_code ignored;
      socket.close(ignored);
    } else {
      std::make_shared<H1Connection>(*this, std::move(socket))->start();
    }
    acceptNext();
  });
}

// The worker's clock tick: hands the access log batch to its writer, closes connections idle
// past their timeout, and lets requests that wait long on their upstream watch their client.
void ProxyWorker::scheduleTick() {
  if (!tick_) tick_.emplace(loop_.context());
  tick_->expires_after(kTick);
  tick_->async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    if (shared_.access_log != nullptr && !log_batch_.empty()) {
      shared_.access_log->submit(log_batch_);
    }
    const auto now = std::chrono::steady_clock::now();
    // Copy first: a tick can close a connection, which erases it from the set.
    std::vector<DownstreamConnection*> open(connections_.begin(), connections_.end());
    for (DownstreamConnection* c : open) {
      if (connections_.count(c) > 0) c->onTick(now);
    }
    scheduleTick();
  });
}

void ProxyWorker::accessLog(std::string_view line) {
  if (shared_.access_log == nullptr) {
    std::string_view rest = line;
    while (!rest.empty()) {
      const ssize_t n = ::write(STDOUT_FILENO, rest.data(), rest.size());
      if (n <= 0) return;
      rest.remove_prefix(static_cast<size_t>(n));
    }
    return;
  }
  log_batch_.append(line);
  if (log_batch_.size() >= kLogBatch) shared_.access_log->submit(log_batch_);
}

void ProxyWorker::logInternalError(std::string_view what, const std::exception_ptr& e) {
  shared_.internal_errors.fetch_add(1, std::memory_order_relaxed);
  std::string reason = "unknown";
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    reason = ex.what();
  } catch (...) {
  }
  fmt::print(stderr, "meshroute: {}: internal error: {}\n", what, reason);
}

std::unique_ptr<HttpStream> ProxyWorker::acquireStream() {
  if (free_streams_.empty()) return std::make_unique<HttpStream>(*this);
  auto s = std::move(free_streams_.back());
  free_streams_.pop_back();
  return s;
}

void ProxyWorker::releaseStream(std::unique_ptr<HttpStream> stream) {
  if (stream && free_streams_.size() < kMaxFreeStreams) free_streams_.push_back(std::move(stream));
}

void ProxyWorker::connectionStarted(DownstreamConnection* c) {
  connections_.insert(c);
  shared_.connections.fetch_add(1, std::memory_order_relaxed);
  shared_.connections_total.fetch_add(1, std::memory_order_relaxed);
}

void ProxyWorker::connectionHandedOff(DownstreamConnection* from, DownstreamConnection* to) {
  connections_.erase(from);
  connections_.insert(to);
}

void ProxyWorker::connectionEnded(DownstreamConnection* c) {
  connections_.erase(c);
  shared_.connections.fetch_sub(1, std::memory_order_relaxed);
  maybeFinishDrain();
}

void ProxyWorker::drain(std::function<void()> done) {
  asio::post(loop_.context(), [this, done = std::move(done)]() mutable {
    draining_ = true;
    drained_ = std::move(done);
    if (acceptor_) {
      boost::system::error_code ec;
      acceptor_->close(ec);
    }
    // Copy first: closing a connection can end it and erase it from the set.
    std::vector<DownstreamConnection*> open(connections_.begin(), connections_.end());
    for (DownstreamConnection* c : open) {
      if (connections_.count(c) > 0) c->onDrain();
    }
    maybeFinishDrain();
  });
}

void ProxyWorker::maybeFinishDrain() {
  if (!draining_ || !connections_.empty() || !drained_) return;
  pool_.closeAll();
  if (tick_) tick_->cancel();
  if (shared_.access_log != nullptr) shared_.access_log->submit(log_batch_);
  auto done = std::move(drained_);
  drained_ = nullptr;
  done();
}

void ProxyWorker::stop() { loop_.stop(); }

void ProxyWorker::join() { loop_.join(); }

}  // namespace meshroute::proxy
