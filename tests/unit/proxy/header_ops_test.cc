#include "proxy/filters/header_ops.h"

#include <gtest/gtest.h>

namespace meshroute::proxy {
namespace {

// Given a raw client head, build what the upstream sees: the codec's copy of the head, the
// header mutation, then HTTP/1 serialization.
class HeaderOpsTest : public ::testing::Test {
 protected:
  std::string upstreamHead(const std::string& raw, int attempt = 1) {
    raw_ = raw;
    http::RequestHead parsed;
    auto r = http::parseRequestHead(raw_, http::Limits{}, parsed);
    EXPECT_EQ(r.status, http::ParseStatus::kComplete);
    head_.method = std::string(parsed.method);
    head_.headers.clear();
    for (const auto& h : parsed.headers) head_.headers.add(h.name, h.value);
    head_.length_known = parsed.framing == http::Framing::kContentLength;
    head_.content_length = parsed.content_length;
    head_.has_body = (head_.length_known && head_.content_length > 0) ||
                     parsed.framing == http::Framing::kChunked;
    request_.authority = std::string(parsed.host);
    request_.path = std::string(parsed.target);
    buildUpstreamHeaders({head_, request_, decision_, dest_, client_ip_, generated_}, map_);
    std::string out;
    appendUpstreamHead(out, head_.method, upstreamPath(request_, decision_), map_, head_, attempt);
    return out;
  }
  std::string raw_;
  RequestHead head_;
  http::HeaderMap map_;
  routing::Request request_;
  routing::Decision decision_;
  routing::RoutedDestination dest_;
  std::string client_ip_ = "10.1.2.3";
  std::string generated_;
};

TEST_F(HeaderOpsTest, AddsEnvoysHeadersAndDropsHopByHop) {
  core::Random random(1);
  generated_ = makeRequestId(random);
  std::string out = upstreamHead(
      "GET /p HTTP/1.1\r\nHost: reviews\r\nConnection: keep-alive\r\nKeep-Alive: 5\r\n"
      "TE: trailers\r\nX-Forwarded-For: 1.1.1.1\r\nAccept: */*\r\n\r\n");
  EXPECT_EQ(out.substr(0, out.find("\r\n")), "GET /p HTTP/1.1");
  EXPECT_NE(out.find("host: reviews\r\n"), std::string::npos);
  EXPECT_NE(out.find("accept: */*\r\n"), std::string::npos);  // names lower-cased, as Envoy
  EXPECT_EQ(out.find("connection"), std::string::npos);
  EXPECT_EQ(out.find("keep-alive"), std::string::npos);
  EXPECT_EQ(out.find("te:"), std::string::npos);
  EXPECT_NE(out.find("x-forwarded-for: 1.1.1.1, 10.1.2.3\r\n"), std::string::npos);
  EXPECT_NE(out.find("x-forwarded-proto: http\r\n"), std::string::npos);
  EXPECT_NE(out.find("x-request-id: " + generated_ + "\r\n"), std::string::npos);
  EXPECT_NE(out.find("x-envoy-attempt-count: 1\r\n"), std::string::npos);
  EXPECT_TRUE(out.ends_with("\r\n\r\n"));
}

TEST_F(HeaderOpsTest, RouteOperationsApplyAfterDestinationOnes) {
  decision_.route.request_headers.set = {{"x-set", "route"}};
  decision_.route.request_headers.add = {{"x-add", "route"}};
  decision_.route.request_headers.remove = {"x-remove"};
  dest_.request_headers.set = {{"x-set", "dest"}, {"x-dest", "dest"}};
  decision_.route.rewritten_path = "/new";
  decision_.route.rewritten_authority = "other";
  std::string out = upstreamHead(
      "POST /old HTTP/1.1\r\nHost: reviews\r\nX-Set: client\r\nX-Remove: x\r\nX-Add: client\r\n"
      "Content-Length: 3\r\nX-Request-Id: given\r\n\r\n");
  EXPECT_EQ(out.substr(0, out.find("\r\n")), "POST /new HTTP/1.1");
  EXPECT_NE(out.find("host: other\r\n"), std::string::npos);
  EXPECT_NE(out.find("x-set: route\r\n"), std::string::npos);
  EXPECT_EQ(out.find("x-set: dest"), std::string::npos);
  EXPECT_EQ(out.find("x-set: client"), std::string::npos);
  EXPECT_NE(out.find("x-dest: dest\r\n"), std::string::npos);
  EXPECT_EQ(out.find("x-remove"), std::string::npos);
  EXPECT_NE(out.find("x-add: client\r\n"), std::string::npos);
  EXPECT_NE(out.find("x-add: route\r\n"), std::string::npos);
  EXPECT_NE(out.find("x-envoy-original-path: /old\r\n"), std::string::npos);
  EXPECT_NE(out.find("content-length: 3\r\n"), std::string::npos);
  EXPECT_NE(out.find("x-request-id: given\r\n"), std::string::npos);  // the client's id is kept
}

TEST_F(HeaderOpsTest, EveryAttemptCarriesItsNumberAndTheSameId) {
  generated_ = "0f0f0f0f-0000-4000-8000-000000000000";
  const std::string first = upstreamHead("GET /p HTTP/1.1\r\nHost: reviews\r\n\r\n", 1);
  const std::string third = upstreamHead("GET /p HTTP/1.1\r\nHost: reviews\r\n\r\n", 3);
  EXPECT_NE(first.find("x-envoy-attempt-count: 1\r\n"), std::string::npos);
  EXPECT_NE(third.find("x-envoy-attempt-count: 3\r\n"), std::string::npos);
  EXPECT_NE(third.find("x-request-id: " + generated_ + "\r\n"), std::string::npos);
}

TEST_F(HeaderOpsTest, AChunkedBodyIsFramedAgainNeverCopiedThrough) {
  std::string out =
      upstreamHead("POST /p HTTP/1.1\r\nHost: reviews\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_NE(out.find("transfer-encoding: chunked\r\n"), std::string::npos);
  EXPECT_EQ(out.find("content-length"), std::string::npos);
}

TEST(HeaderOps, RequestIdsAreVersion4UuidsAndDiffer) {
  core::Random random(7);
  const std::string a = makeRequestId(random);
  const std::string b = makeRequestId(random);
  EXPECT_NE(a, b);
  for (const std::string& id : {a, b}) {
    ASSERT_EQ(id.size(), 36U) << id;
    for (size_t i = 0; i < id.size(); ++i) {
      if (i == 8 || i == 13 || i == 18 || i == 23) {
        EXPECT_EQ(id[i], '-') << id;
      } else {
        EXPECT_TRUE((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')) << id;
      }
    }
    EXPECT_EQ(id[14], '4') << id;                                               // version 4
    EXPECT_NE(std::string_view("89ab").find(id[19]), std::string::npos) << id;  // variant
  }
}

TEST(HeaderOps, ResponseDropsFramingAndHopByHopAndAppliesOperations) {
  http::ResponseHead resp;
  std::string raw =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nServer: x\r\nConnection: keep-alive\r\n"
      "X-Drop: 1\r\n\r\n";
  ASSERT_EQ(http::parseResponseHead(raw, {}, "GET", resp).status, http::ParseStatus::kComplete);
  routing::Decision d;
  d.route.response_headers.remove = {"x-drop"};
  d.route.response_headers.add = {{"x-added", "yes"}};
  routing::RoutedDestination dest;
  http::HeaderMap out;
  buildResponseHeaders(resp, d, dest, 7, out);
  EXPECT_EQ(out.get("transfer-encoding"), "");
  EXPECT_EQ(out.get("connection"), "");
  EXPECT_EQ(out.get("x-drop"), "");
  EXPECT_EQ(out.get("server"), "x");
  EXPECT_EQ(out.get("x-added"), "yes");
  EXPECT_EQ(out.get("x-envoy-upstream-service-time"), "7");
}

TEST(HeaderMap, LowerCasesNamesAndSurvivesArenaGrowth) {
  http::HeaderMap h;
  for (int i = 0; i < 200; ++i) h.add("X-Name-" + std::to_string(i), std::string(50, 'v'));
  h.addReference("x-static", "value");
  EXPECT_EQ(h.size(), 201U);
  EXPECT_EQ(h.name(0), "x-name-0");
  EXPECT_EQ(h.get("X-NAME-199"), std::string(50, 'v'));
  EXPECT_EQ(h.get("x-static"), "value");
  EXPECT_EQ(h.remove("x-name-5"), 1U);
  h.set("x-static", "other");
  EXPECT_EQ(h.get("x-static"), "other");
  const size_t capacity = h.arenaBytes();
  h.clear();
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h.arenaBytes(), capacity);  // kept for the next request
}

}  // namespace
}  // namespace meshroute::proxy
