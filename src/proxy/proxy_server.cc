#include "proxy/proxy_server.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <iostream>

#include "proxy/enforcement.h"
#include "runtime/listener.h"
#include "upstream/dns_endpoints.h"

namespace meshroute::proxy {

ProxyServer::ProxyServer(boost::asio::io_context& main, ProxySettings settings,
                         std::vector<std::string> paths, routing::MeshConfig mesh)
    : main_(main),
      settings_(std::move(settings)),
      paths_(paths),
      metrics_(settings_.workers),
      shared_(settings_, metrics_),
      store_(std::move(paths), std::move(mesh)),
      drain_timer_(main) {
  upstream::TlsScope tls;
  tls.secrets_dir = settings_.secrets_dir;
  tls.proxy_namespace = settings_.proxy.ns;
  tls.proxy_labels = settings_.proxy.labels;
  tls.sidecar = settings_.proxy.type == routing::ProxyType::kSidecar;
  store_.setTlsScope(std::move(tls));
  if (settings_.access_log != AccessLogFormat::kOff) {
    access_log_ = std::make_unique<AccessLogWriter>(STDOUT_FILENO);
    shared_.access_log = access_log_.get();
  }
}

ProxyServer::~ProxyServer() {
  for (auto& w : workers_) w->stop();
  for (auto& w : workers_) w->join();
}

void ProxyServer::log(std::string_view line) const {
  // Operational messages go to stderr; stdout carries the access log only.
  std::cerr << fmt::format(
      "[{:%Y-%m-%dT%H:%M:%S}Z] meshroute: {}\n",
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()), line);
}

void ProxyServer::resolveNames(const runtime::ConfigGeneration& gen,
                               std::chrono::milliseconds limit) {
  const std::vector<std::string> names = upstream::dnsNames(gen.snapshot->registry().services());
  if (!dns_) {
    // Made once, before any worker runs: workers and the admin thread read shared_.dns
    // without a lock, so it never changes after start.
    runtime::DnsResolver::Options o;
    o.servers = settings_.dns_servers;
    o.refresh.refresh = gen.snapshot->mesh().dns_refresh_rate;
    o.log = [this](std::string_view line) { log(line); };
    dns_ = std::make_unique<runtime::DnsResolver>(std::move(o));
    shared_.dns = dns_.get();
  }
  if (!names.empty() && !dns_->ok()) {
    log("warning: DNS endpoints cannot be resolved: " + dns_->error());
  }
  dns_->track({names.begin(), names.end()});
  // As Envoy warms DNS clusters before it serves: the first answers, for a bounded while.
  if (!dns_->waitSettled(limit)) {
    log(
        fmt::format("dns: some names have no answer after {} ms; their clusters answer 503 UH "
                    "until they do",
                    limit.count()));
  }
}

bool ProxyServer::start(std::string& error) {
  auto gen = store_.reload();
  if (!gen) {
    error = "configuration rejected:";
    for (const auto& r : store_.lastRejection()->reasons) error += "\n  " + r;
    return false;
  }
  resolveNames(*gen, std::chrono::seconds(5));
  for (const auto& w : gen->warnings) log("warning: " + w);
  for (const auto& w : unenforcedPolicies(*gen->snapshot)) log("warning: " + w);
  for (size_t i = 0; i < settings_.workers; ++i) {
    auto worker = std::make_unique<ProxyWorker>(i, shared_);
    auto acceptor = runtime::openListener(worker->context(), settings_.listen, true, error);
    if (!acceptor) return false;
    if (settings_.listen.port == 0 && i == 0) {
      // An ephemeral port: every worker must share the one the first listener got.
      settings_.listen.port = acceptor->local_endpoint().port();
    }
    worker->publish(gen);
    worker->start(std::move(*acceptor));
    workers_.push_back(std::move(worker));
  }
  watcher_ =
      std::make_unique<runtime::FileWatcher>(main_, paths_, [this] { reload("file change"); });
  if (!watcher_->active())
    log("file watching unavailable (" + watcher_->error() + "); SIGHUP reloads");
  if (!settings_.secrets_dir.empty()) {
    secrets_watcher_ = std::make_unique<runtime::FileWatcher>(
        main_, std::vector<std::string>{settings_.secrets_dir},
        [this] { reload("secret change"); });
    secrets_watcher_->acceptAnyName();
  }
  {
    std::lock_guard lock(mu_);
    current_ = gen;
    ready_ = true;
  }
  log(fmt::format("listening on {} with {} worker(s); configuration version {} ({} resources)",
                  settings_.listen.str(), settings_.workers, gen->version,
                  gen->snapshot->resources().size()));
  return true;
}

void ProxyServer::reload(std::string_view trigger) {
  if (shutting_down_) return;
  auto gen = store_.reload();
  if (!gen) {
    const auto& rejection = *store_.lastRejection();
    std::string msg = fmt::format("reload ({}) rejected; version {} keeps serving:", trigger,
                                  current() ? current()->version : 0);
    for (const auto& r : rejection.reasons) msg += "\n  " + r;
    log(msg);
    std::lock_guard lock(mu_);
    rejection_ = rejection;
    rejected_ = store_.rejectedCount();
    return;
  }
  for (const auto& w : gen->warnings) log("warning: " + w);
  for (const auto& w : unenforcedPolicies(*gen->snapshot)) log("warning: " + w);
  resolveNames(*gen, std::chrono::seconds(2));
  for (auto& w : workers_) w->publish(gen);
  {
    std::lock_guard lock(mu_);
    current_ = gen;
  }
  log(fmt::format("reload ({}): configuration version {} ({} resources)", trigger, gen->version,
                  gen->snapshot->resources().size()));
}

void ProxyServer::shutdown(std::function<void()> done) {
  if (shutting_down_) return;
  shutting_down_ = true;
  on_stopped_ = std::move(done);
  {
    std::lock_guard lock(mu_);
    ready_ = false;
  }
  watcher_.reset();
  secrets_watcher_.reset();
  log(fmt::format("draining: {} connection(s) open, up to {} ms", shared_.connections.load(),
                  settings_.drain_time.count()));
  auto finish = [this] {
    if (finished_) return;
    finished_ = true;
    drain_timer_.cancel();
    for (auto& w : workers_) w->stop();
    for (auto& w : workers_) w->join();
    if (access_log_) access_log_->flush();
    log(fmt::format("stopped; {} connection(s) were still open", shared_.connections.load()));
    if (on_stopped_) on_stopped_();
  };
  drain_timer_.expires_after(settings_.drain_time);
  drain_timer_.async_wait([finish](boost::system::error_code ec) {
    if (!ec) finish();
  });
  if (workers_.empty()) {
    finish();
    return;
  }
  for (auto& w : workers_) {
    w->drain([this, finish] {
      // Runs on the worker's thread; count on the main one.
      boost::asio::post(main_, [this, finish] {
        if (++workers_drained_ == workers_.size()) finish();
      });
    });
  }
}

std::shared_ptr<const runtime::ConfigGeneration> ProxyServer::current() const {
  std::lock_guard lock(mu_);
  return current_;
}

std::optional<runtime::Rejection> ProxyServer::lastRejection() const {
  std::lock_guard lock(mu_);
  return rejection_;
}

uint64_t ProxyServer::rejectedCount() const {
  std::lock_guard lock(mu_);
  return rejected_;
}

bool ProxyServer::ready() const {
  std::lock_guard lock(mu_);
  return ready_;
}

bool ProxyServer::shuttingDown() const { return shutting_down_; }

}  // namespace meshroute::proxy
