// One HTTP/2 stream of a downstream connection, as the pipeline sees it (DownstreamStream).
// The connection's nghttp2 callbacks fill it (head fields, body data, end of stream, reset);
// its coroutine serves the request through an HttpStream taken from the worker's pool.
//
// Request body: DATA payload is kept as it arrives and handed to the router piece by piece;
// the stream's window is given back to the client (nghttp2_session_consume) only when the
// router asks for the next piece, so a client can never be ahead of the upstream by more than
// one window. Response body: sendData() queues bytes for nghttp2's data source and waits while
// more than the high-water mark is queued (the client's window, or a slow client, holds it
// back), so a slow reader never makes the proxy buffer without bound.
//
// Thread affinity: the connection's worker.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proxy/downstream/downstream_stream.h"
#include "proxy/downstream/h2_codec.h"

#include <nghttp2/nghttp2.h>

namespace meshroute::proxy {

class H2Connection;
class HttpStream;

class H2Stream final : public DownstreamStream, public std::enable_shared_from_this<H2Stream> {
 public:
  H2Stream(H2Connection& conn, int32_t id);
  ~H2Stream() override;
  H2Stream(const H2Stream&) = delete;
  H2Stream& operator=(const H2Stream&) = delete;

  // From the connection's nghttp2 callbacks:
  void onHeader(std::string_view name, std::string_view value);
  void onHeadComplete(bool end_stream);
  void onData(std::string_view data);
  void onEndStream();
  void onClosed(uint32_t error_code);
  void onResponseEndSent();
  // nghttp2's data source: copies queued response bytes into `buf`.
  ssize_t readResponse(uint8_t* buf, size_t length, uint32_t* data_flags);
  // The connection closed under the stream.
  void onConnectionClosed();
  void onTick();

  // Serves the request; the connection spawns it when the head is complete.
  boost::asio::awaitable<void> run();
  [[nodiscard]] int32_t id() const { return id_; }

  // DownstreamStream.
  [[nodiscard]] const RequestHead& request() const override;
  boost::asio::awaitable<BodyRead> readBody(std::string_view& data) override;
  [[nodiscard]] bool bodyComplete() const override { return body_done_ && in_.empty(); }
  bool encodeHeaders(const ResponseStart& start) override;
  boost::asio::awaitable<bool> sendData(std::string_view data, bool end_stream) override;
  boost::asio::awaitable<bool> sendLocalReply(int status, std::string_view body,
                                              std::string_view extra_headers) override;
  [[nodiscard]] bool responseStarted() const override { return response_started_; }
  boost::asio::awaitable<void> tunnel(std::unique_ptr<UpstreamConnection> upstream) override;
  Deadlines& deadlines() override;
  void armDeadlines() override;
  std::optional<DeadlineKind> takeExpired() override;
  boost::asio::awaitable<bool> sleep(std::chrono::milliseconds d) override;
  void wake() override;
  void watchUpstream(UpstreamConnection* upstream) override;
  [[nodiscard]] bool clientGone() const override { return client_gone_; }

 private:
  // Submits the response head with this stream as its data source (none: no body).
  bool submit(const std::vector<H2Field>& fields, bool has_body);
  // Waits for the connection's callbacks to change something (data, window, reset).
  boost::asio::awaitable<void> waitSignal();
  void signal();
  void giveBackWindow();
  void reset(uint32_t error_code);
  void closeUpstream();
  void onTimer(const boost::system::error_code& ec);
  void releaseHttpStream();

  H2Connection& conn_;
  const int32_t id_;
  std::unique_ptr<HttpStream> http_;
  H2HeadBuilder head_builder_;
  int head_error_ = 0;  // a status to answer instead of serving (431, 400)
  boost::asio::steady_timer signal_;
  UpstreamConnection* upstream_ = nullptr;
  std::optional<DeadlineKind> expired_;
  // Request body: `in_` fills from DATA frames; `handed_` holds the piece the router reads.
  std::string in_;
  std::string handed_;
  size_t unconsumed_ = 0;  // bytes received and not yet given back to the client's window
  // Response body queued for nghttp2's data source.
  std::string out_;
  size_t out_offset_ = 0;
  std::vector<H2Field> fields_;
  std::vector<nghttp2_nv> nv_;  // fields_ as nghttp2 takes them
  std::string field_scratch_;
  bool body_done_ = false;  // the client ended its side (END_STREAM)
  bool out_end_ = false;    // the response's last byte is queued
  bool deferred_ = false;   // nghttp2 waits for response bytes (resume when queued)
  bool response_started_ = false;
  bool response_sent_ = false;  // END_STREAM went out
  bool closed_ = false;         // nghttp2 closed the stream (reset, or both sides ended)
  bool client_gone_ = false;
  bool finished_ = false;  // run() ended
};

}  // namespace meshroute::proxy
