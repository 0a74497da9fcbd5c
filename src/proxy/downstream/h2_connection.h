// One downstream HTTP/2 connection on a worker: nghttp2's server session over the socket. It
// reads frames and feeds them to the session, whose callbacks build each stream's request head
// (H2Stream) and start it when the head is complete; it writes what the session has queued.
// Each stream serves its request through the same pipeline as HTTP/1.1 (HttpStream: filters,
// router) behind the DownstreamStream interface, many at a time on one connection.
//
// Defences: the session's settings and options bound concurrent streams, the header list, the
// window (what a stream may send before the proxy consumed it: request bodies are consumed as
// the upstream takes them, so a slow upstream never makes the proxy buffer without bound),
// SETTINGS/PING floods (nghttp2's outbound ack limit), CONTINUATION floods and rapid reset
// (nghttp2's stream reset rate limit): a client over them gets GOAWAY, and the worker keeps
// serving everyone else.
//
// Lifetime: shared; the read loop, the write loop and every running stream hold a reference.
// Streams are kept in a map from nghttp2's stream id until nghttp2 closes them.
//
// Thread affinity: the worker that accepted it.
#pragma once

#include <nghttp2/nghttp2.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "proxy/downstream/downstream_connection.h"
#include "proxy/downstream/h1_connection.h"
#include "proxy/io_buffer.h"

namespace meshroute::proxy {

class ProxyWorker;
class H2Stream;

// What the proxy offers its HTTP/2 clients, and what it buffers for them.
struct H2Limits {
  uint32_t max_concurrent_streams = 1024;
  int32_t initial_stream_window = 1 << 20;       // bytes a stream may send unconsumed
  int32_t connection_window = 8 * (1 << 20);     // and all streams together
  size_t output_high_water = 64 * size_t{1024};  // a stream's response bytes not yet framed
};

class H2Connection final : public DownstreamConnection,
                           public std::enable_shared_from_this<H2Connection> {
 public:
  // `first_bytes`: what the connection read before it knew it spoke HTTP/2 (the preface and
  // whatever followed); it goes back to the worker's pool once fed to the session.
  H2Connection(ProxyWorker& worker, boost::asio::ip::tcp::socket socket, ConnectionInfo info,
               std::unique_ptr<IoBuffer> first_bytes);
  ~H2Connection() override;
  H2Connection(const H2Connection&) = delete;
  H2Connection& operator=(const H2Connection&) = delete;

  void start();
  void onDrain() override;
  void onTick(std::chrono::steady_clock::time_point now) override;

  // For its streams:
  ProxyWorker& worker() { return worker_; }
  [[nodiscard]] const ConnectionInfo& info() const { return info_; }
  [[nodiscard]] const H2Limits& limits() const { return limits_; }
  // Null once the connection closed: nothing more may be asked of the session.
  nghttp2_session* session() { return closed_ ? nullptr : session_; }
  // Sends what the session has queued: at once what the socket takes, the rest from the
  // write loop.
  void flush();

 private:
  // Runs one of the connection's loops; an exception from it is logged and closes the connection.
  void spawn(boost::asio::awaitable<void> (H2Connection::*loop)(), const char* what);
  boost::asio::awaitable<void> readLoop();
  boost::asio::awaitable<void> writeLoop();
  // Moves what the session has to send into out_ (up to a write's worth). False on an error.
  bool fillOutput();
  // Feeds received bytes to the session, then starts the streams whose heads completed.
  bool feed(std::string_view bytes);
  void startReadyStreams();
  void maybeClose();
  void close();
  void streamClosed(int32_t id, uint32_t error_code);

  static int onBeginHeaders(nghttp2_session* s, const nghttp2_frame* frame, void* self);
  static int onHeader(nghttp2_session* s, const nghttp2_frame* frame, const uint8_t* name,
                      size_t namelen, const uint8_t* value, size_t valuelen, uint8_t flags,
                      void* self);
  static int onFrameRecv(nghttp2_session* s, const nghttp2_frame* frame, void* self);
  static int onDataChunk(nghttp2_session* s, uint8_t flags, int32_t stream_id, const uint8_t* data,
                         size_t len, void* self);
  static int onFrameSend(nghttp2_session* s, const nghttp2_frame* frame, void* self);
  static int onStreamClose(nghttp2_session* s, int32_t stream_id, uint32_t error_code, void* self);

  ProxyWorker& worker_;
  boost::asio::ip::tcp::socket socket_;
  ConnectionInfo info_;
  H2Limits limits_;
  nghttp2_session* session_ = nullptr;
  std::unique_ptr<IoBuffer> first_bytes_;
  std::unordered_map<int32_t, std::shared_ptr<H2Stream>> streams_;
  std::vector<std::shared_ptr<H2Stream>> ready_;  // heads completed during the current feed
  std::string out_;
  std::chrono::steady_clock::time_point idle_since_;
  bool writing_ = false;
  bool feeding_ = false;  // inside nghttp2_session_mem_recv: no sending from callbacks
  bool goaway_sent_ = false;
  bool closed_ = false;
};

}  // namespace meshroute::proxy
