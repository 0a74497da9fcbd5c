#include "http/h1.h"

#include <gtest/gtest.h>

#include <string>

namespace meshroute::http {
namespace {

struct Case {
  const char* name;
  std::string text;
  int status;  // 0: accepted
};

ParseResult parse(std::string_view text, RequestHead& head, const Limits& limits = {}) {
  return parseRequestHead(text, limits, head);
}

TEST(HttpRequestHead, ParsesOriginFormWithHeadersAsViews) {
  const std::string text =
      "GET /reviews/1?x=2 HTTP/1.1\r\nHost: reviews:9080\r\nX-User-Type:  beta \r\n\r\nNEXT";
  RequestHead head;
  auto r = parse(text, head);
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.consumed, text.size() - 4);  // stops exactly at the end of the head
  EXPECT_EQ(head.method, "GET");
  EXPECT_EQ(head.target, "/reviews/1?x=2");
  EXPECT_EQ(head.version_minor, 1);
  EXPECT_EQ(head.host, "reviews:9080");
  ASSERT_EQ(head.headers.size(), 2U);
  EXPECT_EQ(head.headers[1].name, "X-User-Type");
  EXPECT_EQ(head.headers[1].value, "beta");  // optional whitespace trimmed
  EXPECT_EQ(findHeader(head.headers, "x-user-type"), "beta");
  EXPECT_EQ(head.framing, Framing::kNone);
  EXPECT_TRUE(head.keep_alive);
  EXPECT_GE(head.headers[0].name.data(), text.data());
  EXPECT_LT(head.headers[0].name.data(), text.data() + text.size());
}

TEST(HttpRequestHead, IncompleteAtEveryBoundaryThenIdentical) {
  const std::string text =
      "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nConnection: close\r\n\r\n";
  RequestHead head;
  for (size_t n = 0; n < text.size(); ++n) {
    EXPECT_EQ(parse(text.substr(0, n), head).status, ParseStatus::kIncomplete) << n;
  }
  auto r = parse(text, head);
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(head.framing, Framing::kContentLength);
  EXPECT_EQ(head.content_length, 3U);
  EXPECT_FALSE(head.keep_alive);
}

TEST(HttpRequestHead, TargetForms) {
  RequestHead head;
  for (const char* target : {"http://reviews:9080/x", "reviews:443", "*", "/"}) {
    std::string text = std::string("OPTIONS ") + target + " HTTP/1.1\r\nHost: h\r\n\r\n";
    ASSERT_EQ(parse(text, head).status, ParseStatus::kComplete) << target;
    EXPECT_EQ(head.target, target);
  }
}

TEST(HttpRequestHead, LeadingEmptyLinesAreIgnored) {
  RequestHead head;
  ASSERT_EQ(parse("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", head).status,
            ParseStatus::kComplete);
  EXPECT_EQ(head.method, "GET");
}

TEST(HttpRequestHead, KeepAliveRules) {
  RequestHead head;
  ASSERT_EQ(parse("GET / HTTP/1.0\r\n\r\n", head).status, ParseStatus::kComplete);
  EXPECT_FALSE(head.keep_alive);
  EXPECT_EQ(head.version_minor, 0);
  ASSERT_EQ(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", head).status,
            ParseStatus::kComplete);
  EXPECT_TRUE(head.keep_alive);
  ASSERT_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: foo, close\r\n\r\n", head).status,
            ParseStatus::kComplete);
  EXPECT_FALSE(head.keep_alive);
}

TEST(HttpRequestHead, UpgradeAndExpect) {
  RequestHead head;
  ASSERT_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                  "Expect: 100-Continue\r\n\r\n",
                  head)
                .status,
            ParseStatus::kComplete);
  EXPECT_TRUE(head.upgrade);
  EXPECT_TRUE(head.expect_continue);
  ASSERT_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n", head).status,
            ParseStatus::kComplete);
  EXPECT_FALSE(head.upgrade);  // Upgrade without Connection: upgrade is not a request to upgrade
  ASSERT_EQ(parse("POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n", head).status,
            ParseStatus::kComplete);
  EXPECT_FALSE(head.expect_continue);  // HTTP/1.0 has no interim responses
}

TEST(HttpRequestHead, Framing) {
  RequestHead head;
  ASSERT_EQ(parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", head).status,
            ParseStatus::kComplete);
  EXPECT_EQ(head.framing, Framing::kChunked);
  ASSERT_EQ(
      parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", head)
          .status,
      ParseStatus::kComplete);
  EXPECT_EQ(head.content_length, 5U);  // identical duplicates are one length
  ASSERT_EQ(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 7, 7\r\n\r\n", head).status,
            ParseStatus::kComplete);
  EXPECT_EQ(head.content_length, 7U);
}

class HttpRequestRejection : public ::testing::TestWithParam<Case> {};

TEST_P(HttpRequestRejection, AnswersEnvoysStatus) {
  RequestHead head;
  auto r = parse(GetParam().text, head);
  ASSERT_EQ(r.status, ParseStatus::kError) << GetParam().name;
  EXPECT_EQ(r.error_status, GetParam().status) << GetParam().name;
  EXPECT_FALSE(r.error.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Smuggling, HttpRequestRejection,
    ::testing::Values(
        Case{
            "cl_and_te",
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n",
            400},
        Case{"differing_cl",
             "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n", 400},
        Case{"differing_cl_list", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4, 5\r\n\r\n",
             400},
        Case{"signed_cl", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +4\r\n\r\n", 400},
        Case{"hex_cl", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x4\r\n\r\n", 400},
        Case{"overflow_cl",
             "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400},
        Case{"bare_lf", "GET / HTTP/1.1\nHost: h\n\n", 400},
        Case{"bare_lf_in_header", "GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n", 400},
        Case{"nul_in_value", std::string("GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n", 35), 400},
        Case{"ctl_in_value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\x01b\r\n\r\n", 400},
        Case{"space_before_colon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400},
        Case{"obs_fold", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", 400},
        Case{"no_colon", "GET / HTTP/1.1\r\nHost: h\r\nnocolon\r\n\r\n", 400},
        Case{"bad_name", "GET / HTTP/1.1\r\nHost: h\r\nX(y): 1\r\n\r\n", 400},
        Case{"two_hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
        Case{"no_host_11", "GET / HTTP/1.1\r\n\r\n", 400},
        Case{"te_gzip", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
        Case{"te_chunked_not_last",
             "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 501},
        Case{"te_chunked_twice",
             "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 501},
        Case{"http2_version", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505},
        Case{"http12_version", "GET / HTTP/1.2\r\nHost: h\r\n\r\n", 505},
        Case{"garbage_version", "GET / HTTX/1.1\r\nHost: h\r\n\r\n", 400},
        Case{"double_space", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400},
        Case{"bad_method", "G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400},
        Case{"no_target", "GET HTTP/1.1\r\nHost: h\r\n\r\n", 400}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(HttpRequestHead, HeadOverLimitIs431EvenWhenIncomplete) {
  Limits limits;
  limits.max_head_bytes = 1024;
  RequestHead head;
  std::string text = "GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(2000, 'a');
  auto r = parse(text, head, limits);
  ASSERT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.error_status, 431);
  text += "\r\n\r\n";
  EXPECT_EQ(parse(text, head, limits).error_status, 431);
}

TEST(HttpRequestHead, TooManyHeadersIs431) {
  Limits limits;
  limits.max_headers = 3;
  RequestHead head;
  auto r = parse("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", head, limits);
  ASSERT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.error_status, 431);
}

TEST(HttpRequestHead, PipelinedRequestsParseOneAfterAnother) {
  const std::string text = "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n";
  RequestHead head;
  auto first = parse(text, head);
  ASSERT_EQ(first.status, ParseStatus::kComplete);
  EXPECT_EQ(head.target, "/a");
  auto second = parseRequestHead(std::string_view(text).substr(first.consumed), {}, head);
  ASSERT_EQ(second.status, ParseStatus::kComplete);
  EXPECT_EQ(head.target, "/b");
  EXPECT_EQ(first.consumed + second.consumed, text.size());
}

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

std::string decodeAll(ChunkedDecoder& d, std::string_view input, size_t step, bool& done,
                      bool& error, size_t& consumed) {
  std::string payload;
  consumed = 0;
  done = error = false;
  // Feed `step` bytes at a time (the rest of the input once `step` is 0).
  size_t available = step == 0 ? input.size() : std::min(step, input.size());
  while (!done && !error) {
    auto s = d.feed(input.substr(consumed, available - consumed));
    payload.append(s.payload);
    consumed += s.consumed;
    done = s.done;
    error = s.error;
    if (s.consumed == 0 && !done && !error) {
      if (available == input.size()) break;
      available = std::min(input.size(), available + (step == 0 ? input.size() : step));
    }
  }
  return payload;
}

TEST(HttpChunked, DecodesWholeAndByteAtATimeIdentically) {
  const std::string body =
      "5;ext=1\r\nhello\r\nA\r\n, world!!!\r\n0\r\nTrailer: x\r\n\r\nGET /next";
  for (size_t step : {size_t{0}, size_t{1}, size_t{3}, size_t{7}}) {
    ChunkedDecoder d;
    bool done = false;
    bool error = false;
    size_t consumed = 0;
    EXPECT_EQ(decodeAll(d, body, step, done, error, consumed), "hello, world!!!") << step;
    EXPECT_TRUE(done) << step;
    EXPECT_FALSE(error);
    EXPECT_EQ(consumed, body.size() - std::string("GET /next").size()) << step;
  }
}

TEST(HttpChunked, UpperAndLowerCaseHex) {
  ChunkedDecoder d;
  bool done = false;
  bool error = false;
  size_t consumed = 0;
  std::string payload(26, 'x');
  std::string body = "1a\r\n" + payload + "\r\n0\r\n\r\n";
  EXPECT_EQ(decodeAll(d, body, 0, done, error, consumed), payload);
  d.reset();
  body = "1A\r\n" + payload + "\r\n0\r\n\r\n";
  EXPECT_EQ(decodeAll(d, body, 0, done, error, consumed), payload);
  EXPECT_TRUE(done);
}

TEST(HttpChunked, Errors) {
  Limits limits;
  limits.max_chunk_line = 16;
  limits.max_trailer_bytes = 16;
  for (const char* body :
       {"zz\r\n", "5\r\nhelloX\r\n", "5\nhello\r\n", "1000000000000000\r\n",
        "5;aaaaaaaaaaaaaaaaaaaaaaaaa\r\n", "0\r\nTrailer: xxxxxxxxxxxxxxxxxxxxx\r\n\r\n",
        "0\r\nX: y\n\r\n", "\r\n"}) {
    ChunkedDecoder d(limits);
    bool done = false;
    bool error = false;
    size_t consumed = 0;
    decodeAll(d, body, 0, done, error, consumed);
    EXPECT_TRUE(error) << body;
    EXPECT_FALSE(done) << body;
  }
}

TEST(HttpTokens, HasTokenAndIequals) {
  EXPECT_TRUE(hasToken("keep-alive, Upgrade", "upgrade"));
  EXPECT_FALSE(hasToken("keep-alive, Upgraded", "upgrade"));
  EXPECT_TRUE(iequals("Content-Length", "content-length"));
  EXPECT_FALSE(iequals("Content-Length", "content-lengt"));
  EXPECT_EQ(reasonPhrase(503), "Service Unavailable");
  EXPECT_EQ(reasonPhrase(431), "Request Header Fields Too Large");
}

}  // namespace
}  // namespace meshroute::http
