#include "echo/echo_server.h"

#include <fmt/format.h>

#include <openssl/evp.h>

#include <array>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>
#include <variant>
#include <vector>

#include "api/message.h"
#include "core/random.h"
#include "http/h1.h"
#include "proxy/io_buffer.h"
#include "runtime/listener.h"

namespace meshroute::echo {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using namespace asio::experimental::awaitable_operators;  // a || b: the first of two waits

constexpr auto kIdleTimeout = std::chrono::seconds(60);

// What all workers share: the count behind --fail-first and the request log's lock.
struct Shared {
  std::atomic<uint64_t> answered{0};  // requests given their status so far
  std::mutex log_mutex;
};

// Incremental SHA-256 (OpenSSL's EVP interface) of a request body that is never stored.
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
  ~Sha256() { EVP_MD_CTX_free(ctx_); }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::string_view data) {
    if (!data.empty()) EVP_DigestUpdate(ctx_, data.data(), data.size());
  }
  // Lower-case hex digest; call once.
  std::string hex() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_, md.data(), &n);
    std::string out;
    out.reserve(2 * size_t{n});
    for (unsigned int i = 0; i < n; ++i) fmt::format_to(std::back_inserter(out), "{:02x}", md[i]);
    return out;
  }

 private:
  EVP_MD_CTX* ctx_;
};

// The request as the answer and the log describe it, copied out of the read buffer.
struct RequestInfo {
  std::string method;
  std::string path;
  std::string query;
  std::string host;
  nlohmann::json headers = nlohmann::json::object();  // lower-case names, duplicates joined
  int64_t body_bytes = 0;
  std::string body_sha256;
};

// --log-requests: one line per request, {"event":"request",...,"status":S,"headers":{...}}, or
// event "peer_closed" (status 0) when the peer closed the connection during /delay/ before the
// answer. Keys keep this order so that the lines read the same way every time.
void logRequest(Shared& shared, const EchoOptions& o, std::string_view event, const RequestInfo& r,
                int status) {
  nlohmann::ordered_json j = {{"event", event},
                              {"name", o.name},
                              {"method", r.method},
                              {"path", r.path},
                              {"query", r.query},
                              {"host", r.host},
                              {"body_bytes", r.body_bytes},
                              {"body_sha256", r.body_sha256},
                              {"status", status},
                              {"headers", r.headers}};
  std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  // A blocking write on the worker, which the data plane forbids: this is a test backend, and
  // the line must be out before the answer it describes, so that a client holding the answer
  // can rely on the line being there.
  std::lock_guard lock(shared.log_mutex);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

struct Connection {
  explicit Connection(asio::ip::tcp::socket s)
      : socket(std::move(s)), deadline(socket.get_executor()) {}
  asio::ip::tcp::socket socket;
  asio::steady_timer deadline;
  bool open = true;
};

awaitable<void> watchdog(std::shared_ptr<Connection> c) {
  boost::system::error_code ec;
  while (c->open) {
    co_await c->deadline.async_wait(asio::redirect_error(use_awaitable, ec));
    if (c->open && c->deadline.expiry() <= std::chrono::steady_clock::now()) c->socket.close(ec);
  }
}

awaitable<bool> writeAll(asio::ip::tcp::socket& s, std::string_view data) {
  boost::system::error_code ec;
  co_await asio::async_write(s, asio::buffer(data.data(), data.size()),
                             asio::redirect_error(use_awaitable, ec));
  co_return !ec;
}

awaitable<size_t> readMore(asio::ip::tcp::socket& s, proxy::IoBuffer& in) {
  auto buf = in.prepare();
  if (buf.size() == 0) co_return 0;
  boost::system::error_code ec;
  size_t n = co_await s.async_read_some(buf, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return 0;
  in.commit(n);
  co_return n;
}

// Reads and counts the body without keeping it (hashing it when `sha` is given). -1 when the
// connection broke.
awaitable<int64_t> consumeBody(asio::ip::tcp::socket& s, proxy::IoBuffer& in,
                               const http::RequestHead& head, Sha256* sha) {
  int64_t total = 0;
  if (head.framing == http::Framing::kContentLength) {
    uint64_t left = head.content_length;
    while (left > 0) {
      if (in.empty() && co_await readMore(s, in) == 0) co_return -1;
      size_t n = std::min<uint64_t>(in.size(), left);
      if (sha) sha->update(in.readable().substr(0, n));
      in.consume(n);
      left -= n;
      total += static_cast<int64_t>(n);
    }
  } else if (head.framing == http::Framing::kChunked) {
    http::ChunkedDecoder chunks;
    while (true) {
      auto step = chunks.feed(in.readable());
      if (step.error) co_return -1;
      if (sha) sha->update(step.payload);
      total += static_cast<int64_t>(step.payload.size());
      in.consume(step.consumed);
      if (step.done) break;
      if (step.consumed == 0 && co_await readMore(s, in) == 0) co_return -1;
    }
  }
  co_return total;
}

// "100ms", "2s", "1.5" (seconds): how long /delay/ waits.
std::chrono::milliseconds parseDelay(std::string_view text) {
  if (auto d = api::parseDuration(text))
    return std::chrono::milliseconds(d->totalNanos() / 1000000);
  double seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec == std::errc() && end == text.data() + text.size() && seconds >= 0) {
    return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  }
  return std::chrono::milliseconds(0);
}

awaitable<bool> waitTimer(asio::steady_timer& timer) {
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
  co_return !ec;
}

awaitable<size_t> readSome(asio::ip::tcp::socket& s, asio::mutable_buffer space) {
  boost::system::error_code ec;
  size_t n = co_await s.async_read_some(space, asio::redirect_error(use_awaitable, ec));
  co_return ec ? 0 : n;
}

// Waits for `timer` while watching the connection: false when the peer closed it first (a
// proxy giving up on the request: its timeout fired, or its own client went away), so that
// the wait ends there and tests can see it. Bytes that arrive meanwhile (a pipelined request)
// stay in `in` for the next parse.
awaitable<bool> waitWatchingPeer(asio::ip::tcp::socket& s, proxy::IoBuffer& in,
                                 asio::steady_timer& timer) {
  while (true) {
    auto space = in.prepare();
    if (space.size() == 0) {  // a full buffer: nothing more to read until this one is answered
      co_await waitTimer(timer);
      co_return true;
    }
    auto first = co_await (waitTimer(timer) || readSome(s, space));
    if (first.index() == 0) co_return true;
    const size_t n = std::get<1>(first);
    if (n == 0) co_return false;
    in.commit(n);
  }
}

awaitable<void> tunnelEcho(std::shared_ptr<Connection> c, proxy::IoBuffer& in) {
  if (!in.empty()) {
    if (!co_await writeAll(c->socket, in.readable())) co_return;
    in.clear();
  }
  std::array<char, 16 * size_t{1024}> buf{};
  boost::system::error_code ec;
  while (true) {
    c->deadline.expires_after(kIdleTimeout);
    size_t n = co_await c->socket.async_read_some(asio::buffer(buf),
                                                  asio::redirect_error(use_awaitable, ec));
    if (ec) break;
    if (!co_await writeAll(c->socket, std::string_view(buf.data(), n))) break;
  }
}

awaitable<void> serve(std::shared_ptr<Connection> c, const EchoOptions& o, core::Random& random,
                      Shared& shared) {
  http::Limits limits;
  proxy::IoBuffer in(limits.max_head_bytes + 16 * size_t{1024});
  http::RequestHead head;
  asio::steady_timer delay(c->socket.get_executor());
  // The client's address: a test tells connections apart by it.
  std::string remote;
  {
    boost::system::error_code ec;
    const auto peer = c->socket.remote_endpoint(ec);
    if (!ec) remote = fmt::format("{}:{}", peer.address().to_string(), peer.port());
  }
  while (c->socket.is_open()) {
    c->deadline.expires_after(kIdleTimeout);
    http::ParseResult r;
    while (true) {
      r = http::parseRequestHead(in.readable(), limits, head);
      if (r.status != http::ParseStatus::kIncomplete) break;
      if (co_await readMore(c->socket, in) == 0) break;
    }
    if (r.status == http::ParseStatus::kError) {
      co_await writeAll(
          c->socket, fmt::format("HTTP/1.1 {} {}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                                 r.error_status, http::reasonPhrase(r.error_status)));
      break;
    }
    if (r.status != http::ParseStatus::kComplete) break;
    // Copy what the answer needs before the body is read into the same buffer.
    RequestInfo req;
    for (const auto& h : head.headers) {
      std::string name(h.name);
      for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (req.headers.contains(name)) {
        req.headers[name] = req.headers[name].get<std::string>() + "," + std::string(h.value);
      } else {
        req.headers[name] = std::string(h.value);
      }
    }
    req.method = std::string(head.method);
    std::string target(head.target);
    req.host = std::string(head.host);
    const bool keep = head.keep_alive;
    const bool upgrade = head.upgrade;
    const int minor = head.version_minor;
    std::string upgrade_proto(http::findHeader(head.headers, "upgrade"));
    in.consume(r.consumed);
    req.path = target;
    if (auto q = target.find('?'); q != std::string::npos) {
      req.path = target.substr(0, q);
      req.query = target.substr(q + 1);
    }
    if (head.expect_continue && head.framing != http::Framing::kNone) {
      if (!co_await writeAll(c->socket, "HTTP/1.1 100 Continue\r\n\r\n")) break;
    }
    if (upgrade) {
      if (o.log_requests) {
        req.body_sha256 = Sha256().hex();
        logRequest(shared, o, "request", req, 101);
      }
      co_await writeAll(c->socket,
                        fmt::format("HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\n"
                                    "upgrade: {}\r\nx-echo-name: {}\r\n\r\n",
                                    upgrade_proto, o.name));
      co_await tunnelEcho(c, in);
      break;
    }
    std::unique_ptr<Sha256> sha = o.log_requests ? std::make_unique<Sha256>() : nullptr;
    req.body_bytes = co_await consumeBody(c->socket, in, head, sha.get());
    if (req.body_bytes < 0) break;
    if (sha) req.body_sha256 = sha->hex();
    int status = 200;
    if (req.path.rfind("/status/", 0) == 0) {
      int code = 0;
      auto sv = std::string_view(req.path).substr(8);
      auto [end, ec] = std::from_chars(sv.data(), sv.data() + sv.size(), code);
      if (ec == std::errc() && code >= 100 && code <= 599) status = code;
    } else if (req.path.rfind("/delay/", 0) == 0) {
      delay.expires_after(std::min<std::chrono::milliseconds>(parseDelay(req.path.substr(7)),
                                                              std::chrono::seconds(30)));
      c->deadline.expires_after(kIdleTimeout);
      if (!co_await waitWatchingPeer(c->socket, in, delay)) {
        if (o.log_requests) logRequest(shared, o, "peer_closed", req, 0);
        break;
      }
    }
    // The first --fail-first answers fail, then a --fail-rate share of the rest.
    if (shared.answered.fetch_add(1, std::memory_order_relaxed) < o.fail_first) {
      status = o.fail_status;
    } else if (o.fail_rate > 0 && random.uniform01() < o.fail_rate) {
      status = o.fail_status;
    }
    nlohmann::json j = {
        {"name", o.name},         {"version", o.version},         {"method", req.method},
        {"path", req.path},       {"query", req.query},           {"host", req.host},
        {"headers", req.headers}, {"body_bytes", req.body_bytes}, {"remote", remote}};
    std::string payload = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    const bool bodiless = req.method == "HEAD" || status == 204 || status == 304;
    std::string out = fmt::format(
        "HTTP/1.{} {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n"
        "x-echo-name: {}\r\nx-echo-version: {}\r\n{}\r\n",
        minor, status, http::reasonPhrase(status), bodiless && status != 200 ? 0 : payload.size(),
        o.name, o.version,
        !keep ? "connection: close\r\n" : (minor == 0 ? "connection: keep-alive\r\n" : ""));
    if (!bodiless) out += payload;
    if (o.log_requests) logRequest(shared, o, "request", req, status);
    if (!co_await writeAll(c->socket, out) || !keep) break;
  }
  c->open = false;
  c->deadline.cancel();
  boost::system::error_code ec;
  c->socket.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  c->socket.close(ec);
}

struct Worker {
  asio::io_context io{1};
  std::optional<asio::ip::tcp::acceptor> acceptor;
  core::Random random{std::random_device{}()};
  std::thread thread;
};

void acceptLoop(Worker& w, const EchoOptions& o, Shared& shared) {
  w.acceptor->async_accept(
      [&w, &o, &shared](boost::system::error_code ec, asio::ip::tcp::socket s) {
        if (ec == asio::error::operation_aborted) return;
        if (!ec) {
          s.set_option(asio::ip::tcp::no_delay(true), ec);
          auto c = std::make_shared<Connection>(std::move(s));
          asio::co_spawn(w.io, watchdog(c), asio::detached);
          asio::co_spawn(w.io, serve(c, o, w.random, shared), asio::detached);
        }
        acceptLoop(w, o, shared);
      });
}

}  // namespace

int runEcho(const EchoOptions& o) {
  auto address = runtime::parseAddress(o.listen);
  if (!address) {
    std::cerr << fmt::format("meshroute echo: --listen: want HOST:PORT, got \"{}\"\n", o.listen);
    return 2;
  }
  Shared shared;
  std::vector<std::unique_ptr<Worker>> workers;
  for (size_t i = 0; i < std::max<size_t>(o.workers, 1); ++i) {
    auto w = std::make_unique<Worker>();
    std::string error;
    w->acceptor = runtime::openListener(w->io, *address, true, error);
    if (!w->acceptor) {
      std::cerr << "meshroute echo: " << error << "\n";
      return 1;
    }
    // With port 0 the first listener picks the port; the others share it.
    if (address->port == 0) address->port = w->acceptor->local_endpoint().port();
    workers.push_back(std::move(w));
  }
  for (auto& w : workers) {
    acceptLoop(*w, o, shared);
    Worker* wp = w.get();
    w->thread = std::thread([wp] { wp->io.run(); });
  }
  std::cout << fmt::format("echo {} listening on {}", o.name, address->str()) << std::endl;
  asio::io_context main;
  asio::signal_set signals(main, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    for (auto& w : workers) w->io.stop();
  });
  main.run();
  for (auto& w : workers) w->thread.join();
  return 0;
}

}  // namespace meshroute::echo
