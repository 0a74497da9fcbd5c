#include "proxy/router/router.h"

#include <fmt/format.h>

#include <array>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <charconv>

#include "proxy/cluster_cache.h"
#include "proxy/filters/fault_filter.h"
#include "proxy/filters/header_ops.h"
#include "proxy/http_stream.h"
#include "proxy/router/mirror.h"
#include "proxy/send_now.h"
#include "proxy/upstream/upstream_pool.h"
#include "proxy/upstream/upstream_transport.h"
#include "proxy/worker.h"
#include "upstream/locality.h"

namespace meshroute::proxy {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;

namespace {

// A request waiting for a connection slot looks again at least this often (a wake is the usual
// end of the wait; deadlines end it otherwise).
constexpr std::chrono::milliseconds kPendingWaitLimit{60 * 1000};

std::chrono::milliseconds toMillis(const api::Duration& d) {
  return std::chrono::milliseconds(d.totalNanos() / 1000000);
}

// grpc-status of a trailers-only gRPC response (in the head), -1 when none.
int grpcStatusOf(const http::ResponseHead& resp) {
  const std::string_view v = http::findHeader(resp.headers, "grpc-status");
  if (v.empty()) return -1;
  int code = -1;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), code);
  return ec == std::errc() && ptr == v.data() + v.size() ? code : -1;
}

const routing::RoutedDestination* pickDestination(const routing::Decision& d, core::Random& rnd) {
  if (d.destinations.size() == 1) return &d.destinations.front();
  double total = 0;
  for (const auto& c : d.destinations) total += c.weight_percent;
  double r = rnd.uniform01() * total;
  const routing::RoutedDestination* dest = nullptr;
  for (const auto& c : d.destinations) {
    dest = &c;
    if (r < c.weight_percent) break;
    r -= c.weight_percent;
  }
  return dest;
}

void bump(std::atomic<uint64_t>* counter) {
  if (counter != nullptr) counter->fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

Router::Router(ProxyWorker& worker) : worker_(worker) {}
Router::~Router() = default;

void Router::countHandshake(const ClusterState& cluster, const Transport& t, bool done) {
  ClusterStats* cs = cluster.stats;
  if (cs == nullptr) return;
  if (done) {
    bump(&cs->ssl_handshake);
    return;
  }
  switch (t.failure()) {
    case TransportFailure::kNone: return;  // the TCP connection failed: not TLS's
    case TransportFailure::kTls: break;
    case TransportFailure::kTlsVerify: bump(&cs->ssl_fail_verify_error); break;
    case TransportFailure::kTlsVerifySan: bump(&cs->ssl_fail_verify_san); break;
  }
  bump(&cs->ssl_connection_error);
}

const std::string& Router::poolKey(const ClusterState& cluster, int endpoint) {
  const std::string& key = cluster.endpoints[static_cast<size_t>(endpoint)].pool_key;
  // Auto SNI: a connection serves only the name it was opened for.
  if (!cluster.originatesTls() || !cluster.tls_origination.sni.empty()) return key;
  pool_key_.assign(key);
  pool_key_ += '|';
  pool_key_ += tlsServerName(cluster, upstream_headers_.get("host"));
  return pool_key_;
}

void Router::releaseUpstream() {
  if (down_ != nullptr) down_->watchUpstream(nullptr);
  if (up_->buffer && !up_->buffer->empty()) {  // bytes nobody asked for: not reusable
    dropUpstream();
    return;
  }
  worker_.buffers().release(std::move(up_->buffer));
  worker_.pool().release(std::move(up_));
}

void Router::dropUpstream() {
  if (down_ != nullptr) down_->watchUpstream(nullptr);
  if (up_) {
    worker_.buffers().release(std::move(up_->buffer));
    up_->transport->close();
    up_.reset();
  }
}

awaitable<bool> Router::forward(HttpStream& s, DownstreamStream& down, const routing::Decision& d,
                                const ExtraHeaders& extra) {
  using routing::DestinationStatus;
  RequestLog& log = s.log();
  const RequestHead& head = s.head();
  const auto& settings = worker_.settings();
  down_ = &down;
  const routing::RoutedDestination* dest = pickDestination(d, worker_.random());
  if (dest == nullptr) co_return co_await s.reply(down, ProxyError::kNoRoute);
  log.upstream_cluster = dest->resolution.cluster;
  const runtime::ConfigGeneration& config = s.config();
  ClusterContext ctx{config.snapshot.get(),    &settings.proxy,         config.version,
                     settings.connect_timeout, &worker_.shared().hosts, &worker_.random(),
                     config.tls.get(),         worker_.shared().dns};
  std::shared_ptr<ClusterState> cluster = worker_.clusters().get(ctx, *dest);
  switch (cluster->status) {
    case DestinationStatus::kOk: break;
    case DestinationStatus::kNoCluster:
    case DestinationStatus::kUnknownHost: co_return co_await s.reply(down, ProxyError::kNoCluster);
    case DestinationStatus::kNoHealthyUpstream:
      co_return co_await s.reply(down, ProxyError::kNoHealthyUpstream);
  }
  if (cluster->originatesTls() && !cluster->tls) {
    // TLS asked for and not to be had (a certificate that did not load): never plaintext.
    co_return co_await s.replyTransportFailure(down, ProxyError::kConnectFailure,
                                               "TLS context unavailable: " + cluster->tls_error);
  }
  if (cluster->passthrough) {
    // PassthroughCluster / PASSTHROUGH: the request's own authority is the original destination
    // (there is no iptables redirect to recover it from). Per request: the endpoint differs.
    const routing::Request& rq = s.routingRequest();
    auto own = std::make_shared<ClusterState>();
    own->name = cluster->name;
    own->passthrough = true;
    own->connect_timeout = cluster->connect_timeout;
    own->service_host = rq.host();
    EndpointInfo ep;
    ep.host = rq.host();
    ep.port = static_cast<uint16_t>(rq.authorityPort() ? rq.authorityPort() : 80);
    ep.key = fmt::format("{}:{}", ep.host, ep.port);
    ep.pool_key = ep.key;
    own->endpoints.push_back(std::move(ep));
    cluster = std::move(own);
  }
  log.cluster = cluster;
  ClusterStats* cs = cluster->stats;

  // The id travels with every attempt and every mirror copy.
  request_id_.clear();
  if (log.request_id.empty()) {  // the stream took the client's x-request-id, if any
    makeRequestId(worker_.random(), request_id_);
    log.request_id = request_id_;
  }
  buildUpstreamHeaders({head, s.routingRequest(), d, *dest, s.connection().client_ip, request_id_},
                       upstream_headers_);

  const routing::RetryPolicy& policy = d.route.retries;
  RetryState retry(policy, worker_.random());
  replay_.clear();
  replay_complete_ = !head.has_body;
  replay_overflow_ = false;
  mirrors_pending_ = !d.route.mirrors.empty();
  keep_body_ = head.has_body && (policy.attempts > 0 || mirrors_pending_);
  if (d.route.timeout && down.bodyComplete()) {
    down.deadlines().set(DeadlineKind::kRoute, Clock::now() + toMillis(*d.route.timeout));
    down.armDeadlines();
  }
  int last_endpoint = -1;
  // The endpoint's active and total requests (LEAST_REQUEST, /clusters) while an attempt lives.
  std::optional<ActiveRequest> active;
  if (mirrors_pending_ && replay_complete_) fireMirrors(s, d);
  // consistentHash: the request's key, once; an issued cookie goes back with the response.
  upstream::PickContext pick;
  set_cookie_.clear();
  if (cluster->hash_policy.kind != upstream::HashPolicy::Kind::kNone) {
    const ConnectionInfo& conn = s.connection();
    upstream::RequestHash h =
        upstream::hashRequest(cluster->hash_policy, s.routingRequest(),
                              {conn.client_ip, conn.remote_address, conn.local_address});
    pick.hash = h.hash;
    set_cookie_ = std::move(h.set_cookie);
  }
  // retryRemoteLocalities: the priorities attempted so far, and those a retry now avoids.
  const bool remote_retries = policy.retry_remote_localities && !cluster->endpoint_priority.empty();
  uint32_t attempted_hosts = 0;
  uint64_t attempted_priorities = 0;
  uint64_t excluded = 0;
  for (int number = 1;; ++number) {
    pick.attempt = 0;
    if (remote_retries) {
      excluded = upstream::prioritiesToExclude(attempted_hosts, attempted_priorities, excluded);
    }
    auto pickOne = [&] {
      int e = cluster->pickExcluding(worker_.random(), pick, excluded);
      if (e == ClusterState::kNoPriorityLeft) {
        // Every priority was tried: Envoy starts over with none excluded.
        attempted_hosts = 0;
        attempted_priorities = 0;
        excluded = 0;
        e = cluster->pick(worker_.random(), pick);
      }
      return e;
    };
    int endpoint = cluster->passthrough ? 0 : pickOne();
    // Istio's previous_hosts retry predicate: another endpoint than the one that failed (a
    // hashing balancer moves on along its ring or table).
    for (int tries = 0; policy.ignore_previous_hosts && tries < kHostSelectionMaxAttempts &&
                        endpoint == last_endpoint && cluster->endpoints.size() > 1;
         ++tries) {
      ++pick.attempt;
      endpoint = pickOne();
    }
    if (remote_retries && endpoint >= 0) {
      ++attempted_hosts;
      const uint32_t p = cluster->endpoint_priority[static_cast<size_t>(endpoint)];
      if (p < 64) attempted_priorities |= uint64_t{1} << p;
    }
    if (endpoint < 0) co_return co_await s.reply(down, ProxyError::kNoHealthyUpstream);
    log.endpoint = endpoint;
    log.upstream_host = cluster->endpoints[static_cast<size_t>(endpoint)].key;
    active.reset();
    active.emplace(cluster->passthrough ? nullptr : &cluster->set, endpoint,
                   cluster->endpoints[static_cast<size_t>(endpoint)].stats);
    expired_.reset();
    Attempt a = co_await attempt(s, down, *cluster, endpoint, number);
    if (cluster->outlier) reportOutcome(*cluster, endpoint, a, down.clientGone());
    if (mirrors_pending_ && replay_complete_) fireMirrors(s, d);
    const auto expired = expired_;
    if (down.clientGone()) {
      dropUpstream();
      log.addFlag(ResponseFlag::kDownstreamConnectionTermination);
      log.failure_side = ErrorSide::kDownstream;
      log.details = "downstream_remote_disconnect";
      bump(cs ? &cs->upstream_cx_destroy_local_with_active_rq : nullptr);
      co_return false;
    }
    if (a.downstream_failed) {
      dropUpstream();
      co_return co_await s.reply(down, a.error);
    }
    if (a.overflow) co_return co_await s.reply(down, ProxyError::kOverflow);  // never retried
    if (expired == DeadlineKind::kRoute) {
      dropUpstream();
      bump(cs ? &cs->upstream_rq_timeout : nullptr);
      co_return co_await s.reply(down, ProxyError::kUpstreamTimeout);
    }
    RetryVerdict verdict;
    if (a.response) {
      verdict = retry.onResponse(resp_.status, grpcStatusOf(resp_));
    } else {
      if (a.failure == AttemptFailure::kPerTryTimeout) {
        bump(cs ? &cs->upstream_rq_per_try_timeout : nullptr);
      }
      verdict = retry.onFailure(a.failure);
    }
    if (verdict == RetryVerdict::kRetry && replay_overflow_) {
      // The body read so far can't be sent again: Envoy's retry overflow. (A body not read
      // completely is fine: the replay buffer holds what was read, the rest follows.)
      bump(cs ? &cs->upstream_rq_retry_overflow : nullptr);
      verdict = RetryVerdict::kNoRetry;
    }
    // connectionPool.http.maxRetries: retries in back-off at once, across workers.
    upstream::BreakerHold retry_slot;
    if (verdict == RetryVerdict::kRetry && cluster->breaker != nullptr) {
      if (cluster->breaker->tryAcquire(upstream::Resource::kRetries)) {
        retry_slot = upstream::BreakerHold(cluster->breaker, upstream::Resource::kRetries);
      } else {
        bump(cs ? &cs->upstream_rq_retry_overflow : nullptr);
        verdict = RetryVerdict::kNoRetry;
      }
    }
    if (verdict == RetryVerdict::kRetry) {
      dropUpstream();
      bump(cs ? &cs->upstream_rq_retry : nullptr);
      last_endpoint = endpoint;
      auto wait = retry.nextBackoff();
      // The back-off never outlives the route timeout: the route deadline ends it.
      if (!co_await down.sleep(wait) && !down.clientGone()) {
        if (down.takeExpired() == DeadlineKind::kRoute) {
          bump(cs ? &cs->upstream_rq_timeout : nullptr);
          co_return co_await s.reply(down, ProxyError::kUpstreamTimeout);
        }
      }
      continue;
    }
    if (verdict == RetryVerdict::kLimitExceeded) {
      log.addFlag(ResponseFlag::kUpstreamRetryLimitExceeded);
      bump(cs ? &cs->upstream_rq_retry_limit_exceeded : nullptr);
    } else if (number > 1 && a.response) {
      bump(cs ? &cs->upstream_rq_retry_success : nullptr);
    }
    if (!a.response) {
      dropUpstream();
      if (a.failure == AttemptFailure::kPerTryTimeout) {
        bump(cs ? &cs->upstream_rq_timeout : nullptr);
        co_return co_await s.reply(down, ProxyError::kPerTryTimeout);
      }
      if (!transport_failure_.empty() &&
          (a.error == ProxyError::kConnectFailure || a.error == ProxyError::kUpstreamReset)) {
        co_return co_await s.replyTransportFailure(down, a.error, transport_failure_);
      }
      co_return co_await s.reply(down, a.error);
    }
    co_return co_await streamResponse(s, down, d, *dest, *cluster, endpoint, extra);
  }
}

awaitable<Router::Attempt> Router::attempt(HttpStream& s, DownstreamStream& down,
                                           ClusterState& cluster, int endpoint, int number) {
  Attempt result;
  transport_failure_.clear();
  // connectionPool: every attempt is an active request (http2MaxRequests, HTTP/1.1 included).
  request_slot_.reset();
  if (cluster.breaker != nullptr) {
    if (!cluster.breaker->tryAcquire(upstream::Resource::kRequests)) {
      bump(&cluster.stats->upstream_rq_pending_overflow);  // where Envoy counts it too
      result.overflow = true;
      result.error = ProxyError::kOverflow;
      co_return result;
    }
    request_slot_ = upstream::BreakerHold(cluster.breaker, upstream::Resource::kRequests);
  }
  // A pooled connection the upstream closed just before the request reached it is found out
  // when nothing comes back; a request that can be sent again then goes on a new connection
  // without counting as an attempt.
  for (int fresh = 0; fresh < 2; ++fresh) {
    // A pooled connection needs no coroutine to be had.
    if (fresh == 0) up_ = worker_.pool().takeIdle(poolKey(cluster, endpoint));
    upstream::BreakerHold slot;
    if (!up_ && cluster.breaker != nullptr) {
      const SlotResult got = co_await connectionSlot(down, cluster, slot);
      if (got == SlotResult::kOverflow) {
        result.overflow = true;
        result.error = ProxyError::kOverflow;
        co_return result;
      }
      if (got == SlotResult::kGaveUp) {  // a deadline, or the client left, while it waited
        result.error = ProxyError::kUpstreamTimeout;
        co_return result;
      }
    }
    if (!up_ && !co_await connect(down, cluster, endpoint)) {
      expired_ = down.takeExpired();
      const bool timed_out = expired_ == DeadlineKind::kConnect;
      result.error = timed_out ? ProxyError::kConnectTimeout : ProxyError::kConnectFailure;
      result.failure =
          timed_out ? AttemptFailure::kConnectTimeout : AttemptFailure::kConnectFailure;
      if (HostStats* hs = cluster.endpoints[static_cast<size_t>(endpoint)].stats) {
        hs->cx_connect_fail.fetch_add(1, std::memory_order_relaxed);
      }
      co_return result;
    }
    if (slot.breaker() != nullptr) up_->slot = std::move(slot);  // the connection's, from now
    if (!up_->buffer) up_->buffer = worker_.buffers().acquire();
    const bool reused = up_->requests > 0;
    ++up_->requests;
    down.watchUpstream(up_.get());
    bool sent = false;
    const RequestHead& head = s.head();
    if (!head.has_body && !head.upgrade && replay_.empty()) {
      // A request without a body, the usual case, goes inline: no coroutine frame unless the
      // socket can't take the head at once.
      encodeHead(s, number);
      SendParts rest{head_out_, {}, {}};
      sent = up_->transport->trySend(rest);
      if (sent && !allSent(rest)) sent = co_await up_->transport->send(rest);
      if (sent) armResponseDeadlines(s, down, number);
    } else {
      sent = co_await sendRequest(s, down, number, result);
    }
    bool nothing_read = true;
    bool malformed = false;
    // The response head, read here rather than in a coroutine of its own: one frame less.
    while (sent) {
      const HeadStep step = parseResponseHead(s);
      if (step == HeadStep::kComplete) {
        result.response = true;
        co_return result;
      }
      if (step == HeadStep::kMalformed) {
        malformed = true;
        break;
      }
      auto buf = up_->buffer->prepare();
      if (buf.size() == 0) break;  // a head larger than the buffer
      const size_t n = co_await up_->transport->readSome(buf);
      if (n == 0) break;
      up_->buffer->commit(n);
      nothing_read = false;
    }
    down.watchUpstream(nullptr);
    expired_ = down.takeExpired();
    if (up_) transport_failure_.assign(up_->transport->failureReason());
    dropUpstream();
    if (result.downstream_failed) co_return result;
    if (expired_ == DeadlineKind::kPerTry) {
      result.error = ProxyError::kUpstreamTimeout;
      result.failure = AttemptFailure::kPerTryTimeout;
      co_return result;
    }
    if (expired_) {
      result.error = ProxyError::kUpstreamTimeout;
      co_return result;
    }
    if (malformed) {
      result.error = ProxyError::kUpstreamProtocol;
      result.failure = AttemptFailure::kProtocolError;
      co_return result;
    }
    const bool resendable = reused && replay_complete_ && !s.head().upgrade && nothing_read;
    if (resendable && !down.clientGone() && fresh == 0) continue;
    result.error = ProxyError::kUpstreamReset;
    result.failure = AttemptFailure::kRemoteReset;
    if (reused && nothing_read) s.log().details = "reused connection closed";
    co_return result;
  }
  co_return result;
}

void Router::reportOutcome(ClusterState& cluster, int endpoint, const Attempt& a,
                           bool client_gone) {
  using upstream::EjectionCause;
  HostStats* hs = cluster.endpoints[static_cast<size_t>(endpoint)].stats;
  // The client's failures, the proxy's own limits and a client gone say nothing of the endpoint.
  if (hs == nullptr || a.downstream_failed || a.overflow || client_gone) return;
  const upstream::OutlierPolicy& policy = *cluster.outlier;
  EjectionCause cause = EjectionCause::kNone;
  if (a.response) {
    cause = upstream::recordStatus(hs->outlier, resp_.status, policy);
  } else if (expired_ != DeadlineKind::kRoute) {
    const bool timeout =
        a.failure == AttemptFailure::kConnectTimeout || a.failure == AttemptFailure::kPerTryTimeout;
    cause = upstream::recordLocalFailure(hs->outlier, timeout, policy);
  }
  if (cause == EjectionCause::kNone) return;
  const auto now = Clock::now();
  size_t ejected = 0;
  for (const EndpointInfo& ep : cluster.endpoints) {
    ejected += ep.stats != nullptr && ep.stats->outlier.ejected(now) ? 1 : 0;
  }
  ClusterStats& cs = *cluster.stats;
  if (!upstream::tryEject(hs->outlier, now, policy, ejected, cluster.endpoints.size())) {
    if (!hs->outlier.ejected(now)) bump(&cs.outlier_detection_ejections_overflow);
    return;
  }
  bump(&cs.outlier_detection_ejections_enforced_total);
  bump(cause == EjectionCause::kConsecutive5xx
           ? &cs.outlier_detection_ejections_enforced_consecutive_5xx
       : cause == EjectionCause::kConsecutiveGateway
           ? &cs.outlier_detection_ejections_enforced_consecutive_gateway_failure
           : &cs.outlier_detection_ejections_enforced_consecutive_local_origin_failure);
  cs.health_epoch.fetch_add(1, std::memory_order_acq_rel);  // every worker rebuilds its state
}

awaitable<Router::SlotResult> Router::connectionSlot(DownstreamStream& down, ClusterState& cluster,
                                                     upstream::BreakerHold& slot) {
  using upstream::Resource;
  upstream::CircuitBreaker& b = *cluster.breaker;
  if (b.tryAcquire(Resource::kConnections)) {
    slot = upstream::BreakerHold(&b, Resource::kConnections);
    co_return SlotResult::kGot;
  }
  bump(&cluster.stats->upstream_cx_overflow);
  if (!b.tryAcquire(Resource::kPending)) {
    bump(&cluster.stats->upstream_rq_pending_overflow);
    co_return SlotResult::kOverflow;
  }
  const upstream::BreakerHold pending(&b, Resource::kPending);
  // This worker's idle connections of the cluster hold slots too: they go first (other
  // workers close theirs on their next tick, seeing someone waits).
  worker_.pool().closeIdleOf(&b);
  bool first = false;
  for (;;) {
    if (b.tryAcquire(Resource::kConnections)) {
      slot = upstream::BreakerHold(&b, Resource::kConnections);
      co_return SlotResult::kGot;
    }
    // The releasing thread may be another worker's: the wake goes through this worker's queue,
    // and finds the wait still on (the token) or does nothing.
    auto token = std::make_shared<DownstreamStream*>(&down);
    std::weak_ptr<DownstreamStream*> weak = token;
    asio::io_context& io = worker_.context();
    const uint64_t ticket = b.waitForConnection(
        [weak, &io] {
          asio::post(io, [weak] {
            if (auto t = weak.lock()) (*t)->wake();
          });
        },
        first);
    if (ticket == 0) continue;  // a slot came free meanwhile
    // Out of the queue however the wait ends, even when the worker's loop is torn down with
    // this frame in it (shutdown): no wake may reach a worker that is gone.
    const struct Unqueue {
      upstream::CircuitBreaker& b;
      uint64_t ticket;
      ~Unqueue() { b.cancelWait(ticket); }
    } unqueue{b, ticket};
    co_await down.sleep(kPendingWaitLimit);
    token.reset();
    const auto expired = down.takeExpired();
    if (expired || down.clientGone()) {
      // Given up. A wake already on its way to this request goes to the next in line instead.
      if (!b.cancelWait(ticket)) b.passWake();
      expired_ = expired;
      co_return SlotResult::kGaveUp;
    }
    first = true;  // woken (or waited the limit out): ahead of later waiters if it lost again
  }
}

awaitable<bool> Router::connect(DownstreamStream& down, ClusterState& cluster, int endpoint) {
  const EndpointInfo& ep = cluster.endpoints[static_cast<size_t>(endpoint)];
  std::unique_ptr<Transport> transport =
      transportFor(worker_.transports(), worker_.context(), cluster,
                   tlsServerName(cluster, upstream_headers_.get("host")), transport_failure_);
  if (!transport) co_return false;
  up_ = std::make_unique<UpstreamConnection>(std::move(transport), poolKey(cluster, endpoint));
  if (cluster.tls) up_->tls_context = cluster.tls->id();
  const upstream::ConnectionPolicy& policy = cluster.connection_policy;
  up_->max_requests = policy.max_requests_per_connection;
  up_->idle_timeout = policy.idle_timeout;
  if (policy.max_connection_duration.count() > 0) {
    up_->expires_at = Clock::now() + policy.max_connection_duration;
  }
  down.watchUpstream(up_.get());
  down.deadlines().set(DeadlineKind::kConnect, Clock::now() + cluster.connect_timeout);
  down.armDeadlines();
  boost::system::error_code ec;
  asio::ip::tcp::endpoint target;
  auto ip = asio::ip::make_address(ep.host, ec);
  if (!ec) {
    target = asio::ip::tcp::endpoint(ip, ep.port);
  } else {
    // A name: passthrough to the request's own authority, or a DNS endpoint of a proxy without
    // a resolver (tests). ServiceEntry DNS endpoints arrive resolved (runtime/dns_resolver.h).
    asio::ip::tcp::resolver resolver(worker_.context());
    auto results = co_await resolver.async_resolve(ep.host, std::to_string(ep.port),
                                                   asio::redirect_error(use_awaitable, ec));
    if (ec || results.empty()) {
      down.deadlines().clear(DeadlineKind::kConnect);
      down.watchUpstream(nullptr);
      up_.reset();
      co_return false;
    }
    target = *results.begin();
  }
  const bool connected = co_await up_->transport->connect(target);
  down.deadlines().clear(DeadlineKind::kConnect);
  if (cluster.originatesTls()) countHandshake(cluster, *up_->transport, connected);
  if (!connected) {
    transport_failure_.assign(up_->transport->failureReason());
    down.watchUpstream(nullptr);
    up_.reset();
    co_return false;
  }
  up_->transport->setKeepalive(policy.keepalive);
  co_return true;
}

void Router::encodeHead(HttpStream& s, int number) {
  const RequestHead& head = s.head();
  head_out_.clear();
  appendUpstreamHead(head_out_, head.method, upstreamPath(s.routingRequest(), s.decision()),
                     upstream_headers_, head, number);
}

void Router::armResponseDeadlines(HttpStream& s, DownstreamStream& down, int number) {
  // The request is complete: the route timeout (once) and this attempt's timeout start now.
  const auto now = Clock::now();
  const routing::RouteDecision& rd = s.decision().route;
  Deadlines& dl = down.deadlines();
  if (rd.timeout && !dl.active(DeadlineKind::kRoute) && number == 1) {
    dl.set(DeadlineKind::kRoute, now + toMillis(*rd.timeout));
  }
  // Envoy drops a per-try timeout that is not below the route timeout.
  if (const auto per_try = effectivePerTryTimeout(rd.retries, rd.timeout)) {
    dl.set(DeadlineKind::kPerTry, now + *per_try);
  } else {
    dl.clear(DeadlineKind::kPerTry);
  }
  dl.set(DeadlineKind::kStreamIdle, now + worker_.settings().stream_idle_timeout);
  down.armDeadlines();
}

awaitable<bool> Router::sendRequest(HttpStream& s, DownstreamStream& down, int number,
                                    Attempt& result) {
  const RequestHead& head = s.head();
  encodeHead(s, number);
  const bool chunked = head.has_body && !head.length_known;
  // What an earlier attempt read of the body goes again first.
  if (!replay_.empty()) {
    std::array<char, 20> line{};
    std::string_view size_line;
    if (chunked) {
      auto r = fmt::format_to_n(line.data(), line.size(), "{:x}\r\n", replay_.size());
      size_line = std::string_view(line.data(), r.size);
    }
    if (!co_await writeUpstream(head_out_, size_line, replay_)) co_return false;
    if (chunked && !co_await writeUpstream("\r\n")) co_return false;
  } else if (!co_await writeUpstream(head_out_)) {
    co_return false;
  }
  if (head.upgrade) co_return true;
  RequestLog& log = s.log();
  std::string_view data;
  while (!down.bodyComplete()) {
    const BodyRead r = co_await down.readBody(data);
    if (r == BodyRead::kInvalid) {
      result.downstream_failed = true;
      result.error = ProxyError::kDownstreamProtocol;
      log.failure_side = ErrorSide::kDownstream;
      co_return false;
    }
    if (r == BodyRead::kClosed) {
      result.downstream_failed = true;
      result.error = ProxyError::kDownstreamDisconnect;
      co_return false;
    }
    if (r == BodyRead::kEnd) break;
    log.bytes_received += data.size();
    if (keep_body_ && !replay_overflow_) {
      if (replay_.size() + data.size() <= worker_.settings().retry_buffer_bytes) {
        replay_.append(data);
      } else {
        replay_overflow_ = true;
        replay_.clear();
        replay_.shrink_to_fit();
      }
    }
    if (chunked) {
      std::array<char, 20> line{};
      auto n = fmt::format_to_n(line.data(), line.size(), "{:x}\r\n", data.size());
      if (!co_await writeUpstream(std::string_view(line.data(), n.size), data, "\r\n")) {
        co_return false;
      }
    } else if (!co_await writeUpstream(data)) {
      co_return false;
    }
  }
  if (head.has_body) {
    replay_complete_ = !replay_overflow_ && keep_body_;
    if (chunked && !co_await writeUpstream("0\r\n\r\n")) co_return false;
  }
  armResponseDeadlines(s, down, number);
  co_return true;
}

Router::HeadStep Router::parseResponseHead(HttpStream& s) {
  const auto& settings = worker_.settings();
  while (!up_->buffer->empty()) {
    auto r =
        http::parseResponseHead(up_->buffer->readable(), settings.limits, s.head().method, resp_);
    if (r.status == http::ParseStatus::kError) return HeadStep::kMalformed;
    if (r.status != http::ParseStatus::kComplete) break;
    // 1xx interim answers: Envoy answered 100-continue itself; others are not forwarded.
    if (resp_.status >= 100 && resp_.status < 200 && resp_.status != 101) {
      up_->buffer->consume(resp_.head_bytes);
      continue;
    }
    return HeadStep::kComplete;
  }
  return HeadStep::kMore;
}

awaitable<bool> Router::streamResponse(HttpStream& s, DownstreamStream& down,
                                       const routing::Decision& d,
                                       const routing::RoutedDestination& dest,
                                       ClusterState& cluster, int endpoint,
                                       const ExtraHeaders& extra) {
  RequestLog& log = s.log();
  const RequestHead& head = s.head();
  log.upstream_service_time_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - log.start).count();
  log.status = resp_.status;
  log.details = "via_upstream";
  if (HostStats* hs = cluster.endpoints[static_cast<size_t>(endpoint)].stats;
      hs != nullptr && resp_.status >= 500) {
    hs->rq_error.fetch_add(1, std::memory_order_relaxed);
  }
  buildResponseHeaders(resp_, d, dest, log.upstream_service_time_ms, response_headers_);
  for (const auto& [name, value] : extra) response_headers_.addReference(name, value);
  if (!set_cookie_.empty()) response_headers_.addReference("set-cookie", set_cookie_);
  ResponseStart start;
  start.status = resp_.status;
  start.reason = resp_.reason;
  start.headers = &response_headers_;
  start.has_body = resp_.framing != http::Framing::kNone;
  start.length_known = resp_.framing == http::Framing::kContentLength;
  start.content_length = resp_.content_length;
  start.upgrade = resp_.status == 101 && head.upgrade;
  if (start.upgrade) {
    response_headers_.addReference("connection", "upgrade");
    response_headers_.add("upgrade", http::findHeader(resp_.headers, "upgrade"));
  }
  up_->buffer->consume(resp_.head_bytes);
  down.watchUpstream(up_.get());
  if (start.upgrade) {
    down.deadlines().clear(DeadlineKind::kPerTry);
    down.deadlines().clear(DeadlineKind::kRoute);
    down.watchUpstream(nullptr);
    if (down.encodeHeaders(start) && co_await down.sendData({}, false)) {
      co_await down.tunnel(std::move(up_));
    } else {
      dropUpstream();
    }
    co_return false;
  }
  if (!start.has_body) {
    const bool ok = down.encodeHeaders(start) && co_await down.sendData({}, true);
    down.watchUpstream(nullptr);
    if (ok && resp_.keep_alive && up_->buffer->empty()) {
      releaseUpstream();
    } else {
      dropUpstream();
    }
    co_return ok;
  }
  if (!down.encodeHeaders(start)) {
    log.addFlag(ResponseFlag::kDownstreamConnectionTermination);
    dropUpstream();
    co_return false;
  }
  http::ChunkedDecoder chunks(worker_.settings().limits);
  uint64_t left = resp_.content_length;
  bool done = false;
  bool wrote = false;  // the held head went out (with data or alone)
  while (true) {
    std::string_view avail = up_->buffer->readable();
    if (resp_.framing == http::Framing::kContentLength) {
      const size_t take = static_cast<size_t>(std::min<uint64_t>(avail.size(), left));
      left -= take;
      done = left == 0;
      log.bytes_sent += take;
      if ((take > 0 || done) && !co_await down.sendData(avail.substr(0, take), done)) break;
      wrote = wrote || take > 0 || done;
      up_->buffer->consume(take);
    } else if (resp_.framing == http::Framing::kChunked) {
      // Decoded and encoded again for the client: what goes out is always well framed.
      size_t off = 0;
      bool ok = true;
      while (off < avail.size() && !done) {
        auto step = chunks.feed(avail.substr(off));
        if (step.error) {
          ok = false;
          log.addFlag(ResponseFlag::kUpstreamProtocolError);
          break;
        }
        off += step.consumed;
        done = step.done;
        log.bytes_sent += step.payload.size();
        if ((!step.payload.empty() || done) && !co_await down.sendData(step.payload, done)) {
          ok = false;
          log.addFlag(ResponseFlag::kDownstreamConnectionTermination);
          break;
        }
        wrote = wrote || !step.payload.empty() || done;
        if (step.consumed == 0) break;
      }
      if (!ok) break;
      up_->buffer->consume(off);
    } else {  // until close
      log.bytes_sent += avail.size();
      if (!avail.empty() && !co_await down.sendData(avail, false)) break;
      wrote = wrote || !avail.empty();
      up_->buffer->consume(avail.size());
    }
    if (done) {
      down.watchUpstream(nullptr);
      down.deadlines().clear(DeadlineKind::kPerTry);
      if (resp_.keep_alive && up_->buffer->empty()) {
        releaseUpstream();
      } else {
        dropUpstream();
      }
      co_return true;
    }
    // Nothing of the body has arrived yet: the head goes out alone, so that a slow body never
    // holds it back.
    if (!wrote && !co_await down.sendData({}, false)) {
      log.addFlag(ResponseFlag::kDownstreamConnectionTermination);
      break;
    }
    wrote = true;
    if (co_await readUpstream() == 0) {
      if (resp_.framing == http::Framing::kUntilClose && !down.clientGone()) {
        const auto expired = down.takeExpired();
        if (!expired) {
          down.watchUpstream(nullptr);
          dropUpstream();
          co_return co_await down.sendData({}, true);
        }
        log.addFlag(ResponseFlag::kUpstreamRequestTimeout);
        break;
      }
      const auto expired = down.takeExpired();
      if (down.clientGone()) {
        log.addFlag(ResponseFlag::kDownstreamConnectionTermination);
      } else if (expired == DeadlineKind::kPerTry || expired == DeadlineKind::kRoute) {
        log.addFlag(ResponseFlag::kUpstreamRequestTimeout);
      } else {
        log.addFlag(ResponseFlag::kUpstreamConnectionTermination);
      }
      break;
    }
  }
  // The response was cut short after it started: all that is left is to reset the client.
  down.watchUpstream(nullptr);
  dropUpstream();
  co_return false;
}

awaitable<size_t> Router::readUpstream() {
  auto buf = up_->buffer->prepare();
  if (buf.size() == 0) co_return 0;
  const size_t n = co_await up_->transport->readSome(buf);
  up_->buffer->commit(n);
  co_return n;
}

awaitable<bool> Router::writeUpstream(std::string_view a, std::string_view b, std::string_view c) {
  SendParts rest{a, b, c};
  if (!up_->transport->trySend(rest)) co_return false;
  if (allSent(rest)) co_return true;
  co_return co_await up_->transport->send(rest);
}

void Router::fireMirrors(HttpStream& s, const routing::Decision& d) {
  mirrors_pending_ = false;
  if (replay_overflow_) return;  // the copy would be cut short: Envoy does not send it either
  const auto& settings = worker_.settings();
  const runtime::ConfigGeneration& config = s.config();
  for (const routing::Mirror& m : d.route.mirrors) {
    if (!drawPercent(m.percent, worker_.random())) continue;
    MirrorRequest copy;
    copy.method = s.head().method;
    copy.path = std::string(upstreamPath(s.routingRequest(), d));
    copy.headers.assignOwned(upstream_headers_);  // the copy outlives this request
    if (settings.mirror_shadow_suffix) {
      // Envoy's original behaviour: "-shadow" appended to the host part of the authority.
      std::string host(copy.headers.get("host"));
      const size_t colon = host.rfind(':');
      if (colon != std::string::npos && host.find(']') == std::string::npos) {
        host.insert(colon, "-shadow");
      } else {
        host += "-shadow";
      }
      copy.headers.set("host", host);
    }
    copy.body = replay_;
    copy.has_body = s.head().has_body;
    routing::RoutedDestination target;
    target.host = m.host;
    target.subset = m.subset;
    target.port = m.port;
    target.resolution.cluster = m.cluster;
    ClusterContext ctx{config.snapshot.get(),    &settings.proxy,         config.version,
                       settings.connect_timeout, &worker_.shared().hosts, &worker_.random(),
                       config.tls.get(),         worker_.shared().dns};
    auto cluster = worker_.clusters().get(ctx, target);
    copy.timeout = d.route.timeout ? toMillis(*d.route.timeout) : settings.mirror_timeout;
    sendMirror(worker_, std::move(cluster), std::move(copy));
  }
}

}  // namespace meshroute::proxy
