// The upstream half of a session: endpoint choice with Istio's default connect-failure retries,
// the request head as Envoy rewrites it, body streaming both ways, upgrades.
#include <fmt/format.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "proxy/header_rewrite.h"
#include "proxy/session.h"
#include "proxy/worker.h"

namespace meshroute::proxy {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;

namespace {

std::chrono::milliseconds toMillis(const api::Duration& d) {
  return std::chrono::milliseconds(d.totalNanos() / 1000000);
}

bool retriesConnectFailure(const routing::RetryPolicy& p) {
  if (p.attempts <= 0) return false;
  // Istio's default list starts with it: settle the common case without splitting the list.
  constexpr std::string_view kToken = "connect-failure";
  const std::string_view on = p.retry_on;
  if (on.starts_with(kToken) && (on.size() == kToken.size() || on[kToken.size()] == ',')) {
    return true;
  }
  return http::hasToken(on, kToken);
}

constexpr size_t kUpstreamBuffer = 64 * size_t{1024} + 16 * size_t{1024};

}  // namespace

awaitable<bool> Session::forward(const routing::Decision& d,
                                 const routing::RoutedDestination& dest) {
  using routing::DestinationStatus;
  const auto& settings = worker_.settings();
  log_.upstream_cluster = dest.resolution.cluster;
  ClusterContext ctx{config_->snapshot.get(),  &settings.proxy,         config_->version,
                     settings.connect_timeout, &worker_.shared().hosts, &worker_.random()};
  std::shared_ptr<ClusterState> cluster = worker_.clusters().get(ctx, dest);
  switch (cluster->status) {
    case DestinationStatus::kOk: break;
    case DestinationStatus::kNoCluster:
    case DestinationStatus::kUnknownHost: co_return co_await reply(ProxyError::kNoCluster);
    case DestinationStatus::kNoHealthyUpstream:
      co_return co_await reply(ProxyError::kNoHealthyUpstream);
  }
  if (cluster->passthrough) {
    // PassthroughCluster / PASSTHROUGH: the request's own authority is the original
    // destination (there is no iptables redirect to recover it from). Per request, since the
    // endpoint differs for each.
    auto own = std::make_shared<ClusterState>();
    own->name = cluster->name;
    own->passthrough = true;
    own->connect_timeout = cluster->connect_timeout;
    own->service_host = request_.host();
    std::string host = request_.host();
    uint16_t port = static_cast<uint16_t>(request_.authorityPort() ? request_.authorityPort() : 80);
    EndpointInfo ep;
    ep.key = fmt::format("{}:{}", host, port);
    ep.host = std::move(host);
    ep.port = port;
    own->endpoints.push_back(std::move(ep));
    cluster = std::move(own);
  }
  log_.cluster = cluster;
  const int attempts = 1 + (retriesConnectFailure(d.route.retries) ? d.route.retries.attempts : 0);
  int last_failed = -1;
  ProxyError failure = ProxyError::kNoHealthyUpstream;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    if (attempt > 0) {
      // Envoy's retry back-off: a random wait up to the base interval (25 ms), doubling.
      auto base = d.route.retries.backoff ? toMillis(*d.route.retries.backoff)
                                          : std::chrono::milliseconds(25);
      auto cap = base * (1 << std::min(attempt - 1, 4));
      asio::steady_timer backoff(down_.get_executor());
      backoff.expires_after(std::chrono::milliseconds(
          worker_.random().below(static_cast<uint64_t>(cap.count()) + 1)));
      boost::system::error_code ec;
      co_await backoff.async_wait(asio::redirect_error(use_awaitable, ec));
      if (closed_) co_return false;
    }
    int endpoint = cluster->passthrough ? 0 : cluster->pick(worker_.random());
    // Istio's previous_hosts retry predicate: prefer an endpoint that has not failed.
    for (int tries = 0; tries < 5 && endpoint == last_failed && cluster->endpoints.size() > 1;
         ++tries) {
      endpoint = cluster->pick(worker_.random());
    }
    if (endpoint < 0) co_return co_await reply(ProxyError::kNoHealthyUpstream);
    log_.endpoint = endpoint;
    log_.upstream_host = cluster->endpoints[endpoint].key;
    if (co_await connectUpstream(*cluster, endpoint, /*reuse=*/true)) {
      bool keep = co_await exchange(d, dest, *cluster, endpoint);
      if (!stale_) co_return keep;
      // The pooled connection had been closed by the upstream before the request reached it
      // (a close racing the reuse): nothing was processed, so a fresh connection takes it.
      stale_ = false;
      if (co_await connectUpstream(*cluster, endpoint, /*reuse=*/false)) {
        co_return co_await exchange(d, dest, *cluster, endpoint);
      }
    }
    failure =
        expired_ == Phase::kConnect ? ProxyError::kConnectTimeout : ProxyError::kConnectFailure;
    if (HostStats* hs = cluster->endpoints[static_cast<size_t>(endpoint)].stats) {
      hs->cx_connect_fail.fetch_add(1, std::memory_order_relaxed);
    }
    expired_ = Phase::kNone;
    last_failed = endpoint;
    if (closed_) co_return false;
  }
  if (attempts == 1) co_return co_await reply(failure);
  // Envoy lists flags in a fixed order: the failure, then "retry limit exceeded".
  LocalReply r = localReplyFor(failure);
  std::string flags = std::string(r.flag) + ",URX";
  co_return co_await replyWith(r.status, r.body, "", flags, r.details);
}

awaitable<bool> Session::connectUpstream(ClusterState& cluster, int endpoint, bool reuse) {
  const EndpointInfo& ep = cluster.endpoints[endpoint];
  if (reuse) {
    up_ = worker_.pool().takeIdle(ep.key);
    if (up_) co_return true;
  }
  up_ = std::make_unique<UpstreamConnection>(worker_.context(), ep.key, kUpstreamBuffer);
  arm(Phase::kConnect, cluster.connect_timeout);
  boost::system::error_code ec;
  asio::ip::tcp::endpoint target;
  auto ip = asio::ip::make_address(ep.host, ec);
  if (!ec) {
    target = asio::ip::tcp::endpoint(ip, ep.port);
  } else {
    // A DNS endpoint (ServiceEntry resolution DNS, passthrough to a name): resolve per connect.
    asio::ip::tcp::resolver resolver(down_.get_executor());
    auto results = co_await resolver.async_resolve(ep.host, std::to_string(ep.port),
                                                   asio::redirect_error(use_awaitable, ec));
    if (ec || results.empty()) {
      disarm();
      up_.reset();
      co_return false;
    }
    target = *results.begin();
  }
  co_await up_->socket.async_connect(target, asio::redirect_error(use_awaitable, ec));
  disarm();
  if (ec || !up_->socket.is_open()) {
    up_.reset();
    co_return false;
  }
  up_->socket.set_option(asio::ip::tcp::no_delay(true), ec);
  co_return true;
}

awaitable<bool> Session::exchange(const routing::Decision& d,
                                  const routing::RoutedDestination& dest, ClusterState& cluster,
                                  int endpoint) {
  const auto& settings = worker_.settings();
  auto active = cluster.trackActive(endpoint);
  buildUpstreamHead(d, dest, cluster);
  const auto upstream_start = Clock::now();
  const bool reused = up_->requests > 0;
  ++up_->requests;
  arm(Phase::kStream, settings.stream_idle_timeout);
  // Only a request without a body can be sent again: a body streams through once.
  const bool resendable = reused && request_body_done_ && !head_.upgrade;
  bool sent = co_await writeUpstream(out_);
  if (sent && !head_.upgrade) sent = co_await streamRequestBody();
  if (closed_) co_return false;
  if (!sent) {
    up_.reset();
    if (resendable) {
      stale_ = true;
      co_return false;
    }
    if (reused) log_.details = "reused connection closed";
    co_return co_await reply(ProxyError::kUpstreamReset);
  }
  // Wait for the response head: the route timeout when one is set, else the stream idle one.
  auto wait = d.route.timeout && d.route.timeout->totalNanos() > 0 ? toMillis(*d.route.timeout)
                                                                   : settings.stream_idle_timeout;
  arm(Phase::kResponse, wait);
  size_t response_bytes = 0;
  while (true) {
    if (!up_->buffer.empty()) {
      auto r =
          http::parseResponseHead(up_->buffer.readable(), settings.limits, request_.method, resp_);
      if (r.status == http::ParseStatus::kError) {
        disarm();
        up_.reset();
        co_return co_await reply(ProxyError::kUpstreamProtocol);
      }
      if (r.status == http::ParseStatus::kComplete) {
        // 1xx interim answers: Envoy answered 100-continue itself; others are not forwarded.
        if (resp_.status >= 100 && resp_.status < 200 && resp_.status != 101) {
          up_->buffer.consume(resp_.head_bytes);
          continue;
        }
        break;
      }
    }
    const size_t n = co_await readUpstream();
    response_bytes += n;
    if (n == 0) {
      const bool timed_out = expired_ == Phase::kResponse;
      const bool nothing_read = response_bytes == 0;
      expired_ = Phase::kNone;
      disarm();
      up_.reset();
      if (closed_) co_return false;
      if (resendable && !timed_out && nothing_read) {
        stale_ = true;
        co_return false;
      }
      co_return co_await reply(timed_out && d.route.timeout ? ProxyError::kUpstreamTimeout
                                                            : ProxyError::kUpstreamReset);
    }
  }
  disarm();
  log_.upstream_service_time_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - upstream_start).count();
  log_.status = resp_.status;
  log_.details = "via_upstream";
  if (HostStats* hs = cluster.endpoints[static_cast<size_t>(endpoint)].stats;
      hs != nullptr && resp_.status >= 500) {
    hs->rq_error.fetch_add(1, std::memory_order_relaxed);
  }
  const bool client_close = !head_.keep_alive || worker_.draining();
  const bool upgrade = resp_.status == 101 && head_.upgrade;
  bool keep_down = !client_close && request_body_done_ && !upgrade;
  // HTTP/1.0 clients can't take chunked: the body is unframed and the connection closes.
  if (head_.version_minor == 0 &&
      (resp_.framing == http::Framing::kChunked || resp_.framing == http::Framing::kUntilClose)) {
    keep_down = false;
  }
  if (resp_.framing == http::Framing::kUntilClose) keep_down = false;
  head_out_.clear();
  appendResponseHead(head_out_, resp_, head_.version_minor, d, dest, log_.upstream_service_time_ms,
                     !keep_down, upgrade);
  up_->buffer.consume(resp_.head_bytes);
  arm(Phase::kStream, settings.stream_idle_timeout);
  if (upgrade) {
    if (!co_await writeDownstream(head_out_)) {
      up_.reset();
      co_return false;
    }
    co_await tunnel();
    co_return false;
  }
  bool upstream_reusable = false;
  bool ok = co_await streamResponseBody(upstream_reusable);
  disarm();
  if (ok && upstream_reusable && resp_.keep_alive && request_body_done_) {
    worker_.pool().release(std::move(up_));
  } else {
    up_.reset();
  }
  co_return ok&& keep_down;
}

void Session::buildUpstreamHead(const routing::Decision& d, const routing::RoutedDestination& dest,
                                const ClusterState& cluster) {
  out_.clear();
  static const std::string kNone;
  UpstreamHeadInput in{head_,
                       request_,
                       d,
                       dest,
                       client_ip_,
                       request_id_generated_ ? kNone : log_.request_id,
                       worker_.random()};
  if (request_id_generated_) in.generated_request_id = log_.request_id;  // a second attempt
  appendUpstreamRequestHead(out_, in);
  if (log_.request_id.empty()) {
    log_.request_id = in.generated_request_id;
    request_id_generated_ = true;
  }
}

awaitable<bool> Session::streamRequestBody() {
  if (request_body_done_) co_return true;
  while (true) {
    size_t take = 0;
    std::string_view avail = in_.readable();
    if (head_.framing == http::Framing::kContentLength) {
      take = std::min<uint64_t>(avail.size(), request_body_left_);
      request_body_left_ -= take;
      log_.bytes_received += take;
      if (request_body_left_ == 0) request_body_done_ = true;
    } else {  // chunked: forward the framing as it is, find where the message ends
      while (take < avail.size()) {
        auto step = request_chunks_.feed(avail.substr(take));
        if (step.error) co_return false;
        take += step.consumed;
        log_.bytes_received += step.payload.size();
        if (step.done) {
          request_body_done_ = true;
          break;
        }
        if (step.consumed == 0) break;
      }
    }
    if (take > 0) {
      if (!co_await writeUpstream(avail.substr(0, take))) co_return false;
      in_.consume(take);
    }
    if (request_body_done_) co_return true;
    if (co_await readDownstream() == 0) {
      log_.addFlag("DC");
      close();
      co_return false;
    }
  }
}

// The response head (head_out_) goes out with the first body bytes in one gathered write: one
// system call for a small response instead of two. It goes out alone when the body is empty or
// has not arrived yet, so a slow body never holds the head back.
awaitable<bool> Session::streamResponseBody(bool& upstream_reusable) {
  upstream_reusable = false;
  bool head_sent = false;
  auto sendHead = [&]() -> awaitable<bool> {
    head_sent = true;
    if (co_await writeDownstream(head_out_)) co_return true;
    log_.addFlag("DC");
    co_return false;
  };
  if (resp_.framing == http::Framing::kNone) {
    if (!co_await sendHead()) co_return false;
    upstream_reusable = up_->buffer.empty();
    co_return true;
  }
  http::ChunkedDecoder chunks(worker_.settings().limits);
  uint64_t left = resp_.content_length;
  const bool unframe = head_.version_minor == 0 && resp_.framing == http::Framing::kChunked;
  while (true) {
    std::string_view avail = up_->buffer.readable();
    size_t take = 0;
    bool done = false;
    out_.clear();
    if (resp_.framing == http::Framing::kContentLength) {
      take = std::min<uint64_t>(avail.size(), left);
      left -= take;
      log_.bytes_sent += take;
      done = left == 0;
    } else if (resp_.framing == http::Framing::kChunked) {
      while (take < avail.size()) {
        auto step = chunks.feed(avail.substr(take));
        if (step.error) co_return false;
        take += step.consumed;
        log_.bytes_sent += step.payload.size();
        if (unframe) out_.append(step.payload);
        if (step.done) {
          done = true;
          break;
        }
        if (step.consumed == 0) break;
      }
    } else {  // until close
      take = avail.size();
      log_.bytes_sent += take;
    }
    if (take > 0) {
      std::string_view chunk = unframe ? std::string_view(out_) : avail.substr(0, take);
      bool ok = true;
      if (!head_sent) {
        head_sent = true;
        ok = co_await writeDownstream(head_out_, chunk);
      } else if (!chunk.empty()) {
        ok = co_await writeDownstream(chunk);
      }
      if (!ok) {
        log_.addFlag("DC");
        co_return false;
      }
      up_->buffer.consume(take);
    }
    if (!head_sent && !co_await sendHead()) co_return false;
    if (done) {
      upstream_reusable = up_->buffer.empty();
      co_return true;
    }
    if (co_await readUpstream() == 0) {
      // A close ends an unframed body; anywhere else it cuts the response short.
      if (resp_.framing == http::Framing::kUntilClose && expired_ == Phase::kNone) co_return true;
      log_.addFlag("UC");
      co_return false;
    }
  }
}

awaitable<void> Session::tunnel() {
  // Raw bytes both ways until either side closes; then both connections close.
  auto self = shared_from_this();
  disarm();
  auto up = std::shared_ptr<UpstreamConnection>(std::move(up_));
  auto pump = [self, up](asio::ip::tcp::socket& from, asio::ip::tcp::socket& to,
                         IoBuffer& pending) -> awaitable<void> {
    boost::system::error_code ec;
    if (!pending.empty()) {
      auto data = pending.readable();
      co_await asio::async_write(to, asio::buffer(data.data(), data.size()),
                                 asio::redirect_error(use_awaitable, ec));
      pending.clear();
    }
    std::array<char, 16 * size_t{1024}> buf{};
    while (!ec) {
      size_t n =
          co_await from.async_read_some(asio::buffer(buf), asio::redirect_error(use_awaitable, ec));
      if (ec) break;
      co_await asio::async_write(to, asio::buffer(buf.data(), n),
                                 asio::redirect_error(use_awaitable, ec));
    }
    up->socket.close(ec);
    self->close();
  };
  asio::co_spawn(
      down_.get_executor(),
      [pump, up, self]() -> awaitable<void> { co_await pump(up->socket, self->down_, up->buffer); },
      asio::detached);
  co_await pump(down_, up->socket, in_);
}

}  // namespace meshroute::proxy
