#include "proxy/downstream/h2_connection.h"

#include <sys/socket.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <exception>

#include "proxy/downstream/h2_stream.h"
#include "proxy/send_now.h"
#include "proxy/worker.h"

namespace meshroute::proxy {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;

namespace {

// One write's worth of frames: enough for a few full DATA frames, small enough that a slow
// client holds little.
constexpr size_t kWriteChunk = 64 * size_t{1024};
// Rapid reset (CVE-2023-44487): a client may reset this many streams at once, then this many
// a second, before the connection is closed with GOAWAY.
constexpr uint64_t kResetBurst = 1000;
constexpr uint64_t kResetRate = 33;
// CONTINUATION flood: HEADERS followed by more CONTINUATION frames than this is an attack.
constexpr size_t kMaxContinuations = 8;
// SETTINGS and PING floods: frames the proxy must answer, queued unanswered beyond this.
constexpr size_t kMaxOutboundAck = 1000;
constexpr size_t kMaxSettingsEntries = 32;

void bump(std::atomic<uint64_t>& counter) { counter.fetch_add(1, std::memory_order_relaxed); }

struct SessionCallbacks {
  nghttp2_session_callbacks* cbs = nullptr;
  SessionCallbacks() { nghttp2_session_callbacks_new(&cbs); }
  ~SessionCallbacks() { nghttp2_session_callbacks_del(cbs); }
  SessionCallbacks(const SessionCallbacks&) = delete;
  SessionCallbacks& operator=(const SessionCallbacks&) = delete;
};

struct SessionOptions {
  nghttp2_option* opt = nullptr;
  SessionOptions() { nghttp2_option_new(&opt); }
  ~SessionOptions() { nghttp2_option_del(opt); }
  SessionOptions(const SessionOptions&) = delete;
  SessionOptions& operator=(const SessionOptions&) = delete;
};

}  // namespace

H2Connection::H2Connection(ProxyWorker& worker, asio::ip::tcp::socket socket, ConnectionInfo info,
                           std::unique_ptr<IoBuffer> first_bytes)
    : worker_(worker),
      socket_(std::move(socket)),
      info_(std::move(info)),
      first_bytes_(std::move(first_bytes)),
      idle_since_(Clock::now()) {
  SessionCallbacks cb;
  nghttp2_session_callbacks_set_on_begin_headers_callback(cb.cbs, &H2Connection::onBeginHeaders);
  nghttp2_session_callbacks_set_on_header_callback(cb.cbs, &H2Connection::onHeader);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb.cbs, &H2Connection::onFrameRecv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb.cbs, &H2Connection::onDataChunk);
  nghttp2_session_callbacks_set_on_frame_send_callback(cb.cbs, &H2Connection::onFrameSend);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb.cbs, &H2Connection::onStreamClose);
  SessionOptions o;
  // Windows are given back as the upstream takes the bytes, not as they arrive.
  nghttp2_option_set_no_auto_window_update(o.opt, 1);
  nghttp2_option_set_stream_reset_rate_limit(o.opt, kResetBurst, kResetRate);
  nghttp2_option_set_max_continuations(o.opt, kMaxContinuations);
  nghttp2_option_set_max_outbound_ack(o.opt, kMaxOutboundAck);
  nghttp2_option_set_max_settings(o.opt, kMaxSettingsEntries);
  nghttp2_session_server_new2(&session_, cb.cbs, this, o.opt);
  const auto& lim = worker_.settings().limits;
  const std::array<nghttp2_settings_entry, 3> settings{{
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, limits_.max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<uint32_t>(limits_.initial_stream_window)},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<uint32_t>(lim.max_head_bytes)},
  }};
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings.data(), settings.size());
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, limits_.connection_window);
}

H2Connection::~H2Connection() {
  closed_ = true;  // callbacks nghttp2 makes while it frees the session find nothing to do
  nghttp2_session_del(session_);
  worker_.buffers().release(std::move(first_bytes_));
  worker_.connectionEnded(this);
}

void H2Connection::start() { spawn(&H2Connection::readLoop, "http2 connection "); }

void H2Connection::spawn(awaitable<void> (H2Connection::*loop)(), const char* what) {
  auto self = shared_from_this();
  asio::co_spawn(
      socket_.get_executor(), [self, loop]() { return ((*self).*loop)(); },
      [self, what](const std::exception_ptr& e) {
        if (!e) return;
        // Nothing escapes silently: log, and free the connection and what it holds.
        self->worker_.logInternalError(what + self->info_.remote_address, e);
        self->close();
      });
}

awaitable<void> H2Connection::readLoop() {
  auto self = shared_from_this();
  if (first_bytes_) {
    const bool ok = feed(first_bytes_->readable());
    worker_.buffers().release(std::move(first_bytes_));
    if (!ok) co_return;
  }
  flush();
  while (!closed_) {
    // Read what is there without waiting; wait for readability (holding no buffer) otherwise.
    std::unique_ptr<IoBuffer> buf = worker_.buffers().acquire();
    auto space = buf->prepare();
    ssize_t got = 0;
    do {
      got = ::recv(socket_.native_handle(), space.data(), space.size(), MSG_DONTWAIT);
    } while (got < 0 && errno == EINTR);
    if (got > 0) {
      buf->commit(static_cast<size_t>(got));
      const bool ok = feed(buf->readable());
      worker_.buffers().release(std::move(buf));
      if (!ok) co_return;
      flush();
      maybeClose();
      continue;
    }
    worker_.buffers().release(std::move(buf));
    if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) break;
    boost::system::error_code ec;
    co_await socket_.async_wait(asio::socket_base::wait_read,
                                asio::redirect_error(use_awaitable, ec));
    if (ec) break;
  }
  close();
}

bool H2Connection::feed(std::string_view bytes) {
  if (closed_) return false;
  feeding_ = true;
  const ssize_t rv = nghttp2_session_mem_recv(
      session_, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  feeding_ = false;
  if (rv < 0) {
    // Bad preface, a flood, a framing error: nghttp2 queued a GOAWAY where it could; send it
    // and end the connection.
    Http2Counters& c = worker_.shared().http2;
    bump(rv == NGHTTP2_ERR_FLOODED ? c.outbound_control_flood : c.rx_messaging_error);
    // Some of nghttp2's fatal errors (a CONTINUATION flood) queue no GOAWAY: the client is
    // told why all the same (a no-op when one is queued already).
    const bool abuse = rv == NGHTTP2_ERR_FLOODED || rv == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS;
    nghttp2_session_terminate_session(session_,
                                      abuse ? NGHTTP2_ENHANCE_YOUR_CALM : NGHTTP2_PROTOCOL_ERROR);
    flush();
    close();
    return false;
  }
  startReadyStreams();
  return true;
}

void H2Connection::startReadyStreams() {
  if (ready_.empty()) return;
  std::vector<std::shared_ptr<H2Stream>> ready;
  ready.swap(ready_);
  auto self = shared_from_this();
  for (auto& stream : ready) {
    asio::co_spawn(
        socket_.get_executor(), [self, stream]() { return stream->run(); },
        [self](const std::exception_ptr& e) {
          if (e) self->worker_.logInternalError("http2 stream " + self->info_.remote_address, e);
        });
  }
}

void H2Connection::flush() {
  if (closed_ || writing_ || feeding_) return;
  while (true) {
    if (out_.empty() && !fillOutput()) {
      close();
      return;
    }
    if (out_.empty()) break;
    std::array<std::string_view, 1> rest{out_};
    if (!sendNow(socket_.native_handle(), rest)) {
      close();
      return;
    }
    out_.erase(0, out_.size() - rest[0].size());
    if (!out_.empty()) {
      // The socket is full: the write loop waits for it.
      writing_ = true;
      spawn(&H2Connection::writeLoop, "http2 write ");
      return;
    }
  }
  maybeClose();
}

awaitable<void> H2Connection::writeLoop() {
  auto self = shared_from_this();
  while (!closed_ && !out_.empty()) {
    boost::system::error_code ec;
    co_await asio::async_write(socket_, asio::buffer(out_),
                               asio::redirect_error(use_awaitable, ec));
    out_.clear();
    // Closed while the write was in flight: the session's streams may be gone, so nothing more
    // is asked of it (its data sources would read freed streams).
    if (closed_) break;
    if (ec || !fillOutput()) {
      writing_ = false;
      close();
      co_return;
    }
  }
  writing_ = false;
  maybeClose();
}

bool H2Connection::fillOutput() {
  while (out_.size() < kWriteChunk) {
    const uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n < 0) return false;
    if (n == 0) break;
    out_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
  return true;
}

void H2Connection::maybeClose() {
  if (closed_ || writing_ || !out_.empty()) return;
  if (nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0) {
    close();
  }
}

void H2Connection::onDrain() {
  if (closed_) return;
  if (streams_.empty()) {
    close();
    return;
  }
  if (!goaway_sent_) {
    goaway_sent_ = true;
    // Streams the session knows of finish; nothing newer is taken.
    nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                          nghttp2_session_get_last_proc_stream_id(session_), NGHTTP2_NO_ERROR,
                          nullptr, 0);
    flush();
  }
}

void H2Connection::onTick(Clock::time_point now) {
  if (closed_) return;
  if (streams_.empty()) {
    if (now - idle_since_ >= worker_.settings().idle_timeout) {
      nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR);
      flush();
      close();
    }
    return;
  }
  // Copy first: a stream's deadline can reset it, which erases it from the map.
  std::vector<std::shared_ptr<H2Stream>> open;
  open.reserve(streams_.size());
  for (auto& [id, s] : streams_) open.push_back(s);
  for (auto& s : open) s->onTick();
}

void H2Connection::close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  auto streams = std::move(streams_);
  streams_.clear();
  worker_.shared().http2.streams_active.fetch_sub(static_cast<int64_t>(streams.size()),
                                                  std::memory_order_relaxed);
  for (auto& [id, s] : streams) s->onConnectionClosed();
  for (auto& s : ready_) s->onConnectionClosed();
  ready_.clear();
}

void H2Connection::streamClosed(int32_t id, uint32_t error_code) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  auto stream = std::move(it->second);
  streams_.erase(it);
  worker_.shared().http2.streams_active.fetch_sub(1, std::memory_order_relaxed);
  stream->onClosed(error_code);
  if (streams_.empty()) idle_since_ = Clock::now();
}

// ---- nghttp2's callbacks (inside mem_recv or mem_send) ------------------------------------

namespace {

H2Stream* streamOf(nghttp2_session* s, int32_t id) {
  return static_cast<H2Stream*>(nghttp2_session_get_stream_user_data(s, id));
}

std::string_view view(const uint8_t* p, size_t n) { return {reinterpret_cast<const char*>(p), n}; }

}  // namespace

int H2Connection::onBeginHeaders(nghttp2_session* s, const nghttp2_frame* frame, void* user) {
  auto* self = static_cast<H2Connection*>(user);
  if (self->closed_ || frame->hd.type != NGHTTP2_HEADERS ||
      frame->headers.cat != NGHTTP2_HCAT_REQUEST) {
    return 0;
  }
  const int32_t id = frame->hd.stream_id;
  auto stream = std::make_shared<H2Stream>(*self, id);
  nghttp2_session_set_stream_user_data(s, id, stream.get());
  self->streams_.emplace(id, std::move(stream));
  self->worker_.shared().http2.streams_active.fetch_add(1, std::memory_order_relaxed);
  return 0;
}

int H2Connection::onHeader(nghttp2_session* s, const nghttp2_frame* frame, const uint8_t* name,
                           size_t namelen, const uint8_t* value, size_t valuelen, uint8_t /*flags*/,
                           void* user) {
  auto* self = static_cast<H2Connection*>(user);
  if (self->closed_ || frame->hd.type != NGHTTP2_HEADERS) return 0;
  // Request trailers (a later HEADERS) are dropped: HTTP/1.1 upstreams get none.
  if (frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  if (H2Stream* st = streamOf(s, frame->hd.stream_id)) {
    st->onHeader(view(name, namelen), view(value, valuelen));
  }
  return 0;
}

int H2Connection::onFrameRecv(nghttp2_session* s, const nghttp2_frame* frame, void* user) {
  auto* self = static_cast<H2Connection*>(user);
  if (self->closed_) return 0;
  const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  switch (frame->hd.type) {
    case NGHTTP2_HEADERS: {
      H2Stream* st = streamOf(s, frame->hd.stream_id);
      if (st == nullptr) return 0;
      if (frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
        st->onHeadComplete(end_stream);
        auto it = self->streams_.find(frame->hd.stream_id);
        if (it != self->streams_.end()) self->ready_.push_back(it->second);
      } else if (end_stream) {
        st->onEndStream();  // trailers end the body
      }
      break;
    }
    case NGHTTP2_DATA:
      if (end_stream) {
        if (H2Stream* st = streamOf(s, frame->hd.stream_id)) st->onEndStream();
      }
      break;
    case NGHTTP2_RST_STREAM: bump(self->worker_.shared().http2.rx_reset); break;
    default: break;
  }
  return 0;
}

int H2Connection::onDataChunk(nghttp2_session* s, uint8_t /*flags*/, int32_t stream_id,
                              const uint8_t* data, size_t len, void* user) {
  auto* self = static_cast<H2Connection*>(user);
  if (self->closed_) return 0;
  if (H2Stream* st = streamOf(s, stream_id)) {
    st->onData(view(data, len));
  } else {
    nghttp2_session_consume_connection(s, len);  // nobody will read it
  }
  return 0;
}

int H2Connection::onFrameSend(nghttp2_session* s, const nghttp2_frame* frame, void* user) {
  auto* self = static_cast<H2Connection*>(user);
  if (self->closed_) return 0;
  const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  if (end_stream && (frame->hd.type == NGHTTP2_DATA || frame->hd.type == NGHTTP2_HEADERS)) {
    if (H2Stream* st = streamOf(s, frame->hd.stream_id)) st->onResponseEndSent();
  }
  Http2Counters& c = self->worker_.shared().http2;
  if (frame->hd.type == NGHTTP2_RST_STREAM) bump(c.tx_reset);
  if (frame->hd.type == NGHTTP2_GOAWAY) bump(c.goaway_sent);
  return 0;
}

int H2Connection::onStreamClose(nghttp2_session* /*s*/, int32_t stream_id, uint32_t error_code,
                                void* user) {
  auto* self = static_cast<H2Connection*>(user);
  if (!self->closed_) self->streamClosed(stream_id, error_code);
  return 0;
}

}  // namespace meshroute::proxy
