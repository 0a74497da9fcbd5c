#include "proxy/downstream/h1_connection.h"

#include <fmt/format.h>
#include <sys/socket.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <exception>

#include "proxy/downstream/h1_codec.h"
#include "proxy/downstream/h2_codec.h"
#include "proxy/downstream/h2_connection.h"
#include "proxy/http_stream.h"
#include "proxy/proxy_error.h"
#include "proxy/send_now.h"
#include "proxy/upstream/upstream_pool.h"
#include "proxy/worker.h"

namespace meshroute::proxy {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;

namespace {

// A request whose upstream (or fault delay, or back-off) has kept it this long starts watching
// its client for a close. Shorter waits never pay for the watch.
constexpr auto kWatchAfter = std::chrono::milliseconds(200);
// A small unread request body is read and dropped so the connection can serve the next
// request; anything larger closes the connection instead.
constexpr uint64_t kMaxDiscard = uint64_t{64} * 1024;

std::string endpointString(const asio::ip::tcp::endpoint& e) {
  return fmt::format("{}:{}", e.address().to_string(), e.port());
}

}  // namespace

H1Connection::H1Connection(ProxyWorker& worker, asio::ip::tcp::socket socket)
    : worker_(worker), socket_(std::move(socket)), chunks_(worker.settings().limits) {
  boost::system::error_code ec;
  auto remote = socket_.remote_endpoint(ec);
  if (!ec) {
    info_.client_ip = remote.address().to_string();
    info_.remote_address = endpointString(remote);
  }
  auto local = socket_.local_endpoint(ec);
  if (!ec) info_.local_address = endpointString(local);
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  worker_.connectionStarted(this);
}

H1Connection::~H1Connection() {
  if (stream_) endStream();
  if (in_) worker_.buffers().release(std::move(in_));
  if (!handed_off_) worker_.connectionEnded(this);
}

void H1Connection::start() {
  // A new connection's request is usually there already: onReadable reads without waiting, and
  // a client that connects and sends nothing gets the same wait as between requests.
  onReadable({});
}

void H1Connection::waitForRequest() {
  idle_ = true;
  releaseBufferIfEmpty();
  idle_deadline_ = Clock::now() + worker_.settings().idle_timeout;
  // A readiness wait, not a read: an idle connection holds no buffer and no coroutine frame.
  socket_.async_wait(
      asio::socket_base::wait_read,
      [self = shared_from_this()](const boost::system::error_code& ec) { self->onReadable(ec); });
}

void H1Connection::onReadable(const boost::system::error_code& ec) {
  if (ec || closed_) {
    close();
    return;
  }
  takeBuffer();
  auto buf = in_->prepare();
  const ssize_t got = ::recv(socket_.native_handle(), buf.data(), buf.size(), MSG_DONTWAIT);
  if (got > 0) {
    in_->commit(static_cast<size_t>(got));
    if (first_read_) {
      switch (matchPreface(in_->readable())) {
        case PrefaceMatch::kYes: handOffToH2(); return;
        case PrefaceMatch::kPartial: waitForRequest(); return;  // keeps what came so far
        case PrefaceMatch::kNo: first_read_ = false; break;
      }
    }
    idle_ = false;
    auto self = shared_from_this();
    asio::co_spawn(
        socket_.get_executor(), [self]() { return self->run(); },
        [self](const std::exception_ptr& e) {
          if (!e) return;
          // Nothing escapes silently: log, and free the connection and what it holds.
          self->worker_.logInternalError("connection " + self->info_.remote_address, e);
          self->close();
        });
    return;
  }
  if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
    close();
    return;
  }
  waitForRequest();  // nothing there yet
}

void H1Connection::handOffToH2() {
  closed_ = true;
  handed_off_ = true;
  auto h2 = std::make_shared<H2Connection>(worker_, std::move(socket_), info_, std::move(in_));
  worker_.connectionHandedOff(this, h2.get());
  h2->start();
}

void H1Connection::onDrain() {
  if (idle_) close();
}

void H1Connection::onTick(Clock::time_point now) {
  if (closed_) return;
  if (idle_) {
    if (now >= idle_deadline_) close();  // ends the idle wait, and with it the connection
    return;
  }
  if (stream_) armDeadlines();  // a far deadline that came within reach
  if (watching_ || upstream_wait_since_ == Clock::time_point{} || !body_done_) return;
  if (now - upstream_wait_since_ >= kWatchAfter) startDisconnectWatch();
}

const RequestHead& H1Connection::request() const { return stream_->head(); }

// ---- the request loop ------------------------------------------------------------------

awaitable<void> H1Connection::run() {
  auto self = shared_from_this();
  bool idle = false;
  while (!closed_) {
    beginStream();
    // Usually the whole head is in already: parsed without another coroutine frame.
    const std::optional<HeadResult> parsed = parseHead();
    const HeadResult r = parsed ? *parsed : co_await readHead();
    if (r == HeadResult::kClose) {
      endStream();
      break;
    }
    bool keep = false;
    if (r == HeadResult::kRequest) {
      copyHead();
      const RequestHead& h = stream_->head();
      // Envoy answers 100-continue itself as soon as the head is in, and passes Expect on no
      // further.
      if (h.expect_continue && !body_done_ && !co_await write("HTTP/1.1 100 Continue\r\n\r\n")) {
        close();
      } else {
        keep = co_await stream_->serve(*this, info_);
        keep = keep && !closed_ && !close_after_ && !client_gone_ && h.keep_alive &&
               !worker_.draining();
        if (keep && !body_done_) keep = co_await discardBody();
      }
    } else {
      close_after_ = true;  // unknown framing: nothing after this head can be trusted
      body_done_ = false;
      const bool timeout = r == HeadResult::kTimeout;
      co_await stream_->serveCodecError(
          *this, info_, timeout ? 408 : parse_error_.error_status,
          timeout ? ProxyError::kHeaderTimeout : ProxyError::kDownstreamProtocol);
    }
    if (watching_) {
      boost::system::error_code ignored;
      socket_.cancel(ignored);  // ends the disconnect watch; nothing else waits on the socket
    }
    endStream();
    if (!keep) break;
    if (!in_ || in_->empty()) {  // no pipelined request behind this one
      idle = true;
      break;
    }
  }
  if (idle && !closed_) {
    waitForRequest();  // this coroutine ends; the wait's handler starts the next one
  } else {
    close();
  }
}

void H1Connection::beginStream() {
  stream_ = worker_.acquireStream();
  ++stream_serial_;
}

void H1Connection::endStream() {
  stream_->timers().reset();
  worker_.releaseStream(std::move(stream_));
  expired_.reset();
  upstream_ = nullptr;
  upstream_wait_since_ = {};
  response_started_ = false;
  head_held_ = false;
  chunked_out_ = false;
}

std::optional<H1Connection::HeadResult> H1Connection::parseHead() {
  if (!in_ || in_->empty()) return std::nullopt;
  const auto& s = worker_.settings();
  Deadlines& dl = stream_->timers().deadlines;
  parse_error_ = http::parseRequestHead(in_->readable(), s.limits, worker_.parseScratch());
  if (parse_error_.status == http::ParseStatus::kComplete) {
    dl.clear(DeadlineKind::kHeader);
    return HeadResult::kRequest;
  }
  if (parse_error_.status == http::ParseStatus::kError) return HeadResult::kInvalid;
  if (!dl.active(DeadlineKind::kHeader)) {
    dl.set(DeadlineKind::kHeader, Clock::now() + s.request_header_timeout);
    armDeadlines();
  }
  return std::nullopt;
}

awaitable<H1Connection::HeadResult> H1Connection::readHead() {
  while (true) {
    // Part of a head is in: the rest is read into the same buffer.
    takeBuffer();
    auto buf = in_->prepare();
    boost::system::error_code ec;
    size_t n = 0;
    if (buf.size() > 0) {
      n = co_await socket_.async_read_some(buf, asio::redirect_error(use_awaitable, ec));
      if (ec) n = 0;
      in_->commit(n);
    }
    if (n == 0) {
      if (expired_ == DeadlineKind::kHeader && !closed_) {
        expired_.reset();
        co_return HeadResult::kTimeout;
      }
      co_return HeadResult::kClose;  // closed, or a head the buffer can't hold
    }
    if (auto r = parseHead()) co_return *r;
  }
}

void H1Connection::copyHead() {
  RequestHead& h = stream_->head();
  // The views point into in_: copied before anything else can read into it.
  const http::RequestHead& parsed = worker_.parseScratch();
  toRequestHead(parsed, in_->readable().substr(0, parsed.head_bytes), h);
  in_->consume(parsed.head_bytes);
  chunked_ = parsed.framing == http::Framing::kChunked;
  chunks_.reset();
  body_left_ = h.content_length;
  body_done_ = !h.has_body;
  pending_consume_ = 0;
  close_after_ = false;
  client_gone_ = false;
}

// ---- request body ------------------------------------------------------------------------

awaitable<BodyRead> H1Connection::readBody(std::string_view& data) {
  data = {};
  if (pending_consume_ > 0) {
    in_->consume(pending_consume_);
    pending_consume_ = 0;
  }
  if (body_done_) co_return BodyRead::kEnd;
  while (true) {
    if (in_ && !in_->empty()) {
      const std::string_view avail = in_->readable();
      if (!chunked_) {
        const size_t take = static_cast<size_t>(std::min<uint64_t>(avail.size(), body_left_));
        body_left_ -= take;
        body_done_ = body_left_ == 0;
        data = avail.substr(0, take);
        pending_consume_ = take;
        co_return BodyRead::kData;
      }
      size_t off = 0;
      while (off < avail.size()) {
        const auto step = chunks_.feed(avail.substr(off));
        if (step.error) co_return BodyRead::kInvalid;
        off += step.consumed;
        if (step.done) body_done_ = true;
        if (!step.payload.empty()) {
          data = step.payload;
          pending_consume_ = off;
          co_return BodyRead::kData;
        }
        if (step.done) {
          in_->consume(off);
          co_return BodyRead::kEnd;
        }
        if (step.consumed == 0) break;
      }
      in_->consume(off);
    }
    takeBuffer();
    stream_->timers().deadlines.set(DeadlineKind::kStreamIdle,
                                    Clock::now() + worker_.settings().stream_idle_timeout);
    armDeadlines();
    if (co_await readMore() == 0) {
      if (!expired_) client_gone_ = true;
      co_return BodyRead::kClosed;
    }
  }
}

awaitable<bool> H1Connection::discardBody() {
  if (body_done_) co_return true;
  if (chunked_ || body_left_ > kMaxDiscard) co_return false;
  std::string_view data;
  while (true) {
    const BodyRead r = co_await readBody(data);
    if (r == BodyRead::kEnd) co_return true;
    if (r != BodyRead::kData) co_return false;
    stream_->log().bytes_received += data.size();
  }
}

// ---- response ------------------------------------------------------------------------------

bool H1Connection::encodeHeaders(const ResponseStart& start) {
  if (closed_) return false;
  const RequestHead& req = request();
  const int minor = req.version_minor;
  if (!req.keep_alive || worker_.draining() || !body_done_) close_after_ = true;
  std::string& out = stream_->wire();
  out.clear();
  const H1Framing framing = appendResponseHead(out, start, minor, close_after_);
  chunked_out_ = framing.chunked;
  close_after_ = framing.close;
  response_started_ = true;
  head_held_ = true;
  return true;
}

awaitable<bool> H1Connection::sendData(std::string_view data, bool end_stream) {
  std::array<std::string_view, 4> parts{};
  size_t n = 0;
  if (head_held_) {
    parts[n++] = stream_->wire();
    head_held_ = false;
  }
  std::array<char, 20> size_line{};
  if (chunked_out_) {
    if (!data.empty()) {
      auto r = fmt::format_to_n(size_line.data(), size_line.size(), "{:x}\r\n", data.size());
      parts[n++] = std::string_view(size_line.data(), r.size);
      parts[n++] = data;
      parts[n++] = end_stream ? std::string_view("\r\n0\r\n\r\n") : std::string_view("\r\n");
    } else if (end_stream) {
      parts[n++] = "0\r\n\r\n";
    }
  } else if (!data.empty()) {
    parts[n++] = data;
  }
  if (n == 0) co_return true;
  // What the socket takes now goes without waiting (a small response: all of it); only a rest
  // is written asynchronously. Here rather than through write(): one coroutine frame less.
  if (!sendNow(socket_.native_handle(), parts)) {
    client_gone_ = true;
    co_return false;
  }
  if (allSent(parts)) co_return true;
  std::array<asio::const_buffer, 4> bufs;
  for (size_t i = 0; i < parts.size(); ++i) {
    bufs[i] = asio::buffer(parts[i].data(), parts[i].size());
  }
  boost::system::error_code ec;
  co_await asio::async_write(socket_, bufs, asio::redirect_error(use_awaitable, ec));
  if (ec) client_gone_ = true;
  co_return !ec;
}

awaitable<bool> H1Connection::sendLocalReply(int status, std::string_view body,
                                             std::string_view extra_headers) {
  bool keep = !closed_ && !close_after_ && co_await discardBody();
  keep = keep && stream_->head().keep_alive && !worker_.draining();
  if (!keep) close_after_ = true;
  std::string& out = stream_->wire();
  out.clear();
  appendLocalResponse(out, status, body, extra_headers, close_after_,
                      stream_->head().version_minor);
  response_started_ = true;
  head_held_ = false;
  co_return co_await write(out);
}

awaitable<void> H1Connection::tunnel(std::unique_ptr<UpstreamConnection> upstream) {
  // Raw bytes both ways until either side closes; then both connections close.
  auto self = shared_from_this();
  stream_->timers().reset();
  close_after_ = true;
  std::shared_ptr<UpstreamConnection> up(std::move(upstream));
  upstream_ = nullptr;  // the pumps close it themselves
  // Upstream to client: what came after the 101 head first.
  asio::co_spawn(
      socket_.get_executor(),
      [self, up]() -> awaitable<void> {
        Transport& from = *up->transport;
        boost::system::error_code ec;
        if (!up->buffer->empty()) {
          auto data = up->buffer->readable();
          co_await asio::async_write(self->socket_, asio::buffer(data.data(), data.size()),
                                     asio::redirect_error(use_awaitable, ec));
          up->buffer->clear();
        }
        std::array<char, 16 * size_t{1024}> buf{};
        while (!ec) {
          const size_t n = co_await from.readSome(asio::buffer(buf));
          if (n == 0) break;
          co_await asio::async_write(self->socket_, asio::buffer(buf.data(), n),
                                     asio::redirect_error(use_awaitable, ec));
        }
        from.close();
        self->socket_.close(ec);
      },
      asio::detached);
  // Client to upstream: what the client sent after its request head first.
  Transport& to = *up->transport;
  bool ok = true;
  if (in_ && !in_->empty()) {
    ok = co_await to.send({in_->readable(), {}, {}});
    in_->clear();
  }
  std::array<char, 16 * size_t{1024}> buf{};
  while (ok) {
    boost::system::error_code ec;
    const size_t n = co_await socket_.async_read_some(asio::buffer(buf),
                                                      asio::redirect_error(use_awaitable, ec));
    if (ec) break;
    ok = co_await to.send({std::string_view(buf.data(), n), {}, {}});
  }
  to.close();
  close();
}

// ---- deadlines, the disconnect watch, buffers -----------------------------------------------

Deadlines& H1Connection::deadlines() { return stream_->timers().deadlines; }

void H1Connection::armDeadlines() {
  StreamTimers& t = stream_->timers();
  const auto e = t.deadlines.earliest();
  if (e >= t.scheduled || closed_) return;
  // A far deadline (the stream-idle and header timeouts: minutes) waits for the worker's tick
  // to bring it within reach, so a request that ends long before it costs no timer operation.
  if (e - Clock::now() > kDeadlineTimerHorizon) return;
  t.scheduled = e;
  t.deadline.expires_at(e);
  t.deadline.async_wait([self = shared_from_this(), serial = stream_serial_](
                            const boost::system::error_code& ec) { self->onTimer(ec, serial); });
}

void H1Connection::onTimer(const boost::system::error_code& ec, uint32_t stream_serial) {
  // A handler queued before its stream ended finds another stream here, or none: not its own.
  if (ec == asio::error::operation_aborted || closed_ || !stream_ ||
      stream_serial != stream_serial_) {
    return;
  }
  StreamTimers& t = stream_->timers();
  t.scheduled = Deadlines::kNever;
  const auto kind = t.deadlines.expired(Clock::now());
  if (!kind) {
    armDeadlines();  // early: the deadline moved on; wait for the one in force now
    return;
  }
  t.deadlines.clear(*kind);
  expired_ = kind;
  boost::system::error_code ignored;
  switch (*kind) {
    case DeadlineKind::kIdle: close(); break;
    case DeadlineKind::kHeader:
      // Cancel the read so the connection can answer 408 as Envoy does.
      socket_.cancel(ignored);
      break;
    case DeadlineKind::kConnect:
    case DeadlineKind::kPerTry:
    case DeadlineKind::kRoute:
      // Closing (not cancelling) makes every later operation on the upstream socket fail at
      // once, whatever the stream is doing at this instant.
      closeUpstream();
      t.sleep.cancel();
      break;
    case DeadlineKind::kStreamIdle: close(); break;
    case DeadlineKind::kDisconnectWatch: startDisconnectWatch(); break;
    case DeadlineKind::kCount: break;
  }
  armDeadlines();
}

void H1Connection::watchUpstream(UpstreamConnection* upstream) {
  upstream_ = upstream;
  if (upstream == nullptr) {
    upstream_wait_since_ = {};
  } else if (upstream_wait_since_ == Clock::time_point{}) {
    upstream_wait_since_ = Clock::now();
  }
}

std::optional<DeadlineKind> H1Connection::takeExpired() {
  auto e = expired_;
  expired_.reset();
  return e;
}

void H1Connection::wake() {
  if (stream_) stream_->timers().sleep.cancel();
}

awaitable<bool> H1Connection::sleep(std::chrono::milliseconds d) {
  upstream_wait_since_ = Clock::now();
  auto& timer = stream_->timers().sleep;
  timer.expires_after(d);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
  upstream_wait_since_ = {};
  co_return !ec && !client_gone_ && !closed_;
}

void H1Connection::startDisconnectWatch() {
  watching_ = true;
  socket_.async_wait(asio::socket_base::wait_read,
                     [self = shared_from_this()](const boost::system::error_code& ec) {
                       self->watching_ = false;
                       if (ec || self->closed_) return;
                       char c = 0;
                       const ssize_t n =
                           ::recv(self->socket_.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
                       if (n > 0) return;  // the client sent more (pipelining): not a close
                       if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
                       // The client went away: cancel the upstream request and any wait.
                       self->client_gone_ = true;
                       self->closeUpstream();
                       if (self->stream_) self->stream_->timers().sleep.cancel();
                     });
}

void H1Connection::takeBuffer() {
  if (!in_) in_ = worker_.buffers().acquire();
}

void H1Connection::releaseBufferIfEmpty() {
  if (in_ && in_->empty()) worker_.buffers().release(std::move(in_));
}

awaitable<size_t> H1Connection::readMore() {
  auto buf = in_->prepare();
  if (buf.size() == 0) co_return 0;
  boost::system::error_code ec;
  const size_t n = co_await socket_.async_read_some(buf, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return 0;
  in_->commit(n);
  co_return n;
}

awaitable<bool> H1Connection::write(std::string_view data) {
  std::array<std::string_view, 1> rest{data};
  if (!sendNow(socket_.native_handle(), rest)) {
    client_gone_ = true;
    co_return false;
  }
  if (rest[0].empty()) co_return true;
  boost::system::error_code ec;
  co_await asio::async_write(socket_, asio::buffer(rest[0].data(), rest[0].size()),
                             asio::redirect_error(use_awaitable, ec));
  if (ec) client_gone_ = true;
  co_return !ec;
}

void H1Connection::closeUpstream() {
  if (upstream_ != nullptr) upstream_->transport->close();
}

void H1Connection::close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  closeUpstream();
  if (stream_) stream_->timers().reset();
}

}  // namespace meshroute::proxy
