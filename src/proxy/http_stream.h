// One request's life on a worker, whatever the codec: the routing decision against the
// configuration current when the request started, the filters in Istio's order (CORS, fault
// injection), then the router. It owns what the request needs (head, routing view, decision,
// log) and is reused: the worker keeps a pool, so the per-request strings and header maps keep
// their capacity and an idle connection holds none of it.
//
// Thread affinity: the worker thread of the connection that serves it.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>

#include "proxy/downstream/downstream_stream.h"
#include "proxy/downstream/h1_connection.h"
#include "proxy/proxy_error.h"
#include "proxy/request_log.h"
#include "proxy/router/router.h"
#include "routing/decision.h"
#include "routing/request.h"
#include "runtime/config_store.h"

namespace meshroute::proxy {

class ProxyWorker;

// A stream's deadlines and the timers that enforce them. They belong to the stream, not the
// connection: an idle connection holds no timer, and an HTTP/2 connection's streams each have
// their own. The codec arms them (DownstreamStream::armDeadlines).
struct StreamTimers {
  explicit StreamTimers(const boost::asio::any_io_executor& ex) : deadline(ex), sleep(ex) {}
  // Back to rest between requests: nothing set, nothing pending.
  void reset() {
    deadlines.clearAll();
    scheduled = Deadlines::kNever;
    deadline.cancel();
    sleep.cancel();
  }

  Deadlines deadlines;
  boost::asio::steady_timer deadline;                   // set for the earliest of `deadlines`
  boost::asio::steady_timer sleep;                      // fault delays and retry back-off
  Deadlines::time_point scheduled = Deadlines::kNever;  // what `deadline` is set for
};

class HttpStream {
 public:
  explicit HttpStream(ProxyWorker& worker);

  RequestHead& head() { return head_; }
  RequestLog& log() { return log_; }
  [[nodiscard]] const routing::Request& routingRequest() const { return request_; }
  [[nodiscard]] const runtime::ConfigGeneration& config() const { return *config_; }
  [[nodiscard]] const ConnectionInfo& connection() const { return *conn_; }
  [[nodiscard]] const routing::Decision& decision() const { return *decision_; }
  // The codec's scratch for what it writes (response heads, local replies): part of the pooled
  // stream, so an idle connection holds none of it.
  std::string& wire() { return wire_; }
  StreamTimers& timers() { return timers_; }

  // Serves the request whose head is in head(). False: the connection must close after it.
  boost::asio::awaitable<bool> serve(DownstreamStream& down, const ConnectionInfo& conn);
  // Answers a request whose head could not be read (the codec's 400/431/501/505, or 408).
  boost::asio::awaitable<void> serveCodecError(DownstreamStream& down, const ConnectionInfo& conn,
                                               int status, ProxyError error);

  // Answers locally with Envoy's status, body, flag and details for `error`, recording it.
  boost::asio::awaitable<bool> reply(DownstreamStream& down, ProxyError error);
  // `error`'s reply with Envoy's ", transport failure reason: ..." after its body and in its
  // details (a TLS handshake that failed, a context that did not load).
  boost::asio::awaitable<bool> replyTransportFailure(DownstreamStream& down, ProxyError error,
                                                     std::string_view reason);
  boost::asio::awaitable<bool> replyWith(DownstreamStream& down, int status, std::string_view body,
                                         std::string_view extra_headers, ResponseFlag flag,
                                         std::string_view details);

 private:
  // The filters before the router. False in `proceed`: a filter answered.
  boost::asio::awaitable<bool> runFilters(DownstreamStream& down, bool& proceed);
  void begin(const ConnectionInfo& conn);
  void finish();

  ProxyWorker& worker_;
  RequestHead head_;
  routing::Request request_;
  std::shared_ptr<const runtime::ConfigGeneration> config_;
  std::shared_ptr<const routing::Decision> decision_;
  const ConnectionInfo* conn_ = nullptr;
  RequestLog log_;
  std::string scratch_;
  std::string wire_;
  ExtraHeaders cors_headers_;
  StreamTimers timers_;
  Router router_;
};

}  // namespace meshroute::proxy
