#include "admin/admin_server.h"

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "admin/admin_pages.h"
#include "http/h1.h"
#include "proxy/io_buffer.h"

namespace meshroute::admin {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;

namespace {

constexpr auto kAdminTimeout = std::chrono::seconds(30);

struct AdminConnection {
  explicit AdminConnection(asio::ip::tcp::socket s)
      : socket(std::move(s)), deadline(socket.get_executor()) {}
  asio::ip::tcp::socket socket;
  asio::steady_timer deadline;
  bool open = true;
};

// Closes the connection when its deadline passes; owns a reference so it can't dangle.
awaitable<void> watchdog(std::shared_ptr<AdminConnection> conn) {
  boost::system::error_code ec;
  while (conn->open) {
    co_await conn->deadline.async_wait(asio::redirect_error(use_awaitable, ec));
    if (conn->open && conn->deadline.expiry() <= std::chrono::steady_clock::now()) {
      conn->socket.close(ec);
    }
  }
}

// One admin connection: small requests, answers computed on this thread; every wait bounded.
awaitable<void> serveConnection(AdminServer& admin, std::shared_ptr<AdminConnection> conn) {
  http::Limits limits;
  limits.max_head_bytes = 16 * size_t{1024};
  proxy::IoBuffer in(limits.max_head_bytes + 1024);
  http::RequestHead head;
  auto& socket = conn->socket;
  while (socket.is_open()) {
    conn->deadline.expires_after(kAdminTimeout);
    http::ParseResult r;
    while (true) {
      r = http::parseRequestHead(in.readable(), limits, head);
      if (r.status != http::ParseStatus::kIncomplete) break;
      auto buf = in.prepare();
      boost::system::error_code ec;
      size_t n = co_await socket.async_read_some(buf, asio::redirect_error(use_awaitable, ec));
      if (ec || n == 0) break;
      in.commit(n);
    }
    if (r.status != http::ParseStatus::kComplete) break;
    std::string method(head.method);
    std::string target(head.target);
    bool keep = head.keep_alive && head.framing == http::Framing::kNone;
    in.consume(r.consumed);
    AdminServer::Response resp = admin.handle(method, target);
    std::string out = fmt::format(
        "HTTP/1.1 {} {}\r\ncontent-type: {}\r\ncontent-length: {}\r\ncache-control: "
        "no-cache, max-age=0\r\nx-content-type-options: nosniff\r\n{}\r\n",
        resp.status, http::reasonPhrase(resp.status), resp.content_type, resp.body.size(),
        keep ? "" : "connection: close\r\n");
    if (method != "HEAD") out += resp.body;
    boost::system::error_code ec;
    co_await asio::async_write(socket, asio::buffer(out), asio::redirect_error(use_awaitable, ec));
    if (ec || !keep) break;
  }
  conn->open = false;
  conn->deadline.cancel();
  boost::system::error_code ec;
  socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket.close(ec);
}

}  // namespace

AdminServer::AdminServer(proxy::ProxyServer& server, runtime::Address address)
    : server_(server), address_(std::move(address)) {}

AdminServer::~AdminServer() { stop(); }

bool AdminServer::start(std::string& error) {
  acceptor_ = runtime::openListener(loop_.context(), address_, false, error);
  if (!acceptor_) return false;
  address_.port = acceptor_->local_endpoint().port();
  asio::post(loop_.context(), [this] { acceptNext(); });
  loop_.start();
  return true;
}

void AdminServer::stop() {
  loop_.stop();
  loop_.join();
}

void AdminServer::acceptNext() {
  acceptor_->async_accept([this](boost::system::error_code ec, asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      auto conn = std::make_shared<AdminConnection>(std::move(socket));
      asio::co_spawn(loop_.context(), watchdog(conn), asio::detached);
      asio::co_spawn(loop_.context(), serveConnection(*this, conn), asio::detached);
    }
    acceptNext();
  });
}

AdminServer::Response AdminServer::handle(std::string_view method, std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  std::string_view query = path.size() < target.size() ? target.substr(path.size() + 1) : "";
  Response r;
  if (path == "/ready") {
    if (server_.ready()) {
      r.body = "LIVE\n";
    } else {
      r.status = 503;
      r.body = server_.shuttingDown() ? "DRAINING\n" : "PRE_INITIALIZING\n";
    }
  } else if (path == "/stats/prometheus") {
    r.content_type = "text/plain; version=0.0.4; charset=UTF-8";
    r.body = prometheusPage(server_);
  } else if (path == "/config_dump") {
    r.content_type = "application/json";
    r.body = configDumpPage(server_);
  } else if (path == "/clusters") {
    bool json = query.find("format=json") != std::string_view::npos;
    if (json) r.content_type = "application/json";
    r.body = clustersPage(server_, json);
  } else if (path == "/routes") {
    r.content_type = "application/json";
    r.body = routesPage(server_);
  } else if (path == "/memory") {
    r.content_type = "application/json";
    r.body = memoryPage();
  } else if (path == "/quitquitquit") {
    if (method != "POST") {
      r.status = 405;
      r.body = "This endpoint requires POST\n";
    } else {
      r.body = "OK\n";
      auto& server = server_;
      asio::post(server.mainContext(),
                 [&server] { server.shutdown([&server] { server.mainContext().stop(); }); });
    }
  } else if (path == "/" || path == "/help") {
    r.body =
        "admin commands are:\n  /clusters: upstream clusters and endpoints\n  /config_dump: "
        "the effective configuration\n  /memory: heap and resident memory\n  /quitquitquit: drain "
        "and exit (POST)\n  /ready: "
        "readiness\n  /routes: compiled routes per host\n  /stats/prometheus: metrics\n";
  } else {
    r.status = 404;
    r.body = "invalid path. admin commands are listed at /help\n";
  }
  return r;
}

}  // namespace meshroute::admin
