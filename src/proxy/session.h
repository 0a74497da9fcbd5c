// One downstream HTTP/1.1 connection on a worker: reads request heads, asks the routing core
// for a decision against the configuration generation current when the request started, and
// either answers locally or forwards to an upstream endpoint, streaming bodies both ways.
// A watchdog timer bounds every wait (header read, idle, connect, response, body I/O).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "http/h1.h"
#include "proxy/io_buffer.h"
#include "proxy/local_reply.h"
#include "proxy/request_log.h"
#include "proxy/upstream_pool.h"
#include "routing/decision.h"
#include "routing/request.h"
#include "runtime/config_store.h"

namespace meshroute::proxy {

class ProxyWorker;
struct ClusterState;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(ProxyWorker& worker, boost::asio::ip::tcp::socket socket);
  ~Session();
  void start();
  // Drain: an idle connection closes now, a busy one after its current response.
  void onDrain();

 private:
  using Clock = std::chrono::steady_clock;
  enum class Phase { kNone, kIdle, kHeader, kConnect, kResponse, kStream };

  boost::asio::awaitable<void> run();
  boost::asio::awaitable<void> watchdog();
  // Reads and parses the next request head. False: the connection is done.
  boost::asio::awaitable<bool> readHead();
  // Serves the parsed request. False: close the connection afterwards.
  boost::asio::awaitable<bool> serve();
  boost::asio::awaitable<bool> forward(const routing::Decision& decision,
                                       const routing::RoutedDestination& dest);
  // reuse: an idle pooled connection may serve; otherwise a new one is opened.
  boost::asio::awaitable<bool> connectUpstream(ClusterState& cluster, int endpoint, bool reuse);
  boost::asio::awaitable<bool> exchange(const routing::Decision& decision,
                                        const routing::RoutedDestination& dest,
                                        ClusterState& cluster, int endpoint);
  boost::asio::awaitable<bool> streamRequestBody();
  boost::asio::awaitable<bool> streamResponseBody(bool& upstream_reusable);
  boost::asio::awaitable<void> tunnel();  // after 101 Switching Protocols
  // Answers locally with Envoy's status/body/flag; consumes or abandons the request body.
  boost::asio::awaitable<bool> reply(ProxyError error);
  boost::asio::awaitable<bool> replyWith(int status, std::string_view body,
                                         std::string_view extra_headers, std::string_view flag,
                                         std::string_view details);
  boost::asio::awaitable<bool> writeDownstream(std::string_view data);
  // Both parts in one gathered write (writev).
  boost::asio::awaitable<bool> writeDownstream(std::string_view first, std::string_view second);
  boost::asio::awaitable<bool> writeUpstream(std::string_view data);
  boost::asio::awaitable<size_t> readDownstream();
  boost::asio::awaitable<size_t> readUpstream();
  boost::asio::awaitable<bool> discardRequestBody();

  void buildUpstreamHead(const routing::Decision& decision, const routing::RoutedDestination& dest,
                         const ClusterState& cluster);
  void arm(Phase phase, std::chrono::milliseconds timeout);
  void disarm();
  void beginRequest();  // starts the access log record; finishRequest() ends it
  void finishRequest();
  void closeUpstream();
  void close();

  ProxyWorker& worker_;
  boost::asio::ip::tcp::socket down_;
  boost::asio::steady_timer deadline_;
  Clock::time_point deadline_at_ = Clock::time_point::max();  // the deadline in force
  Clock::time_point scheduled_ = Clock::time_point::max();    // what deadline_ is set for
  Phase phase_ = Phase::kNone;
  Phase expired_ = Phase::kNone;
  bool closed_ = false;
  bool idle_ = true;  // waiting for the first byte of a request
  // exchange() found its pooled connection closed before the request got through; nothing was
  // answered yet and forward() sends the request again on a new connection.
  bool stale_ = false;
  bool request_id_generated_ = false;  // log_.request_id was generated, not the client's
  IoBuffer in_;
  std::string out_;       // scratch for heads written out
  std::string head_out_;  // the response head, sent with the first body bytes
  http::RequestHead head_;
  http::ResponseHead resp_;
  http::ChunkedDecoder request_chunks_;
  uint64_t request_body_left_ = 0;  // Content-Length bytes not yet read
  bool request_body_done_ = true;
  routing::Request request_;
  std::shared_ptr<const runtime::ConfigGeneration> config_;  // for the request being served
  std::unique_ptr<UpstreamConnection> up_;
  RequestLog log_;
  std::string client_ip_;
  std::string local_address_;
  std::string remote_address_;
};

}  // namespace meshroute::proxy
