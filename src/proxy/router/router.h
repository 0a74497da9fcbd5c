// The router: the last stage of a request's pipeline. It picks a destination by weight, the
// cluster's endpoint by its load balancer, and runs attempts on pooled upstream connections
// with the route's policy: timeout (the whole request, retries included), retries (every
// retryOn condition, per-try timeout, Envoy's jittered back-off, another endpoint per retry,
// the request body replayed from a bounded buffer), and mirrors (fire-and-forget copies). The
// response streams back through the downstream interface, with the header operations applied.
//
// Thread affinity: the worker thread of its stream. Reused with its stream: the scratch strings
// and header maps keep their capacity.
#pragma once

#include <array>
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/h1.h"
#include "http/header_map.h"
#include "proxy/downstream/downstream_stream.h"
#include "proxy/proxy_error.h"
#include "proxy/router/retry_state.h"
#include "routing/decision.h"
#include "upstream/circuit_breaker.h"

namespace meshroute::proxy {

class HttpStream;
class ProxyWorker;
class Transport;
struct ClusterState;
struct UpstreamConnection;

// Headers a filter adds to the response the router forwards (CORS on actual requests).
using ExtraHeaders = std::vector<std::pair<std::string_view, std::string_view>>;

class Router {
 public:
  explicit Router(ProxyWorker& worker);
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Forwards the stream's request. False: the downstream connection must close.
  // After forward(), however it ended: gives back what the request held of the cluster's
  // connectionPool limits.
  void finish() {
    request_slot_.reset();
    down_ = nullptr;
  }
  boost::asio::awaitable<bool> forward(HttpStream& stream, DownstreamStream& down,
                                       const routing::Decision& decision,
                                       const ExtraHeaders& response_headers);

 private:
  // How one attempt ended.
  struct Attempt {
    bool response = false;  // a response head is in resp_
    ProxyError error = ProxyError::kUpstreamReset;
    AttemptFailure failure = AttemptFailure::kRemoteReset;
    bool downstream_failed = false;  // the client's side: its body was malformed or it left
    bool overflow = false;           // a connectionPool limit refused it: 503 UO, no retry
  };
  boost::asio::awaitable<Attempt> attempt(HttpStream& s, DownstreamStream& down,
                                          ClusterState& cluster, int endpoint, int number);
  // outlierDetection: the attempt's outcome counted against its endpoint, which may eject it.
  void reportOutcome(ClusterState& cluster, int endpoint, const Attempt& a, bool client_gone);
  // Envoy's ssl.* counters of a TLS cluster after a handshake (done, or failed).
  void countHandshake(const ClusterState& cluster, const Transport& t, bool done);
  // Gives a connection whose exchange ended cleanly back to the pool, and its buffer to the
  // worker's.
  void releaseUpstream();
  // The pool key of connections to the endpoint for this request (TLS with auto SNI: per SNI).
  const std::string& poolKey(const ClusterState& cluster, int endpoint);
  // Opens a new connection to the endpoint (pooled ones are taken without it).
  boost::asio::awaitable<bool> connect(DownstreamStream& down, ClusterState& cluster, int endpoint);
  // connectionPool: a connection slot for a new connection, waiting for one as a pending request
  // when all are taken (http1MaxPendingRequests bounds the waiters).
  enum class SlotResult { kGot, kOverflow, kGaveUp };
  boost::asio::awaitable<SlotResult> connectionSlot(DownstreamStream& down, ClusterState& cluster,
                                                    upstream::BreakerHold& slot);
  // The upstream request head of attempt `number`, into head_out_.
  void encodeHead(HttpStream& s, int number);
  // Sends the head and the body (replayed, then read on from the client).
  boost::asio::awaitable<bool> sendRequest(HttpStream& s, DownstreamStream& down, int number,
                                           Attempt& result);
  // The request is out: the route deadline (first attempt) and this attempt's start.
  void armResponseDeadlines(HttpStream& s, DownstreamStream& down, int number);
  // Parses the response head buffered so far, skipping 1xx interim answers (into resp_).
  enum class HeadStep : uint8_t { kComplete, kMore, kMalformed };
  HeadStep parseResponseHead(HttpStream& s);
  boost::asio::awaitable<bool> streamResponse(HttpStream& s, DownstreamStream& down,
                                              const routing::Decision& d,
                                              const routing::RoutedDestination& dest,
                                              ClusterState& cluster, int endpoint,
                                              const ExtraHeaders& extra);
  boost::asio::awaitable<size_t> readUpstream();
  boost::asio::awaitable<bool> writeUpstream(std::string_view a, std::string_view b = {},
                                             std::string_view c = {});
  void fireMirrors(HttpStream& s, const routing::Decision& d);
  void dropUpstream();

  ProxyWorker& worker_;
  http::HeaderMap upstream_headers_;
  http::HeaderMap response_headers_;
  http::ResponseHead resp_;
  std::string head_out_;
  std::string request_id_;
  std::string set_cookie_;  // consistentHash's cookie for this request's response, if issued
  // The request body as sent, kept while a retry or a mirror may need it (bounded).
  std::string replay_;
  // Why the last attempt's transport failed (a TLS handshake or alert), for the local reply.
  std::string transport_failure_;
  std::string pool_key_;          // poolKey()'s, when it is built per request
  bool replay_complete_ = false;  // replay_ holds the whole body
  bool replay_overflow_ = false;  // the body outgrew the bound: no retry, no mirror copy
  bool keep_body_ = false;
  bool mirrors_pending_ = false;
  std::optional<DeadlineKind> expired_;  // the deadline that ended the last attempt, if one did
  std::unique_ptr<UpstreamConnection> up_;
  // The stream forward() serves: whatever gives up_ away (pool, close) first stops the stream
  // watching it, so a reset or a deadline never reaches a connection this request let go.
  DownstreamStream* down_ = nullptr;
  // connectionPool: this request's request slot (http2MaxRequests) while an attempt and its
  // response last.
  upstream::BreakerHold request_slot_;
};

}  // namespace meshroute::proxy
