#include "proxy/router/mirror.h"

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>

#include "proxy/cluster_cache.h"
#include "proxy/downstream/downstream_stream.h"
#include "proxy/filters/header_ops.h"
#include "proxy/upstream/upstream_transport.h"
#include "proxy/worker.h"
#include "upstream/circuit_breaker.h"

namespace meshroute::proxy {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;

namespace {

// `request` and `connection`: the copy's hold on its cluster's circuit breaker (empty when the
// cluster sets no limits), released when the copy is done.
awaitable<void> runMirror(ProxyWorker& worker, std::shared_ptr<ClusterState> cluster,
                          MirrorRequest req, int endpoint, upstream::BreakerHold request,
                          upstream::BreakerHold connection) {
  const EndpointInfo& ep = cluster->endpoints[static_cast<size_t>(endpoint)];
  std::string tls_failure;
  std::shared_ptr<Transport> transport =
      transportFor(worker.transports(), worker.context(), *cluster,
                   tlsServerName(*cluster, req.headers.get("host")), tls_failure);
  if (!transport) co_return;  // TLS asked for and not to be had: no copy, never plaintext
  Transport& conn = *transport;
  asio::steady_timer deadline(worker.context());
  // The copy's own deadline: closing the connection ends whatever it waits on. The handler
  // holds the connection weakly: it may run after the copy is done with it.
  deadline.expires_after(req.timeout);
  deadline.async_wait(
      [weak = std::weak_ptr<Transport>(transport)](const boost::system::error_code& ec) {
        if (auto t = weak.lock(); t && !ec) t->close();
      });
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(ep.host, ec);
  asio::ip::tcp::endpoint target;
  if (!ec) {
    target = asio::ip::tcp::endpoint(ip, ep.port);
  } else {
    asio::ip::tcp::resolver resolver(worker.context());
    auto results = co_await resolver.async_resolve(ep.host, std::to_string(ep.port),
                                                   asio::redirect_error(use_awaitable, ec));
    if (ec || results.empty()) {
      deadline.cancel();
      co_return;
    }
    target = *results.begin();
  }
  bool ok = co_await conn.connect(target);
  if (ok) conn.setKeepalive(cluster->connection_policy.keepalive);
  if (ok) {
    RequestHead framing;
    framing.method = req.method;
    framing.has_body = req.has_body;
    framing.length_known = true;
    framing.content_length = req.body.size();
    std::string out;
    appendUpstreamHead(out, req.method, req.path, req.headers, framing, 1);
    out += req.body;
    ok = co_await conn.send({out, {}, {}});
  }
  // Read the answer until the upstream closes or the deadline does, and drop it: a copy's
  // connection is never reused, so nothing of it can leak into primary traffic.
  std::array<char, 4096> sink{};
  while (ok && co_await conn.readSome(asio::buffer(sink)) > 0) {
  }
  deadline.cancel();
  conn.close();
  connection.reset();
  request.reset();
}

}  // namespace

void sendMirror(ProxyWorker& worker, std::shared_ptr<ClusterState> cluster, MirrorRequest request) {
  if (cluster->status != routing::DestinationStatus::kOk || cluster->endpoints.empty()) return;
  if (worker.mirrorsInFlight() >= kMaxMirrorsInFlight) {
    worker.countMirrorDropped();
    return;
  }
  const int endpoint = cluster->pick(worker.random());
  if (endpoint < 0) return;
  // The copy is a request on its cluster like any other: its connectionPool limits count it
  // (Envoy's shadow requests go through the cluster's pool). A copy never waits: with no
  // request slot or connection free, it is dropped and counted as the overflow it is.
  upstream::BreakerHold request_slot;
  upstream::BreakerHold connection_slot;
  if (cluster->breaker != nullptr) {
    if (!cluster->breaker->tryAcquire(upstream::Resource::kRequests)) {
      cluster->stats->upstream_rq_pending_overflow.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    request_slot = upstream::BreakerHold(cluster->breaker, upstream::Resource::kRequests);
    if (!cluster->breaker->tryAcquire(upstream::Resource::kConnections)) {
      cluster->stats->upstream_cx_overflow.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    connection_slot = upstream::BreakerHold(cluster->breaker, upstream::Resource::kConnections);
  }
  if (cluster->stats != nullptr) {
    cluster->stats->upstream_rq_mirrored.fetch_add(1, std::memory_order_relaxed);
  }
  worker.mirrorStarted();
  ProxyWorker* w = &worker;
  asio::co_spawn(worker.context(),
                 runMirror(worker, std::move(cluster), std::move(request), endpoint,
                           std::move(request_slot), std::move(connection_slot)),
                 [w](const std::exception_ptr& e) {
                   w->mirrorEnded();
                   if (e) w->logInternalError("mirror", e);
                 });
}

}  // namespace meshroute::proxy
