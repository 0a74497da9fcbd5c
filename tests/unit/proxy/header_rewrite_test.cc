#include "proxy/header_rewrite.h"

#include <gtest/gtest.h>

namespace meshroute::proxy {
namespace {

class HeaderRewriteTest : public ::testing::Test {
 protected:
  std::string upstreamHead(const std::string& raw) {
    raw_ = raw;
    auto r = http::parseRequestHead(raw_, http::Limits{}, head_);
    EXPECT_EQ(r.status, http::ParseStatus::kComplete);
    request_.authority = std::string(head_.host);
    request_.path = std::string(head_.target);
    std::string out;
    UpstreamHeadInput in{head_, request_, decision_, dest_, client_ip_, request_id_, random_};
    appendUpstreamRequestHead(out, in);
    generated_ = in.generated_request_id;
    return out;
  }
  std::string raw_;
  http::RequestHead head_;
  routing::Request request_;
  routing::Decision decision_;
  routing::RoutedDestination dest_;
  std::string client_ip_ = "10.1.2.3";
  std::string request_id_;
  std::string generated_;
  core::Random random_{1};
};

TEST_F(HeaderRewriteTest, AddsEnvoysHeadersAndDropsHopByHop) {
  std::string out = upstreamHead(
      "GET /p HTTP/1.1\r\nHost: reviews\r\nConnection: keep-alive\r\nKeep-Alive: 5\r\n"
      "TE: trailers\r\nX-Forwarded-For: 1.1.1.1\r\nAccept: */*\r\n\r\n");
  EXPECT_EQ(out.substr(0, out.find("\r\n")), "GET /p HTTP/1.1");
  EXPECT_NE(out.find("host: reviews\r\n"), std::string::npos);
  EXPECT_NE(out.find("Accept: */*\r\n"), std::string::npos);
  EXPECT_EQ(out.find("Connection"), std::string::npos);
  EXPECT_EQ(out.find("Keep-Alive"), std::string::npos);
  EXPECT_EQ(out.find("TE:"), std::string::npos);
  EXPECT_NE(out.find("x-forwarded-for: 1.1.1.1, 10.1.2.3\r\n"), std::string::npos);
  EXPECT_NE(out.find("x-forwarded-proto: http\r\n"), std::string::npos);
  ASSERT_EQ(generated_.size(), 36U);
  EXPECT_EQ(generated_[14], '4');  // UUID version 4
  EXPECT_NE(out.find("x-request-id: " + generated_ + "\r\n"), std::string::npos);
  EXPECT_TRUE(out.ends_with("\r\n\r\n"));
}

TEST_F(HeaderRewriteTest, RouteOperationsApplyAfterDestinationOnes) {
  decision_.route.request_headers.set = {{"x-set", "route"}};
  decision_.route.request_headers.add = {{"x-add", "route"}};
  decision_.route.request_headers.remove = {"x-remove"};
  dest_.request_headers.set = {{"x-set", "dest"}, {"x-dest", "dest"}};
  decision_.route.rewritten_path = "/new";
  decision_.route.rewritten_authority = "other";
  request_id_ = "given";  // the session passes the client's x-request-id
  std::string out = upstreamHead(
      "POST /old HTTP/1.1\r\nHost: reviews\r\nX-Set: client\r\nX-Remove: x\r\nX-Add: client\r\n"
      "Content-Length: 3\r\nX-Request-Id: given\r\n\r\n");
  EXPECT_EQ(out.substr(0, out.find("\r\n")), "POST /new HTTP/1.1");
  EXPECT_NE(out.find("host: other\r\n"), std::string::npos);
  EXPECT_NE(out.find("x-set: route\r\n"), std::string::npos);
  EXPECT_EQ(out.find("x-set: dest"), std::string::npos);
  EXPECT_EQ(out.find("X-Set: client"), std::string::npos);
  EXPECT_NE(out.find("x-dest: dest\r\n"), std::string::npos);
  EXPECT_EQ(out.find("X-Remove"), std::string::npos);
  EXPECT_NE(out.find("X-Add: client\r\n"), std::string::npos);
  EXPECT_NE(out.find("x-add: route\r\n"), std::string::npos);
  EXPECT_NE(out.find("x-envoy-original-path: /old\r\n"), std::string::npos);
  EXPECT_NE(out.find("content-length: 3\r\n"), std::string::npos);
  EXPECT_TRUE(generated_.empty());  // the client's x-request-id is kept
}

TEST_F(HeaderRewriteTest, ARequestSentAgainKeepsTheIdGeneratedTheFirstTime) {
  upstreamHead("GET /p HTTP/1.1\r\nHost: reviews\r\n\r\n");
  const std::string first = generated_;
  // What the session does for a second attempt: the id it generated is given back.
  std::string out;
  UpstreamHeadInput in{head_, request_, decision_, dest_, client_ip_, request_id_, random_};
  in.generated_request_id = first;
  appendUpstreamRequestHead(out, in);
  EXPECT_EQ(in.generated_request_id, first);
  EXPECT_NE(out.find("x-request-id: " + first + "\r\n"), std::string::npos);
}

TEST(HeaderRewrite, RequestIdsAreVersion4UuidsAndDiffer) {
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

TEST(HeaderRewrite, ResponseHeadForAnHttp10Client) {
  http::ResponseHead resp;
  std::string raw = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nServer: x\r\n\r\n";
  ASSERT_EQ(http::parseResponseHead(raw, {}, "GET", resp).status, http::ParseStatus::kComplete);
  routing::Decision d;
  routing::RoutedDestination dest;
  std::string out;
  appendResponseHead(out, resp, 0, d, dest, 7, true, false);
  EXPECT_EQ(out.substr(0, out.find("\r\n")), "HTTP/1.0 200 OK");
  EXPECT_EQ(out.find("chunked"), std::string::npos);  // a 1.0 client gets the body unframed
  EXPECT_NE(out.find("x-envoy-upstream-service-time: 7\r\n"), std::string::npos);
  EXPECT_NE(out.find("connection: close\r\n"), std::string::npos);
  EXPECT_NE(out.find("Server: x\r\n"), std::string::npos);
}

}  // namespace
}  // namespace meshroute::proxy
