// One downstream HTTP/1.1 connection on a worker: the HTTP/1 codec's server side. Every
// connection starts here; one whose first bytes are HTTP/2's preface (prior knowledge, Envoy's
// codec_type AUTO) is handed to an H2Connection. It reads
// request heads, hands each request to an HttpStream (taken from the worker's pool for the
// request's lifetime) through the DownstreamStream interface, decodes the request body into
// payload and encodes the response (content-length, re-encoded chunks, or until close).
//
// Memory: an idle keep-alive connection is this object, its socket and one pending readiness
// wait; nothing else. No coroutine runs while it is idle: the wait's handler reads what arrived
// (into a buffer from the worker's pool) and starts the request coroutine, which ends when the
// connection is idle again. The stream's state (header maps, log, scratch strings, deadlines and
// their timers) lives in the pooled HttpStream. The idle timeout is checked on the worker's tick.
//
// Deadlines: the stream's one timer, set for the earliest deadline in force and moved only when
// an earlier one appears. When it fires for a deadline that has passed, the connection acts on
// its kind: a late head is answered 408, connect/per-try/route timeouts close the upstream
// connection the stream waits on, which ends that wait.
//
// Thread affinity: the worker that accepted it.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <optional>
#include <string>

#include "http/h1.h"
#include "proxy/downstream/downstream_connection.h"
#include "proxy/downstream/downstream_stream.h"
#include "proxy/io_buffer.h"

namespace meshroute::proxy {

class ProxyWorker;
class HttpStream;

struct ConnectionInfo {
  std::string client_ip;
  std::string local_address;   // "ip:port"
  std::string remote_address;  // "ip:port"
};

class H1Connection final : public DownstreamConnection,
                           public DownstreamStream,
                           public std::enable_shared_from_this<H1Connection> {
 public:
  H1Connection(ProxyWorker& worker, boost::asio::ip::tcp::socket socket);
  ~H1Connection() override;
  H1Connection(const H1Connection&) = delete;
  H1Connection& operator=(const H1Connection&) = delete;

  // Serves what the client sent already, or waits for it.
  void start();
  // Drain: an idle connection closes now, a busy one after its current response.
  void onDrain() override;
  // The worker's periodic tick: an idle connection past its idle timeout closes; a request
  // waiting on its upstream for a while starts watching the client, so that a client that goes
  // away cancels the upstream request.
  void onTick(std::chrono::steady_clock::time_point now) override;
  [[nodiscard]] const ConnectionInfo& info() const { return info_; }

  // DownstreamStream.
  [[nodiscard]] const RequestHead& request() const override;
  boost::asio::awaitable<BodyRead> readBody(std::string_view& data) override;
  [[nodiscard]] bool bodyComplete() const override { return body_done_; }
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
  enum class HeadResult : uint8_t { kRequest, kClose, kInvalid, kTimeout };
  // Idle: waits for readability with no coroutine and no buffer.
  void waitForRequest();
  // The idle wait's handler: reads what arrived and starts run(), or waits again.
  void onReadable(const boost::system::error_code& ec);
  // Serves requests while bytes keep coming; ends (back to waitForRequest) when idle.
  boost::asio::awaitable<void> run();
  // Parses the request head buffered so far (into the worker's scratch, views into in_);
  // nullopt while it is incomplete.
  std::optional<HeadResult> parseHead();
  // Reads until the head is complete, then parses it.
  boost::asio::awaitable<HeadResult> readHead();
  boost::asio::awaitable<size_t> readMore();
  boost::asio::awaitable<bool> write(std::string_view data);
  // Reads and drops what is left of a small request body so the connection can be reused.
  boost::asio::awaitable<bool> discardBody();
  void copyHead();
  void onTimer(const boost::system::error_code& ec, uint32_t stream_serial);
  // Takes a stream from the worker's pool for the next request, and gives it back.
  void beginStream();
  void endStream();
  void startDisconnectWatch();
  void takeBuffer();
  void releaseBufferIfEmpty();
  void closeUpstream();
  void close();
  // The first bytes were HTTP/2's preface: the socket and those bytes go to an H2Connection.
  void handOffToH2();

  ProxyWorker& worker_;
  boost::asio::ip::tcp::socket socket_;
  std::chrono::steady_clock::time_point idle_deadline_{};  // while idle_
  std::optional<DeadlineKind> expired_;
  uint32_t stream_serial_ = 0;          // which stream a timer's handler was armed for
  std::unique_ptr<IoBuffer> in_;        // null while idle
  std::unique_ptr<HttpStream> stream_;  // null while idle
  http::ParseResult parse_error_;       // the parsed head itself is the worker's scratch
  ConnectionInfo info_;
  UpstreamConnection* upstream_ = nullptr;
  std::chrono::steady_clock::time_point upstream_wait_since_{};
  // Request body decoding.
  http::ChunkedDecoder chunks_;
  uint64_t body_left_ = 0;
  size_t pending_consume_ = 0;  // bytes of in_ behind the last view readBody() returned
  bool chunked_ = false;
  bool body_done_ = true;
  // Response encoding (the head is written into the stream's wire buffer).
  bool head_held_ = false;  // the stream's wire buffer holds a response head not yet written
  bool response_started_ = false;
  bool chunked_out_ = false;
  bool close_after_ = false;  // the response ends the connection
  bool closed_ = false;
  bool idle_ = true;  // waiting for the first byte of a request
  bool client_gone_ = false;
  bool watching_ = false;
  bool first_read_ = true;  // the protocol is not known yet (HTTP/1.x or HTTP/2's preface)
  bool handed_off_ = false;
};

}  // namespace meshroute::proxy
