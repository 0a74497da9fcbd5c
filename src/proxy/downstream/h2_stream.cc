#include "proxy/downstream/h2_stream.h"

#include <nghttp2/nghttp2.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstring>

#include "proxy/downstream/h2_connection.h"
#include "proxy/http_stream.h"
#include "proxy/upstream/upstream_pool.h"
#include "proxy/worker.h"

namespace meshroute::proxy {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;

namespace {

ssize_t readResponseCallback(nghttp2_session* /*s*/, int32_t /*stream_id*/, uint8_t* buf,
                             size_t length, uint32_t* data_flags, nghttp2_data_source* source,
                             void* /*user*/) {
  return static_cast<H2Stream*>(source->ptr)->readResponse(buf, length, data_flags);
}

}  // namespace

H2Stream::H2Stream(H2Connection& conn, int32_t id)
    : conn_(conn),
      id_(id),
      http_(conn.worker().acquireStream()),
      head_builder_(conn.worker().settings().limits),
      signal_(conn.worker().context().get_executor()) {
  head_builder_.begin(http_->head());
}

H2Stream::~H2Stream() { releaseHttpStream(); }

void H2Stream::releaseHttpStream() {
  if (!http_) return;
  http_->timers().reset();
  conn_.worker().releaseStream(std::move(http_));
}

const RequestHead& H2Stream::request() const { return http_->head(); }

// ---- from nghttp2's callbacks ------------------------------------------------------------

void H2Stream::onHeader(std::string_view name, std::string_view value) {
  if (http_) head_builder_.add(http_->head(), name, value);
}

void H2Stream::onHeadComplete(bool end_stream) {
  body_done_ = end_stream;
  if (http_) head_error_ = head_builder_.finish(http_->head(), end_stream);
  if (head_error_ == 431) {
    conn_.worker().shared().http2.header_overflow.fetch_add(1, std::memory_order_relaxed);
  }
}

void H2Stream::onData(std::string_view data) {
  unconsumed_ += data.size();
  if (finished_) {
    giveBackWindow();  // the request was answered: what still arrives is dropped
    return;
  }
  in_.append(data);
  signal();
}

void H2Stream::onEndStream() {
  body_done_ = true;
  signal();
}

void H2Stream::onClosed(uint32_t error_code) {
  closed_ = true;
  if (error_code != NGHTTP2_NO_ERROR || !response_sent_) {
    // Reset by the client (or the stream ended before the response did): it is gone.
    client_gone_ = true;
    closeUpstream();
    if (http_) http_->timers().sleep.cancel();
  }
  if (unconsumed_ > 0) {
    if (nghttp2_session* s = conn_.session()) {
      nghttp2_session_consume_connection(s, unconsumed_);
    }
    unconsumed_ = 0;
  }
  signal();
}

void H2Stream::onConnectionClosed() {
  closed_ = true;
  client_gone_ = true;
  closeUpstream();
  if (http_) http_->timers().sleep.cancel();
  signal();
}

void H2Stream::onResponseEndSent() {
  response_sent_ = true;
  // The answer went out before the client finished its body (a local reply, an upstream that
  // answered early): stop the client sending what nobody will read, as Envoy does.
  if (!body_done_ && finished_) reset(NGHTTP2_NO_ERROR);
}

ssize_t H2Stream::readResponse(uint8_t* buf, size_t length, uint32_t* data_flags) {
  const size_t avail = out_.size() - out_offset_;
  const size_t n = std::min(avail, length);
  if (n > 0) {
    std::memcpy(buf, out_.data() + out_offset_, n);
    out_offset_ += n;
    if (out_offset_ == out_.size()) {
      out_.clear();
      out_offset_ = 0;
    }
    signal();  // room for a producer waiting at the high-water mark
  }
  if (out_.empty() && out_end_) {
    *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }
  if (n == 0) {
    deferred_ = true;
    return NGHTTP2_ERR_DEFERRED;
  }
  return static_cast<ssize_t>(n);
}

void H2Stream::onTick() {
  if (http_ && !finished_) armDeadlines();
}

// ---- serving ------------------------------------------------------------------------------

awaitable<void> H2Stream::run() {
  auto self = shared_from_this();
  if (http_ && !closed_) {
    const ConnectionInfo& info = conn_.info();
    if (head_error_ != 0) {
      co_await http_->serveCodecError(*this, info, head_error_, ProxyError::kDownstreamProtocol);
    } else {
      co_await http_->serve(*this, info);
    }
  }
  finished_ = true;
  upstream_ = nullptr;
  if (!closed_) {
    if (!response_started_ || (!out_end_ && !response_sent_)) {
      reset(response_started_ ? NGHTTP2_INTERNAL_ERROR : NGHTTP2_CANCEL);
    } else if (response_sent_ && !body_done_) {
      reset(NGHTTP2_NO_ERROR);
    }
  }
  // What the client sent and the router never read goes back to the connection's window.
  in_.clear();
  handed_.clear();
  giveBackWindow();
  releaseHttpStream();
  conn_.flush();
}

void H2Stream::reset(uint32_t error_code) {
  if (closed_) return;
  if (nghttp2_session* s = conn_.session()) {
    nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, id_, error_code);
  }
}

void H2Stream::giveBackWindow() {
  if (unconsumed_ == 0) return;
  nghttp2_session* s = conn_.session();
  if (s == nullptr) return;
  // Only what the router took (or nobody will take) goes back.
  const size_t keep = in_.size() + handed_.size();
  if (unconsumed_ <= keep) return;
  const size_t n = unconsumed_ - keep;
  if (closed_) {
    nghttp2_session_consume_connection(s, n);
  } else {
    nghttp2_session_consume(s, id_, n);
  }
  unconsumed_ -= n;
}

awaitable<BodyRead> H2Stream::readBody(std::string_view& data) {
  data = {};
  if (!handed_.empty()) {
    handed_.clear();
    giveBackWindow();  // the router is done with the last piece: the client may send more
    conn_.flush();
  }
  while (true) {
    if (!in_.empty()) {
      handed_.swap(in_);  // the view stays valid while DATA keeps arriving into in_
      data = handed_;
      co_return BodyRead::kData;
    }
    if (body_done_) co_return BodyRead::kEnd;
    if (closed_ || client_gone_) co_return BodyRead::kClosed;
    deadlines().set(DeadlineKind::kStreamIdle,
                    Clock::now() + conn_.worker().settings().stream_idle_timeout);
    armDeadlines();
    co_await waitSignal();
  }
}

bool H2Stream::submit(const std::vector<H2Field>& fields, bool has_body) {
  nghttp2_session* s = conn_.session();
  if (s == nullptr || closed_) return false;
  std::vector<nghttp2_nv>& nv = nv_;  // kept: a response head allocates nothing
  nv.clear();
  for (const H2Field& f : fields) {
    nv.push_back({const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(f.name.data())),
                  const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(f.value.data())),
                  f.name.size(), f.value.size(), NGHTTP2_NV_FLAG_NONE});
  }
  nghttp2_data_provider provider{};
  provider.source.ptr = this;
  provider.read_callback = &readResponseCallback;
  response_started_ = true;
  // nghttp2 copies the fields: they need not outlive this call.
  return nghttp2_submit_response(s, id_, nv.data(), nv.size(), has_body ? &provider : nullptr) == 0;
}

bool H2Stream::encodeHeaders(const ResponseStart& start) {
  if (closed_ || !http_) return false;
  responseFields(start, field_scratch_, fields_);
  if (!start.has_body) out_end_ = true;
  return submit(fields_, start.has_body);
}

awaitable<bool> H2Stream::sendData(std::string_view data, bool end_stream) {
  if (closed_) co_return false;
  out_.append(data);
  out_end_ = out_end_ || end_stream;
  if (deferred_ && (!data.empty() || end_stream)) {
    deferred_ = false;
    if (nghttp2_session* s = conn_.session()) nghttp2_session_resume_data(s, id_);
  }
  conn_.flush();
  // Past the high-water mark the producer (the router reading the upstream) waits: the
  // client's window, not the proxy's memory, absorbs a slow reader.
  while (out_.size() - out_offset_ > conn_.limits().output_high_water && !closed_) {
    deadlines().set(DeadlineKind::kStreamIdle,
                    Clock::now() + conn_.worker().settings().stream_idle_timeout);
    armDeadlines();
    co_await waitSignal();
  }
  co_return !closed_ || response_sent_;
}

awaitable<bool> H2Stream::sendLocalReply(int status, std::string_view body,
                                         std::string_view extra_headers) {
  if (closed_) co_return false;
  localReplyFields(status, body, extra_headers, field_scratch_, fields_);
  out_.append(body);
  out_end_ = true;
  const bool ok = submit(fields_, !body.empty());
  conn_.flush();
  co_return ok;
}

awaitable<void> H2Stream::tunnel(std::unique_ptr<UpstreamConnection> upstream) {
  // HTTP/2 requests never ask for an upgrade (RequestHead.upgrade is false): nothing to do.
  upstream->transport->close();
  co_return;
}

// ---- signals and deadlines ------------------------------------------------------------------

awaitable<void> H2Stream::waitSignal() {
  signal_.expires_at(Clock::time_point::max());
  boost::system::error_code ec;
  co_await signal_.async_wait(asio::redirect_error(use_awaitable, ec));
}

void H2Stream::signal() { signal_.cancel(); }

Deadlines& H2Stream::deadlines() { return http_->timers().deadlines; }

void H2Stream::armDeadlines() {
  if (!http_ || finished_) return;
  StreamTimers& t = http_->timers();
  const auto e = t.deadlines.earliest();
  if (e >= t.scheduled || closed_) return;
  if (e - Clock::now() > kDeadlineTimerHorizon) return;
  t.scheduled = e;
  t.deadline.expires_at(e);
  t.deadline.async_wait(
      [self = shared_from_this()](const boost::system::error_code& ec) { self->onTimer(ec); });
}

void H2Stream::onTimer(const boost::system::error_code& ec) {
  // The stream's HttpStream went back to the pool with its timer: a late handler finds none.
  if (ec == asio::error::operation_aborted || !http_ || finished_) return;
  StreamTimers& t = http_->timers();
  t.scheduled = Deadlines::kNever;
  const auto kind = t.deadlines.expired(Clock::now());
  if (!kind) {
    armDeadlines();
    return;
  }
  t.deadlines.clear(*kind);
  expired_ = kind;
  switch (*kind) {
    case DeadlineKind::kConnect:
    case DeadlineKind::kPerTry:
    case DeadlineKind::kRoute:
      closeUpstream();
      t.sleep.cancel();
      break;
    case DeadlineKind::kStreamIdle:
    case DeadlineKind::kIdle:
    case DeadlineKind::kHeader:
      // The client stalled: the stream ends (the connection and its other streams go on).
      client_gone_ = true;
      closeUpstream();
      t.sleep.cancel();
      reset(NGHTTP2_CANCEL);
      conn_.flush();
      signal();
      break;
    case DeadlineKind::kDisconnectWatch:  // a reset arrives as a frame: nothing to watch
    case DeadlineKind::kCount: break;
  }
  armDeadlines();
}

std::optional<DeadlineKind> H2Stream::takeExpired() {
  auto e = expired_;
  expired_.reset();
  return e;
}

awaitable<bool> H2Stream::sleep(std::chrono::milliseconds d) {
  auto& timer = http_->timers().sleep;
  timer.expires_after(d);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
  co_return !ec && !client_gone_ && !closed_;
}

void H2Stream::wake() {
  if (http_) http_->timers().sleep.cancel();
}

void H2Stream::watchUpstream(UpstreamConnection* upstream) { upstream_ = upstream; }

void H2Stream::closeUpstream() {
  if (upstream_ != nullptr && !finished_) upstream_->transport->close();
}

}  // namespace meshroute::proxy
