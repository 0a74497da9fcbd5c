#include "proxy/http_stream.h"

#include <fmt/format.h>

#include <algorithm>

#include "proxy/filters/cors_filter.h"
#include "proxy/filters/fault_filter.h"
#include "proxy/metrics_recorder.h"
#include "proxy/request_builder.h"
#include "proxy/worker.h"

namespace meshroute::proxy {

namespace asio = boost::asio;
using asio::awaitable;
using Clock = std::chrono::steady_clock;

HttpStream::HttpStream(ProxyWorker& worker)
    : worker_(worker), timers_(worker.context().get_executor()), router_(worker) {}

void HttpStream::begin(const ConnectionInfo& conn) {
  conn_ = &conn;
  log_.reset();
  log_.start = Clock::now();
  log_.start_wall = std::chrono::system_clock::now();
  worker_.shared().active_requests.fetch_add(1, std::memory_order_relaxed);
}

void HttpStream::finish() {
  worker_.shared().active_requests.fetch_sub(1, std::memory_order_relaxed);
  recordRequest(worker_, log_);
  if (worker_.settings().access_log != AccessLogFormat::kOff) {
    scratch_.clear();
    appendAccessLog(scratch_, log_, worker_.settings().access_log, conn_->local_address,
                    conn_->remote_address);
    worker_.accessLog(scratch_);
  }
  decision_.reset();
  config_.reset();
}

awaitable<void> HttpStream::serveCodecError(DownstreamStream& down, const ConnectionInfo& conn,
                                            int status, ProxyError error) {
  begin(conn);
  head_.headers.clear();
  head_.method.clear();
  head_.target.clear();
  head_.authority.clear();
  head_.protocol.clear();
  head_.version_minor = 1;
  head_.keep_alive = false;
  head_.has_body = false;
  const ErrorInfo& e = errorInfo(error);
  log_.failure_side = e.side;
  co_await replyWith(down, status,
                     error == ProxyError::kDownstreamProtocol ? http::reasonPhrase(status) : e.body,
                     "", e.flag, e.details);
  finish();
}

awaitable<bool> HttpStream::serve(DownstreamStream& down, const ConnectionInfo& conn) {
  begin(conn);
  config_ = worker_.config();
  toRoutingRequest(head_, conn.client_ip, request_);
  log_.method = head_.method;
  log_.path = request_.path;
  log_.protocol = head_.protocol;
  log_.authority = request_.authority;
  // One pass over the headers for the three the log keeps (names are lower-case already).
  log_.user_agent.clear();
  log_.request_id.clear();
  log_.forwarded_for.clear();
  const http::HeaderMap& hm = head_.headers;
  for (size_t i = 0; i < hm.size(); ++i) {
    const std::string_view name = hm.name(i);
    if (name.size() == 10 && name == "user-agent") {
      if (log_.user_agent.empty()) log_.user_agent.assign(hm.value(i));
    } else if (name.size() == 12 && name == "x-request-id") {
      if (log_.request_id.empty()) log_.request_id.assign(hm.value(i));
    } else if (name.size() == 15 && name == "x-forwarded-for") {
      if (log_.forwarded_for.empty()) log_.forwarded_for.assign(hm.value(i));
    }
  }
  // Every wait of the stream is bounded, whatever else is armed.
  down.deadlines().set(DeadlineKind::kStreamIdle,
                       log_.start + worker_.settings().stream_idle_timeout);
  down.armDeadlines();
  // The decision and what follows from it, inline: a coroutine call per request costs a frame.
  bool keep = true;
  if (!config_) {
    keep = co_await reply(down, ProxyError::kNoConfiguration);
    finish();
    co_return keep;
  }
  decision_ =
      config_->snapshot->decideShared(worker_.settings().proxy, request_, worker_.decisions());
  const routing::Decision& d = *decision_;
  log_.route_name = d.route_name;
  switch (d.outcome) {
    case routing::Outcome::kRoute:
    case routing::Outcome::kError: {
      // A policy the route does not set costs a test, not a coroutine.
      cors_headers_.clear();
      bool proceed = true;
      if (d.route.cors_compiled || d.route.fault) keep = co_await runFilters(down, proceed);
      if (proceed) {
        keep = co_await router_.forward(*this, down, d, cors_headers_);
        router_.finish();
      }
      break;
    }
    case routing::Outcome::kRedirect:
      scratch_.clear();
      http::appendHeader(scratch_, "location", d.redirect_location);
      keep = co_await replyWith(down, d.status, "", scratch_, ResponseFlag::kNone, "via_redirect");
      break;
    case routing::Outcome::kDirectResponse:
      keep = co_await replyWith(down, d.status, d.body, "", ResponseFlag::kNone, "direct_response");
      break;
    case routing::Outcome::kNoRoute:
    case routing::Outcome::kNoListener: keep = co_await reply(down, ProxyError::kNoRoute); break;
  }
  finish();
  co_return keep;
}

// Istio's HTTP filter order: CORS, then fault injection, then the router. A policy the route
// does not set costs one test here.
awaitable<bool> HttpStream::runFilters(DownstreamStream& down, bool& proceed) {
  const routing::RouteDecision& rd = decision_->route;
  if (rd.cors_compiled) {
    CorsRequest creq;
    creq.method = head_.method;
    creq.origin = head_.headers.get("origin");
    creq.request_method = head_.headers.get("access-control-request-method");
    CorsVerdict v = evaluateCors(*rd.cors_compiled, creq);
    if (v.action == CorsVerdict::Action::kPreflightReply) {
      proceed = false;
      scratch_.clear();
      for (const auto& [name, value] : v.headers) http::appendHeader(scratch_, name, value);
      co_return co_await replyWith(down, v.status, "", scratch_, ResponseFlag::kNone,
                                   "cors_response");
    }
    cors_headers_ = std::move(v.headers);
  }
  if (rd.fault) {
    const FaultVerdict f = evaluateFault(*rd.fault, worker_.random());
    if (f.delay.count() > 0) {
      log_.addFlag(ResponseFlag::kDelayInjected);
      if (!co_await down.sleep(f.delay)) {
        proceed = false;
        log_.addFlag(ResponseFlag::kDownstreamConnectionTermination);
        log_.failure_side = ErrorSide::kDownstream;
        co_return false;
      }
    }
    if (f.abort_status > 0) {
      proceed = false;
      const ErrorInfo& e = errorInfo(ProxyError::kFaultAbort);
      scratch_.clear();
      if (f.grpc_status >= 0) {
        http::appendHeader(scratch_, "content-type", "application/grpc");
        http::appendHeader(scratch_, "grpc-status", static_cast<uint64_t>(f.grpc_status));
        http::appendHeader(scratch_, "grpc-message", e.body);
        co_return co_await replyWith(down, 200, "", scratch_, e.flag, e.details);
      }
      co_return co_await replyWith(down, f.abort_status, e.body, "", e.flag, e.details);
    }
  }
  co_return true;
}

awaitable<bool> HttpStream::reply(DownstreamStream& down, ProxyError error) {
  const ErrorInfo& e = errorInfo(error);
  if (e.side != ErrorSide::kLocal) log_.failure_side = e.side;
  if (error == ProxyError::kDownstreamDisconnect) {
    log_.addFlag(e.flag);
    log_.details = e.details;
    co_return false;
  }
  if (error == ProxyError::kOverflow) {  // Envoy marks a circuit breaker's refusal
    scratch_.clear();
    http::appendHeader(scratch_, "x-envoy-overloaded", "true");
    co_return co_await replyWith(down, e.status, e.body, scratch_, e.flag, e.details);
  }
  co_return co_await replyWith(down, e.status, e.body, "", e.flag, e.details);
}

awaitable<bool> HttpStream::replyTransportFailure(DownstreamStream& down, ProxyError error,
                                                  std::string_view reason) {
  const ErrorInfo& e = errorInfo(error);
  log_.failure_side = e.side;
  std::string body(e.body);
  body += ", transport failure reason: ";
  body += reason;
  // Envoy's details carry the reason inside the braces, spaces as underscores.
  std::string details(e.details);
  std::string tail(reason);
  std::replace(tail.begin(), tail.end(), ' ', '_');
  if (!details.empty() && details.back() == '}') {
    details.pop_back();
    details += ',' + tail + '}';
  }
  co_return co_await replyWith(down, e.status, body, "", e.flag, details);
}

awaitable<bool> HttpStream::replyWith(DownstreamStream& down, int status, std::string_view body,
                                      std::string_view extra_headers, ResponseFlag flag,
                                      std::string_view details) {
  log_.status = status;
  log_.addFlag(flag);
  log_.details.assign(details);
  log_.bytes_sent = body.size();
  if (down.responseStarted()) co_return false;  // too late for an answer: reset instead
  co_return co_await down.sendLocalReply(status, body, extra_headers);
}

}  // namespace meshroute::proxy
