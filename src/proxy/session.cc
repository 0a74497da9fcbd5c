#include "proxy/session.h"

#include <fmt/format.h>

#include <array>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "proxy/metrics_recorder.h"
#include "proxy/request_builder.h"
#include "proxy/worker.h"

namespace meshroute::proxy {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;

namespace {

constexpr size_t kReadChunk = 16 * size_t{1024};

std::string endpointString(const asio::ip::tcp::endpoint& e) {
  return fmt::format("{}:{}", e.address().to_string(), e.port());
}

}  // namespace

Session::Session(ProxyWorker& worker, asio::ip::tcp::socket socket)
    : worker_(worker),
      down_(std::move(socket)),
      deadline_(down_.get_executor()),
      in_(worker.settings().limits.max_head_bytes + kReadChunk) {
  boost::system::error_code ec;
  auto remote = down_.remote_endpoint(ec);
  if (!ec) {
    client_ip_ = remote.address().to_string();
    remote_address_ = endpointString(remote);
  }
  auto local = down_.local_endpoint(ec);
  if (!ec) local_address_ = endpointString(local);
  down_.set_option(asio::ip::tcp::no_delay(true), ec);
  worker_.sessionStarted(this);
}

Session::~Session() { worker_.sessionEnded(this); }

void Session::start() {
  auto self = shared_from_this();
  asio::co_spawn(
      down_.get_executor(), [self]() { return self->run(); }, asio::detached);
  asio::co_spawn(
      down_.get_executor(), [self]() { return self->watchdog(); }, asio::detached);
}

void Session::onDrain() {
  if (idle_) close();
}

// Deadlines are lazy: arming only stores a time point. The timer is moved only when the new
// deadline is earlier than the one it is set for; when it fires early, the watchdog sets it to
// the deadline now in force. A request that finishes within its timeouts (nearly all of them)
// costs no timer operation at all.
void Session::arm(Phase phase, std::chrono::milliseconds timeout) {
  phase_ = phase;
  deadline_at_ = Clock::now() + timeout;
  if (deadline_at_ < scheduled_) {
    scheduled_ = deadline_at_;
    deadline_.expires_at(deadline_at_);
  }
}

void Session::disarm() {
  phase_ = Phase::kNone;
  deadline_at_ = Clock::time_point::max();
}

awaitable<void> Session::watchdog() {
  auto self = shared_from_this();
  while (!closed_) {
    boost::system::error_code ec;
    co_await deadline_.async_wait(asio::redirect_error(use_awaitable, ec));
    if (closed_) break;
    if (deadline_at_ > Clock::now()) {
      // Early (the deadline moved on, or was disarmed): wait for the one in force now.
      scheduled_ = deadline_at_;
      deadline_.expires_at(deadline_at_);
      continue;
    }
    expired_ = phase_;
    deadline_at_ = Clock::time_point::max();
    scheduled_ = deadline_at_;
    deadline_.expires_at(deadline_at_);
    // Closing (not cancelling) makes every later operation on the socket fail at once, so no
    // wait can outlive its deadline whatever the coroutine is doing at this instant.
    if (expired_ == Phase::kConnect || expired_ == Phase::kResponse) {
      closeUpstream();
    } else if (expired_ == Phase::kHeader) {
      // The head is late: cancel the read so the session can answer 408 as Envoy does; the
      // answer's write is bounded by the stream timeout it arms.
      boost::system::error_code ignored;
      down_.cancel(ignored);
    } else {
      closeUpstream();
      boost::system::error_code ignored;
      down_.close(ignored);
    }
  }
}

void Session::closeUpstream() {
  if (up_) {
    boost::system::error_code ec;
    up_->socket.close(ec);
  }
}

void Session::close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ec;
  down_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  down_.close(ec);
  closeUpstream();
  deadline_.cancel();
}

awaitable<void> Session::run() {
  auto self = shared_from_this();
  while (!closed_) {
    if (!co_await readHead()) break;
    idle_ = false;
    bool keep = co_await serve();
    idle_ = true;
    if (!keep || worker_.draining()) break;
  }
  close();
}

awaitable<size_t> Session::readDownstream() {
  auto buf = in_.prepare();
  if (buf.size() == 0) co_return 0;
  boost::system::error_code ec;
  size_t n = co_await down_.async_read_some(buf, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return 0;
  in_.commit(n);
  co_return n;
}

awaitable<size_t> Session::readUpstream() {
  auto buf = up_->buffer.prepare();
  if (buf.size() == 0) co_return 0;
  boost::system::error_code ec;
  size_t n = co_await up_->socket.async_read_some(buf, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return 0;
  up_->buffer.commit(n);
  co_return n;
}

awaitable<bool> Session::writeDownstream(std::string_view data) {
  boost::system::error_code ec;
  co_await asio::async_write(down_, asio::buffer(data.data(), data.size()),
                             asio::redirect_error(use_awaitable, ec));
  co_return !ec;
}

awaitable<bool> Session::writeDownstream(std::string_view first, std::string_view second) {
  const std::array<asio::const_buffer, 2> parts{asio::buffer(first.data(), first.size()),
                                                asio::buffer(second.data(), second.size())};
  boost::system::error_code ec;
  co_await asio::async_write(down_, parts, asio::redirect_error(use_awaitable, ec));
  co_return !ec;
}

awaitable<bool> Session::writeUpstream(std::string_view data) {
  boost::system::error_code ec;
  co_await asio::async_write(up_->socket, asio::buffer(data.data(), data.size()),
                             asio::redirect_error(use_awaitable, ec));
  co_return !ec;
}

awaitable<bool> Session::readHead() {
  const auto& s = worker_.settings();
  while (true) {
    if (!in_.empty()) {
      auto r = http::parseRequestHead(in_.readable(), s.limits, head_);
      if (r.status == http::ParseStatus::kComplete) break;
      if (r.status == http::ParseStatus::kError) {
        beginRequest();
        request_body_done_ = false;  // unknown framing: close after the answer
        co_await replyWith(r.error_status, http::reasonPhrase(r.error_status), "", "DPE",
                           "http1.codec_error");
        finishRequest();
        co_return false;
      }
    }
    if (in_.empty()) {
      arm(Phase::kIdle, s.idle_timeout);
    } else {
      idle_ = false;
      if (phase_ != Phase::kHeader) arm(Phase::kHeader, s.request_header_timeout);
    }
    if (co_await readDownstream() == 0) {
      disarm();
      if (expired_ == Phase::kHeader && !closed_) {
        expired_ = Phase::kNone;
        beginRequest();
        request_body_done_ = false;  // close after the answer
        co_await reply(ProxyError::kHeaderTimeout);
        finishRequest();
      }
      co_return false;  // closed, timed out or the buffer can't hold a legal head
    }
  }
  disarm();
  co_return true;
}

awaitable<bool> Session::serve() {
  beginRequest();
  config_ = worker_.config();
  toRoutingRequest(head_, client_ip_, request_);
  request_body_left_ = head_.framing == http::Framing::kContentLength ? head_.content_length : 0;
  request_body_done_ =
      head_.framing == http::Framing::kNone ||
      (head_.framing == http::Framing::kContentLength && head_.content_length == 0);
  request_chunks_.reset();
  stale_ = false;
  request_id_generated_ = false;
  log_.method.assign(head_.method);
  log_.path = request_.path;
  log_.protocol = head_.version_minor == 0 ? "HTTP/1.0" : "HTTP/1.1";
  log_.authority = request_.authority;
  log_.user_agent.assign(http::findHeader(head_.headers, "user-agent"));
  log_.request_id.assign(http::findHeader(head_.headers, "x-request-id"));
  log_.forwarded_for.assign(http::findHeader(head_.headers, "x-forwarded-for"));
  in_.consume(head_.head_bytes);
  // The head's views point into in_, which the next read may move: nothing below reads them
  // after this point except through copies (request_, log_) and buildUpstreamHead, which runs
  // before any further read.

  // Envoy answers 100-continue itself as soon as the head is in, and does not pass Expect on.
  if (head_.expect_continue && !request_body_done_) {
    arm(Phase::kStream, worker_.settings().stream_idle_timeout);
    bool ok = co_await writeDownstream("HTTP/1.1 100 Continue\r\n\r\n");
    disarm();
    if (!ok) {
      finishRequest();
      co_return false;
    }
  }
  bool keep = true;
  if (!config_) {
    keep = co_await replyWith(503, "no configuration", "", "NC", "no_configuration");
  } else {
    // Clusters are resolved once per generation (ClusterCache), not in the decision.
    const std::shared_ptr<const routing::Decision> decision =
        config_->snapshot->decideShared(worker_.settings().proxy, request_, worker_.decisions());
    const routing::Decision& d = *decision;
    log_.route_name = d.route_name;
    switch (d.outcome) {
      case routing::Outcome::kRoute:
      case routing::Outcome::kError: {
        const routing::RoutedDestination* dest = nullptr;
        double total = 0;
        for (const auto& c : d.destinations) total += c.weight_percent;
        double r = worker_.random().uniform01() * total;
        for (const auto& c : d.destinations) {
          dest = &c;
          if (r < c.weight_percent) break;
          r -= c.weight_percent;
        }
        if (dest == nullptr) {
          keep = co_await reply(ProxyError::kNoRoute);
        } else {
          keep = co_await forward(d, *dest);
        }
        break;
      }
      case routing::Outcome::kRedirect: {
        std::string location = fmt::format("location: {}\r\n", d.redirect_location);
        keep = co_await replyWith(d.status, "", location, "", "via_redirect");
        break;
      }
      case routing::Outcome::kDirectResponse:
        keep = co_await replyWith(d.status, d.body, "", "", "direct_response");
        break;
      case routing::Outcome::kNoRoute:
      case routing::Outcome::kNoListener: keep = co_await reply(ProxyError::kNoRoute); break;
    }
  }
  finishRequest();
  co_return keep&& head_.keep_alive && !worker_.draining();
}

void Session::beginRequest() {
  log_.reset();
  log_.start = Clock::now();
  log_.start_wall = std::chrono::system_clock::now();
  worker_.shared().active_requests.fetch_add(1, std::memory_order_relaxed);
}

void Session::finishRequest() {
  worker_.shared().active_requests.fetch_sub(1, std::memory_order_relaxed);
  recordRequest(worker_, log_);
  if (worker_.settings().access_log != AccessLogFormat::kOff) {
    out_.clear();
    appendAccessLog(out_, log_, worker_.settings().access_log, local_address_, remote_address_);
    writeAccessLog(out_);
  }
  config_.reset();
}

awaitable<bool> Session::reply(ProxyError error) {
  LocalReply r = localReplyFor(error);
  co_return co_await replyWith(r.status, r.body, "", r.flag, r.details);
}

awaitable<bool> Session::discardRequestBody() {
  // A small unread body is read and dropped so the connection can serve the next request;
  // anything larger closes the connection instead of reading it all.
  constexpr uint64_t kMaxDiscard = uint64_t{64} * 1024;
  if (request_body_done_) co_return true;
  if (head_.framing != http::Framing::kContentLength || request_body_left_ > kMaxDiscard) {
    co_return false;
  }
  arm(Phase::kStream, worker_.settings().stream_idle_timeout);
  while (request_body_left_ > 0) {
    if (in_.empty() && co_await readDownstream() == 0) co_return false;
    size_t n = std::min<uint64_t>(in_.size(), request_body_left_);
    in_.consume(n);
    request_body_left_ -= n;
    log_.bytes_received += n;
  }
  disarm();
  request_body_done_ = true;
  co_return true;
}

awaitable<bool> Session::replyWith(int status, std::string_view body,
                                   std::string_view extra_headers, std::string_view flag,
                                   std::string_view details) {
  bool keep = !closed_ && co_await discardRequestBody();
  keep = keep && head_.keep_alive && !worker_.draining();
  log_.status = status;
  log_.addFlag(flag);
  log_.details.assign(details);
  log_.bytes_sent = body.size();
  out_.clear();
  appendLocalResponse(out_, status, body, extra_headers, !keep, head_.version_minor);
  arm(Phase::kStream, worker_.settings().stream_idle_timeout);
  bool ok = co_await writeDownstream(out_);
  disarm();
  co_return ok&& keep;
}

}  // namespace meshroute::proxy
