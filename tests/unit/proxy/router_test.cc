// The request pipeline (HttpStream -> filters -> Router -> pool) on a fake transport and in
// virtual time: no sockets and no waiting. A scripted FakeTransport stands for every upstream
// connection; a FakeDownstream stands for the client and keeps the stream's deadlines. When
// an upstream read would hang, the earliest deadline in force expires at once, which is what a
// timer would have done, and back-off sleeps are recorded instead of slept.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "proxy/cluster_cache.h"
#include "proxy/http_stream.h"
#include "proxy/upstream/transport.h"
#include "proxy/worker.h"
#include "runtime/config_store.h"

namespace meshroute::proxy {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using asio::awaitable;
using std::chrono::milliseconds;

// What an upstream does when asked for its next response.
struct Exchange {
  enum Kind { kRespond, kHang, kReset } kind = kRespond;
  std::string bytes;  // kRespond: the response, whole
};

Exchange respond(int status, std::string_view body = "ok") {
  return {Exchange::kRespond, "HTTP/1.1 " + std::to_string(status) + " X\r\ncontent-length: " +
                                  std::to_string(body.size()) + "\r\n\r\n" + std::string(body)};
}
Exchange hang() { return {Exchange::kHang, {}}; }
Exchange reset() { return {Exchange::kReset, {}}; }

// Every connection the pipeline opens; they take their answers from one shared script, so a
// pooled connection and a fresh one behave alike.
struct Upstreams {
  std::deque<Exchange> script;
  std::deque<bool> connects;  // outcome of each connect; empty: success
  std::vector<uint16_t> connected_ports;
  std::string sent;               // every byte written upstream, in order
  std::function<void()> on_hang;  // set by the fixture: a deadline expires
};

class FakeTransport final : public Transport {
 public:
  explicit FakeTransport(Upstreams& u) : u_(u) {}

  awaitable<bool> connect(const asio::ip::tcp::endpoint& endpoint) override {
    u_.connected_ports.push_back(endpoint.port());
    bool ok = true;
    if (!u_.connects.empty()) {
      ok = u_.connects.front();
      u_.connects.pop_front();
    }
    open_ = ok;
    co_return ok;
  }
  bool trySend(SendParts& parts) override {
    if (!open_) return false;
    for (auto& p : parts) {
      u_.sent.append(p);
      p = {};
    }
    return true;
  }
  awaitable<bool> send(SendParts parts) override { co_return trySend(parts); }
  awaitable<size_t> readSome(asio::mutable_buffer buf) override {
    if (!open_) co_return 0;
    if (pending_.empty()) {
      if (u_.script.empty()) co_return 0;  // nothing scripted: the upstream closed
      Exchange next = std::move(u_.script.front());
      u_.script.pop_front();
      if (next.kind == Exchange::kReset) {
        open_ = false;
        co_return 0;
      }
      if (next.kind == Exchange::kHang) {
        u_.on_hang();  // the earliest deadline expires and closes this connection
        open_ = false;
        co_return 0;
      }
      pending_ = std::move(next.bytes);
    }
    const size_t n = std::min(buf.size(), pending_.size());
    std::memcpy(buf.data(), pending_.data(), n);
    pending_.erase(0, n);
    co_return n;
  }
  void close() override { open_ = false; }
  [[nodiscard]] bool isOpen() const override { return open_; }
  void watchIdle(std::function<void()> /*on_close*/) override {}
  void cancelWatch() override {}

 private:
  Upstreams& u_;
  std::string pending_;
  bool open_ = false;
};

class FakeTransports final : public TransportFactory {
 public:
  explicit FakeTransports(Upstreams& u) : u_(u) {}
  std::unique_ptr<Transport> create(asio::io_context& /*io*/) override {
    return std::make_unique<FakeTransport>(u_);
  }

 private:
  Upstreams& u_;
};

// The client's side: one request, its body in one piece, the response recorded.
class FakeDownstream final : public DownstreamStream {
 public:
  FakeDownstream(const RequestHead& head, std::string body)
      : head_(head), body_(std::move(body)), body_done_(body_.empty()) {}

  [[nodiscard]] const RequestHead& request() const override { return head_; }
  awaitable<BodyRead> readBody(std::string_view& data) override {
    if (body_done_) co_return BodyRead::kEnd;
    body_done_ = true;
    data = body_;
    co_return BodyRead::kData;
  }
  [[nodiscard]] bool bodyComplete() const override { return body_done_; }
  bool encodeHeaders(const ResponseStart& start) override {
    status = start.status;
    started_ = true;
    return true;
  }
  awaitable<bool> sendData(std::string_view data, bool /*end_stream*/) override {
    response_body.append(data);
    co_return true;
  }
  awaitable<bool> sendLocalReply(int s, std::string_view body,
                                 std::string_view /*extra_headers*/) override {
    status = s;
    response_body = body;
    started_ = true;
    co_return true;
  }
  [[nodiscard]] bool responseStarted() const override { return started_; }
  awaitable<void> tunnel(std::unique_ptr<UpstreamConnection> /*upstream*/) override { co_return; }
  Deadlines& deadlines() override { return deadlines_; }
  void armDeadlines() override {}
  std::optional<DeadlineKind> takeExpired() override {
    auto e = expired_;
    expired_.reset();
    return e;
  }
  void wake() override {}
  awaitable<bool> sleep(milliseconds d) override {
    sleeps.push_back(d);
    co_return true;
  }
  void watchUpstream(UpstreamConnection* /*upstream*/) override {}
  [[nodiscard]] bool clientGone() const override { return false; }

  // What the connection's timer does when it fires: the earliest deadline in force expires.
  void expireEarliest() {
    std::optional<DeadlineKind> kind = deadlines_.expired(deadlines_.earliest());
    if (kind) {
      deadlines_.clear(*kind);
      expired_ = kind;
      expired_kinds.push_back(*kind);
    }
  }

  int status = 0;
  std::string response_body;
  std::vector<milliseconds> sleeps;
  std::vector<DeadlineKind> expired_kinds;

 private:
  RequestHead head_;
  std::string body_;
  bool body_done_;
  bool started_ = false;
  Deadlines deadlines_;
  std::optional<DeadlineKind> expired_;
};

// Two endpoints listed in the ServiceEntry itself (no WorkloadEntry): the retry tests need a
// second host for the previous-hosts predicate.
constexpr const char* kServices = R"(apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews.default.svc.cluster.local]
  ports: [{number: 9080, name: http, protocol: HTTP, targetPort: 9001}]
  endpoints: [{address: 127.0.0.1}, {address: 127.0.0.1, ports: {http: 9002}}]
  resolution: STATIC
  location: MESH_INTERNAL
)";

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("meshroute-router-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    settings_.access_log = AccessLogFormat::kOff;
    shared_.transports = &transports_;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Loads the services and `http_rules` (the VirtualService's spec.http) into the worker.
  void configure(const std::string& http_rules) {
    std::ofstream(dir_ / "mesh.yaml") << kServices << "---\n"
                                      << "apiVersion: networking.istio.io/v1\n"
                                         "kind: VirtualService\n"
                                         "metadata: {name: reviews, namespace: default}\n"
                                         "spec:\n  hosts: [reviews]\n  http:\n"
                                      << http_rules;
    runtime::ConfigStore store({dir_.string()}, routing::MeshConfig{});
    auto generation = store.reload();
    ASSERT_NE(generation, nullptr) << store.lastRejection()->reasons.front();
    worker_.publish(generation);
    runUntil([&] { return worker_.config() != nullptr; });
  }

  // Serves one request through the whole pipeline; the client's view comes back.
  std::unique_ptr<FakeDownstream> serve(const std::string& method, const std::string& body = "") {
    RequestHead head;
    head.method = method;
    head.target = "/reviews/1";
    head.authority = "reviews:9080";
    head.protocol = "HTTP/1.1";
    head.headers.add("host", "reviews:9080");
    if (!body.empty()) {
      head.has_body = true;
      head.length_known = true;
      head.content_length = body.size();
      head.headers.add("content-length", std::to_string(body.size()));
    }
    auto down = std::make_unique<FakeDownstream>(head, body);
    upstreams_.on_hang = [d = down.get()] { d->expireEarliest(); };
    stream_ = worker_.acquireStream();
    stream_->head() = head;
    bool done = false;
    asio::co_spawn(
        worker_.context(),
        [&]() -> awaitable<void> {
          co_await stream_->serve(*down, conn_);
          done = true;
        },
        asio::detached);
    runUntil([&] { return done; });
    return down;
  }

  const ClusterStats& clusterStats() {
    const auto& cluster = stream_->log().cluster;
    EXPECT_NE(cluster, nullptr);
    EXPECT_NE(cluster->stats, nullptr);
    return *cluster->stats;
  }
  [[nodiscard]] std::string flags() const { return stream_->log().flags.str(); }
  // The requests the upstreams received, each with its body.
  [[nodiscard]] std::vector<std::string> sentRequests(const std::string& method) const {
    std::vector<std::string> out;
    const std::string line = method + " /reviews/1 HTTP/1.1\r\n";
    size_t at = upstreams_.sent.find(line);
    while (at != std::string::npos) {
      const size_t next = upstreams_.sent.find(line, at + 1);
      out.push_back(upstreams_.sent.substr(at, next == std::string::npos ? next : next - at));
      at = next;
    }
    return out;
  }

  // Runs the worker's loop on this thread until `done`; nothing in these tests waits on a real
  // timer, so every step is a handler that is ready at once.
  void runUntil(const std::function<bool()>& done) {
    auto& io = worker_.context();
    for (int i = 0; i < 100000 && !done(); ++i) {
      if (io.stopped()) io.restart();
      io.poll_one();
    }
    ASSERT_TRUE(done()) << "the pipeline stopped before finishing";
  }

  fs::path dir_;
  ProxySettings settings_;
  stats::MetricsRegistry metrics_{1};
  SharedState shared_{settings_, metrics_};
  Upstreams upstreams_;
  FakeTransports transports_{upstreams_};
  ProxyWorker worker_{0, shared_};
  ConnectionInfo conn_{"10.0.0.9", "127.0.0.1:15001", "10.0.0.9:41000"};
  std::unique_ptr<HttpStream> stream_;
};

constexpr const char* kRetry503 = R"(  - route: [{destination: {host: reviews}}]
    retries: {attempts: 3, retryOn: 5xx}
)";

TEST_F(RouterTest, RetriesA503UntilSuccessWithEnvoysJitteredBackOff) {
  configure(kRetry503);
  upstreams_.script = {respond(503), respond(503), respond(200, "fine")};
  auto down = serve("GET");
  EXPECT_EQ(down->status, 200);
  EXPECT_EQ(down->response_body, "fine");
  EXPECT_EQ(sentRequests("GET").size(), 3U);
  // Envoy's back-off without a policy: a random wait below 25 ms, then below 50 ms.
  ASSERT_EQ(down->sleeps.size(), 2U);
  EXPECT_LT(down->sleeps[0], milliseconds(25));
  EXPECT_LT(down->sleeps[1], milliseconds(50));
  EXPECT_EQ(clusterStats().upstream_rq_retry.load(), 2U);
  EXPECT_EQ(clusterStats().upstream_rq_retry_success.load(), 1U);
  EXPECT_TRUE(stream_->log().flags.empty()) << flags();
}

TEST_F(RouterTest, AttemptsRunOutWithTheLastAnswerAndUrx) {
  configure(kRetry503);
  upstreams_.script = {respond(503), respond(503), respond(503), respond(503, "last")};
  auto down = serve("GET");
  EXPECT_EQ(down->status, 503);
  EXPECT_EQ(sentRequests("GET").size(), 4U);  // the first try and three retries
  EXPECT_EQ(down->response_body, "last");
  EXPECT_EQ(flags(), "URX");
  EXPECT_EQ(clusterStats().upstream_rq_retry_limit_exceeded.load(), 1U);
}

TEST_F(RouterTest, APerTryTimeoutRetriesAndIsCounted) {
  configure(R"(  - route: [{destination: {host: reviews}}]
    retries: {attempts: 2, perTryTimeout: 100ms, retryOn: 5xx}
)");
  upstreams_.script = {hang(), respond(200)};
  auto down = serve("GET");
  EXPECT_EQ(down->status, 200);
  ASSERT_EQ(down->expired_kinds.size(), 1U);
  EXPECT_EQ(down->expired_kinds[0], DeadlineKind::kPerTry);
  EXPECT_EQ(clusterStats().upstream_rq_per_try_timeout.load(), 1U);
  EXPECT_EQ(clusterStats().upstream_rq_retry_success.load(), 1U);
}

TEST_F(RouterTest, TheRouteTimeoutEndsTheRequestWith504UT) {
  configure(R"(  - route: [{destination: {host: reviews}}]
    timeout: 2s
    retries: {attempts: 0}
)");
  upstreams_.script = {hang()};
  auto down = serve("GET");
  EXPECT_EQ(down->status, 504);
  EXPECT_EQ(down->response_body, "upstream request timeout");
  ASSERT_EQ(down->expired_kinds.size(), 1U);
  EXPECT_EQ(down->expired_kinds[0], DeadlineKind::kRoute);
  EXPECT_EQ(flags(), "UT");
  EXPECT_EQ(clusterStats().upstream_rq_timeout.load(), 1U);
}

TEST_F(RouterTest, IstiosDefaultPolicyRetriesAConnectFailureOnAnotherEndpoint) {
  configure("  - route: [{destination: {host: reviews}}]\n");
  upstreams_.connects = {false, true};
  upstreams_.script = {respond(200)};
  auto down = serve("GET");
  EXPECT_EQ(down->status, 200);
  ASSERT_EQ(upstreams_.connected_ports.size(), 2U);
  // Istio sets the previous-hosts predicate: the retry goes to the other endpoint.
  EXPECT_NE(upstreams_.connected_ports[0], upstreams_.connected_ports[1]);
}

TEST_F(RouterTest, ADefaultPolicyDoesNotRetryA503) {
  configure("  - route: [{destination: {host: reviews}}]\n");
  upstreams_.script = {respond(503), respond(200)};
  auto down = serve("GET");
  EXPECT_EQ(down->status, 503);  // since Istio 1.24, 503 is not among the default conditions
  EXPECT_EQ(sentRequests("GET").size(), 1U);
}

TEST_F(RouterTest, APostBodyGoesAgainWithEveryAttempt) {
  configure(R"(  - route: [{destination: {host: reviews}}]
    retries: {attempts: 3, retryOn: "5xx,reset"}
)");
  upstreams_.script = {respond(503), reset(), respond(201)};
  auto down = serve("POST", "hello, body");
  EXPECT_EQ(down->status, 201);
  const auto sent_requests = sentRequests("POST");
  ASSERT_EQ(sent_requests.size(), 3U) << upstreams_.sent;
  for (const std::string& sent : sent_requests) {
    EXPECT_NE(sent.find("content-length: 11\r\n"), std::string::npos) << sent;
    EXPECT_EQ(sent.substr(sent.size() - 11), "hello, body") << sent;
  }
}

}  // namespace
}  // namespace meshroute::proxy
