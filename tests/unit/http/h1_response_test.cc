// Response heads: framing from the status and the request method, and the status codes the
// proxy sees for broken upstream answers.
#include <gtest/gtest.h>

#include <string>

#include "http/h1.h"

namespace meshroute::http {
namespace {

TEST(HttpResponseHead, FramingRules) {
  ResponseHead r;
  ASSERT_EQ(parseResponseHead("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n", {}, "GET", r).status,
            ParseStatus::kComplete);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.reason, "OK");
  EXPECT_EQ(r.framing, Framing::kContentLength);
  EXPECT_EQ(r.content_length, 12U);
  ASSERT_EQ(
      parseResponseHead("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n", {}, "HEAD", r).status,
      ParseStatus::kComplete);
  EXPECT_EQ(r.framing, Framing::kNone);
  for (const char* status : {"204 No Content", "304 Not Modified", "100 Continue"}) {
    ASSERT_EQ(
        parseResponseHead(std::string("HTTP/1.1 ") + status + "\r\n\r\n", {}, "GET", r).status,
        ParseStatus::kComplete);
    EXPECT_EQ(r.framing, Framing::kNone) << status;
  }
  ASSERT_EQ(parseResponseHead(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", {},
                "GET", r)
                .status,
            ParseStatus::kComplete);
  EXPECT_EQ(r.framing, Framing::kChunked);  // Transfer-Encoding wins in a response
  ASSERT_EQ(parseResponseHead("HTTP/1.0 200 OK\r\n\r\n", {}, "GET", r).status,
            ParseStatus::kComplete);
  EXPECT_EQ(r.framing, Framing::kUntilClose);
  EXPECT_FALSE(r.keep_alive);
  ASSERT_EQ(parseResponseHead("HTTP/1.1 503\r\n\r\n", {}, "GET", r).status, ParseStatus::kComplete);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.reason, "");
}

TEST(HttpResponseHead, MalformedIsAnError) {
  ResponseHead r;
  for (const char* text :
       {"HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 abc OK\r\n\r\n", "ICY 200 OK\r\n\r\n",
        "HTTP/1.1 200 OK\nX: y\n\n", "HTTP/1.1 200 OK\r\nX : y\r\n\r\n"}) {
    EXPECT_EQ(parseResponseHead(text, {}, "GET", r).status, ParseStatus::kError) << text;
  }
}

TEST(HttpResponseHead, KeepAliveAndLengthVariants) {
  ResponseHead r;
  ASSERT_EQ(parseResponseHead("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
                              {}, "GET", r)
                .status,
            ParseStatus::kComplete);
  EXPECT_FALSE(r.keep_alive);
  EXPECT_EQ(r.framing, Framing::kContentLength);
  EXPECT_EQ(r.content_length, 0U);
  ASSERT_EQ(parseResponseHead("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n"
                              "\r\n",
                              {}, "GET", r)
                .status,
            ParseStatus::kComplete);
  EXPECT_TRUE(r.keep_alive);
  EXPECT_EQ(r.version_minor, 0);
  ASSERT_EQ(
      parseResponseHead("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", {}, "GET", r).status,
      ParseStatus::kComplete);
  EXPECT_EQ(r.framing, Framing::kUntilClose);  // not chunked last: the body runs to the close
  EXPECT_FALSE(r.keep_alive);
  ASSERT_EQ(parseResponseHead("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                              "Upgrade: websocket\r\n\r\n",
                              {}, "GET", r)
                .status,
            ParseStatus::kComplete);
  EXPECT_EQ(r.framing, Framing::kNone);
  EXPECT_EQ(r.status, 101);
}

TEST(HttpResponseHead, ReasonPhraseWithSpacesAndPipelinedBody) {
  const std::string text = "HTTP/1.1 404 Not  Found here\r\nContent-Length: 3\r\n\r\nabc";
  ResponseHead r;
  auto res = parseResponseHead(text, {}, "GET", r);
  ASSERT_EQ(res.status, ParseStatus::kComplete);
  EXPECT_EQ(r.reason, "Not  Found here");
  EXPECT_EQ(res.consumed, text.size() - 3);
  EXPECT_EQ(r.head_bytes, res.consumed);
}

TEST(HttpResponseHead, IncompleteAtEveryBoundary) {
  const std::string text =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n";
  ResponseHead r;
  for (size_t n = 0; n < text.size(); ++n) {
    EXPECT_EQ(parseResponseHead(text.substr(0, n), {}, "GET", r).status, ParseStatus::kIncomplete)
        << n;
  }
  EXPECT_EQ(parseResponseHead(text, {}, "GET", r).status, ParseStatus::kComplete);
}

TEST(HttpResponseHead, SmugglingShapesAre502AndLimits431) {
  ResponseHead r;
  for (const char* text :
       {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n",
        "HTTP/1.1 200 O\x01K\r\n\r\n", "HTTP/2.0 200 OK\r\n\r\n", "HTTP/1.1 099 Low\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n"}) {
    auto res = parseResponseHead(text, {}, "GET", r);
    ASSERT_EQ(res.status, ParseStatus::kError) << text;
    EXPECT_EQ(res.error_status, 502) << text;
  }
  Limits limits;
  limits.max_headers = 1;
  auto res = parseResponseHead("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n", limits, "GET", r);
  EXPECT_EQ(res.error_status, 431);
  limits.max_head_bytes = 16;
  res = parseResponseHead("HTTP/1.1 200 OK\r\nA: 1", limits, "GET", r);
  EXPECT_EQ(res.error_status, 431);
}

TEST(HttpTokens, HasTokenAndIequals) {
  EXPECT_TRUE(hasToken("keep-alive, Upgrade", "upgrade"));
  EXPECT_FALSE(hasToken("keep-alive, Upgraded", "upgrade"));
  EXPECT_TRUE(iequals("Content-Length", "content-length"));
  EXPECT_FALSE(iequals("Content-Length", "content-lengt"));
  EXPECT_TRUE(hasToken("close", "close"));
  EXPECT_FALSE(hasToken("", "close"));
  EXPECT_TRUE(hasToken(" ,\tclose\t", "close"));
  EXPECT_EQ(reasonPhrase(503), "Service Unavailable");
  EXPECT_EQ(reasonPhrase(200), "OK");
  EXPECT_EQ(reasonPhrase(413), "Payload Too Large");
  EXPECT_EQ(reasonPhrase(418), "Unknown");  // Envoy names no teapot
  EXPECT_EQ(reasonPhrase(999), "Unknown");
  EXPECT_EQ(reasonPhrase(431), "Request Header Fields Too Large");
}

}  // namespace
}  // namespace meshroute::http
