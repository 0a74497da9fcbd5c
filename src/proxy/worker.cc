#include "proxy/worker.h"

#include <boost/asio/post.hpp>
#include <random>

#include "proxy/session.h"

namespace meshroute::proxy {

namespace asio = boost::asio;

ProxyWorker::ProxyWorker(size_t index, SharedState& shared)
    : shared_(shared),
      loop_("mr-worker-" + std::to_string(index)),
      pool_(shared.settings.max_idle_upstream_per_host),
      random_(std::random_device{}() ^ (static_cast<uint64_t>(index) << 32)),
      metrics_(shared.metrics.shard(index)) {}

ProxyWorker::~ProxyWorker() {
  stop();
  join();
}

void ProxyWorker::start(asio::ip::tcp::acceptor acceptor) {
  acceptor_.emplace(std::move(acceptor));
  asio::post(loop_.context(), [this] { acceptNext(); });
  loop_.start();
}

void ProxyWorker::publish(std::shared_ptr<const runtime::ConfigGeneration> generation) {
  asio::post(loop_.context(), [this, generation = std::move(generation)]() mutable {
    config_ = std::move(generation);
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
      std::make_shared<Session>(*this, std::move(socket))->start();
    }
    acceptNext();
  });
}

void ProxyWorker::sessionStarted(Session* s) {
  sessions_.insert(s);
  shared_.connections.fetch_add(1, std::memory_order_relaxed);
  shared_.connections_total.fetch_add(1, std::memory_order_relaxed);
}

void ProxyWorker::sessionEnded(Session* s) {
  sessions_.erase(s);
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
    // Copy first: closing a session can end it and erase it from the set.
    std::vector<Session*> open(sessions_.begin(), sessions_.end());
    for (Session* s : open) {
      if (sessions_.count(s) > 0) s->onDrain();
    }
    maybeFinishDrain();
  });
}

void ProxyWorker::maybeFinishDrain() {
  if (!draining_ || !sessions_.empty() || !drained_) return;
  pool_.closeAll();
  auto done = std::move(drained_);
  drained_ = nullptr;
  done();
}

void ProxyWorker::stop() { loop_.stop(); }

void ProxyWorker::join() { loop_.join(); }

}  // namespace meshroute::proxy
