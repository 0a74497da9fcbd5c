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
    HttpSmuggling, HttpRequestRejection,
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
        Case{"ctl_in_value",
             "GET / HTTP/1.1\r\nHost: h\r\nX: a\x01"
             "b\r\n\r\n",
             400},
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
        Case{"no_target", "GET HTTP/1.1\r\nHost: h\r\n\r\n", 400},
        Case{"te_identity", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\n",
             501},
        Case{"te_gzip_then_chunked",
             "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
        Case{"te_empty", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \r\n\r\n", 501},
        Case{
            "te_then_cl",
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n",
            400},
        Case{"empty_cl", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \r\n\r\n", 400},
        Case{"cl_inner_space", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1 2\r\n\r\n", 400},
        Case{"cl_trailing_comma", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3,\r\n\r\n", 400},
        Case{"cl_negative", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400},
        Case{"cr_in_value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", 400},
        Case{"del_in_value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\x7f\r\n\r\n", 400},
        Case{"empty_name", "GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n", 400},
        Case{"tab_before_colon", "GET / HTTP/1.1\r\nHost\t: h\r\n\r\n", 400},
        Case{"obs_fold_tab", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n\tb\r\n\r\n", 400},
        Case{"bare_lf_terminator", "GET / HTTP/1.1\r\nHost: h\r\n\n", 400},
        Case{"bare_lf_after_empty_line", "\r\n\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400},
        Case{"http09", "GET /\r\n\r\n", 400},
        Case{"lowercase_version", "GET / http/1.1\r\nHost: h\r\n\r\n", 400},
        Case{"long_version", "GET / HTTP/1.10\r\nHost: h\r\n\r\n", 400},
        Case{"http3_version", "GET / HTTP/3.0\r\nHost: h\r\n\r\n", 505},
        Case{"http10_two_hosts", "GET / HTTP/1.0\r\nHost: a\r\nhost: a\r\n\r\n", 400},
        Case{"trailing_space_in_line", "GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400},
        Case{"tab_separator", "GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n", 400},
        Case{"ctl_in_target",
             "GET /a\x01"
             "b HTTP/1.1\r\nHost: h\r\n\r\n",
             400},
        Case{"empty_method", " / HTTP/1.1\r\nHost: h\r\n\r\n", 400}),
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

TEST(HttpRequestHead, ConnectAuthorityFormAndHttp10WithoutHost) {
  RequestHead head;
  ASSERT_EQ(parse("CONNECT reviews:443 HTTP/1.1\r\nHost: reviews:443\r\n\r\n", head).status,
            ParseStatus::kComplete);
  EXPECT_EQ(head.method, "CONNECT");
  EXPECT_EQ(head.target, "reviews:443");
  ASSERT_EQ(parse("GET http://ratings/x HTTP/1.0\r\n\r\n", head).status, ParseStatus::kComplete);
  EXPECT_EQ(head.host, "");  // HTTP/1.0 needs no Host; the absolute-form target names it
  EXPECT_EQ(head.target, "http://ratings/x");
}

TEST(HttpRequestHead, HeadExactlyAtTheLimitIsAccepted) {
  const std::string text = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  Limits limits;
  limits.max_head_bytes = text.size();
  RequestHead head;
  EXPECT_EQ(parse(text, head, limits).status, ParseStatus::kComplete);
  limits.max_head_bytes = text.size() - 1;
  auto r = parse(text, head, limits);
  ASSERT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.error_status, 431);
}

TEST(HttpRequestHead, LeadingEmptyLinesCountTowardsTheLimit) {
  Limits limits;
  limits.max_head_bytes = 64;
  RequestHead head;
  std::string crlfs;
  for (int i = 0; i < 40; ++i) crlfs += "\r\n";
  auto r = parse(crlfs, head, limits);
  ASSERT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.error_status, 431);
  auto ok = parse("\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", head, limits);
  ASSERT_EQ(ok.status, ParseStatus::kComplete);
  EXPECT_EQ(ok.consumed, head.head_bytes);
  EXPECT_EQ(ok.consumed, 29U);  // the skipped empty line is part of what was consumed
}

TEST(HttpRequestHead, ExactlyMaxHeadersIsAccepted) {
  Limits limits;
  limits.max_headers = 3;
  RequestHead head;
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n", head, limits).status,
            ParseStatus::kComplete);
  EXPECT_EQ(head.headers.size(), 3U);
}

TEST(HttpRequestHead, HeaderVectorIsReusedAndFactsReset) {
  RequestHead head;
  ASSERT_EQ(parse("POST /u HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: "
                  "upgrade\r\nUpgrade: h2c\r\nExpect: 100-continue\r\n\r\n",
                  head)
                .status,
            ParseStatus::kComplete);
  EXPECT_EQ(head.framing, Framing::kChunked);
  EXPECT_TRUE(head.upgrade);
  EXPECT_TRUE(head.expect_continue);
  const Header* storage = head.headers.data();
  const size_t capacity = head.headers.capacity();
  ASSERT_EQ(parse("GET / HTTP/1.0\r\n\r\n", head).status, ParseStatus::kComplete);
  EXPECT_TRUE(head.headers.empty());
  EXPECT_EQ(head.headers.data(), storage);  // cleared, not freed
  EXPECT_EQ(head.headers.capacity(), capacity);
  EXPECT_EQ(head.framing, Framing::kNone);
  EXPECT_EQ(head.content_length, 0U);
  EXPECT_FALSE(head.upgrade);
  EXPECT_FALSE(head.expect_continue);
  EXPECT_EQ(head.host, "");
}

TEST(HttpRequestHead, ObsTextEmptyValuesAndTabsAreAccepted) {
  RequestHead head;
  ASSERT_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\nX-Empty:\r\nX-Utf8: caf\xc3\xa9\r\n"
                  "X-Tab:\ta\tb\t\r\n\r\n",
                  head)
                .status,
            ParseStatus::kComplete);
  EXPECT_EQ(findHeader(head.headers, "x-empty"), "");
  EXPECT_EQ(findHeader(head.headers, "x-utf8"), "caf\xc3\xa9");
  EXPECT_EQ(findHeader(head.headers, "x-tab"), "a\tb");
  EXPECT_EQ(findHeader(head.headers, "x-absent"), "");
}

TEST(HttpRequestHead, ConnectionAndExpectVariants) {
  RequestHead head;
  ASSERT_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n", head).status,
            ParseStatus::kComplete);
  EXPECT_TRUE(head.keep_alive);
  ASSERT_EQ(parse("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", head).status,
            ParseStatus::kComplete);
  EXPECT_FALSE(head.keep_alive);  // close wins
  ASSERT_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive,  Upgrade\r\n"
                  "Upgrade: websocket\r\n\r\n",
                  head)
                .status,
            ParseStatus::kComplete);
  EXPECT_TRUE(head.upgrade);
  ASSERT_EQ(parse("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue, x\r\n\r\n", head).status,
            ParseStatus::kComplete);
  EXPECT_FALSE(head.expect_continue);  // only the exact expectation asks for an interim answer
}

TEST(HttpRequestHead, PipelinedAfterABodyStopsAtTheBody) {
  const std::string text =
      "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET /b HTTP/1.1\r\nHost: "
      "h\r\n\r\n";
  RequestHead head;
  auto first = parse(text, head);
  ASSERT_EQ(first.status, ParseStatus::kComplete);
  EXPECT_EQ(text.substr(first.consumed, 5), "hello");
  auto second = parse(std::string_view(text).substr(first.consumed + head.content_length), head);
  ASSERT_EQ(second.status, ParseStatus::kComplete);
  EXPECT_EQ(head.target, "/b");
}

TEST(HttpRequestHead, BrowserRequestIncompleteAtEveryBoundary) {
  const std::string text =
      "\r\nGET /productpage?u=normal HTTP/1.1\r\nHost: bookinfo.example.com\r\n"
      "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0\r\n"
      "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
      "Accept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\n"
      "Cookie: session=0123456789abcdef; theme=dark\r\nConnection: keep-alive\r\n\r\n";
  RequestHead head;
  for (size_t n = 0; n < text.size(); ++n) {
    auto r = parse(text.substr(0, n), head);
    ASSERT_EQ(r.status, ParseStatus::kIncomplete) << n;
    EXPECT_EQ(r.consumed, 0U);
  }
  auto r = parse(text, head);
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.consumed, text.size());
  EXPECT_EQ(head.headers.size(), 7U);
  EXPECT_EQ(head.host, "bookinfo.example.com");
  EXPECT_EQ(findHeader(head.headers, "cookie"), "session=0123456789abcdef; theme=dark");
}

}  // namespace
}  // namespace meshroute::http
