// Plain TCP under the Transport interface.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "proxy/send_now.h"
#include "proxy/upstream/transport.h"

namespace meshroute::proxy {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;

class TcpTransport final : public Transport {
 public:
  explicit TcpTransport(asio::io_context& io) : socket_(io) {}

  awaitable<bool> connect(const asio::ip::tcp::endpoint& endpoint) override {
    boost::system::error_code ec;
    co_await socket_.async_connect(endpoint, asio::redirect_error(use_awaitable, ec));
    if (ec || !socket_.is_open()) co_return false;
    socket_.set_option(asio::ip::tcp::no_delay(true), ec);
    co_return true;
  }

  bool trySend(SendParts& parts) override { return sendNow(socket_.native_handle(), parts); }

  // Straight to Asio, which tries the write before it waits: callers that could afford a
  // sendNow() made it already.
  awaitable<bool> send(SendParts parts) override {
    const std::array<asio::const_buffer, 3> bufs{asio::buffer(parts[0].data(), parts[0].size()),
                                                 asio::buffer(parts[1].data(), parts[1].size()),
                                                 asio::buffer(parts[2].data(), parts[2].size())};
    boost::system::error_code ec;
    co_await asio::async_write(socket_, bufs, asio::redirect_error(use_awaitable, ec));
    co_return !ec;
  }

  // Asio's awaitable itself, not a coroutine around it: no frame of its own. A failed read
  // completes with 0 bytes; the error is kept only so that the awaitable has somewhere to put
  // it.
  awaitable<size_t> readSome(asio::mutable_buffer buf) override {
    return socket_.async_read_some(buf, asio::redirect_error(use_awaitable, read_error_));
  }

  void close() override {
    boost::system::error_code ec;
    socket_.close(ec);
  }

  [[nodiscard]] bool isOpen() const override { return socket_.is_open(); }

  void setKeepalive(const upstream::KeepalivePolicy& policy) override {
    if (socket_.is_open()) setSocketKeepalive(socket_.native_handle(), policy);
  }

  // A one-byte read, not a readiness wait: Asio re-registers the socket with epoll for every
  // wait (a system call, and a spurious wake-up for the writable socket), while a read on a
  // socket its last read drained just queues.
  void watchIdle(std::function<void()> on_close) override {
    socket_.async_read_some(
        asio::buffer(&watch_byte_, 1),
        [on_close = std::move(on_close)](const boost::system::error_code& e, size_t) {
          if (e == asio::error::operation_aborted) return;
          on_close();
        });
  }

  void cancelWatch() override {
    boost::system::error_code ec;
    socket_.cancel(ec);
  }

 private:
  asio::ip::tcp::socket socket_;
  boost::system::error_code read_error_;
  char watch_byte_ = 0;  // where the idle watch's read lands
};

class TcpTransportFactory final : public TransportFactory {
 public:
  std::unique_ptr<Transport> create(asio::io_context& io) override {
    return std::make_unique<TcpTransport>(io);
  }
};

}  // namespace

void setSocketKeepalive(int fd, const upstream::KeepalivePolicy& policy) {
  if (!policy.enabled) return;
  const int on = 1;
  (void)::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  auto set = [fd](int option, uint32_t value) {
    if (value == 0) return;
    const int v = static_cast<int>(std::min<uint32_t>(value, 32767));  // the kernel's cap
    (void)::setsockopt(fd, IPPROTO_TCP, option, &v, sizeof v);
  };
  set(TCP_KEEPCNT, policy.probes);
  set(TCP_KEEPIDLE, policy.time_seconds);
  set(TCP_KEEPINTVL, policy.interval_seconds);
}

TransportFactory& tcpTransports() {
  static TcpTransportFactory factory;
  return factory;
}

}  // namespace meshroute::proxy
