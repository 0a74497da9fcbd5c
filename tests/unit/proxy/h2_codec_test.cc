#include "proxy/downstream/h2_codec.h"

#include <gtest/gtest.h>

namespace meshroute::proxy {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

struct Built {
  RequestHead head;
  int status = 0;
};

Built build(const Fields& fields, bool end_stream, http::Limits limits = {}) {
  H2HeadBuilder b(limits);
  Built out;
  b.begin(out.head);
  for (const auto& [n, v] : fields) b.add(out.head, n, v);
  out.status = b.finish(out.head, end_stream);
  return out;
}

const Fields kGet = {{":method", "GET"},
                     {":path", "/p?q=1"},
                     {":scheme", "http"},
                     {":authority", "reviews:9080"},
                     {"x-user", "beta"}};

TEST(H2Codec, ThePrefaceIsRecognisedWholeAndInPart) {
  EXPECT_EQ(matchPreface(kH2Preface), PrefaceMatch::kYes);
  EXPECT_EQ(matchPreface(std::string(kH2Preface) + std::string(4, '\x04')), PrefaceMatch::kYes);
  EXPECT_EQ(matchPreface("PRI * HTTP/2"), PrefaceMatch::kPartial);
  EXPECT_EQ(matchPreface("GET / HTTP/1.1\r\n"), PrefaceMatch::kNo);
  EXPECT_EQ(matchPreface("PRI * HTTP/1.1\r\n"), PrefaceMatch::kNo);
}

TEST(H2Codec, PseudoHeadersBecomeTheHeadAndAreNotForwarded) {
  const Built b = build(kGet, /*end_stream=*/true);
  EXPECT_EQ(b.status, 0);
  EXPECT_EQ(b.head.method, "GET");
  EXPECT_EQ(b.head.target, "/p?q=1");
  EXPECT_EQ(b.head.authority, "reviews:9080");
  EXPECT_EQ(b.head.protocol, "HTTP/2");
  EXPECT_EQ(b.head.headers.size(), 1U);
  EXPECT_EQ(b.head.headers.get("x-user"), "beta");
  EXPECT_FALSE(b.head.has_body);
  EXPECT_FALSE(b.head.length_known) << "no content-length: the upstream gets none";
}

TEST(H2Codec, HostStandsInForAMissingAuthority) {
  const Built b = build({{":method", "GET"}, {":path", "/"}, {"host", "h:1"}}, true);
  EXPECT_EQ(b.status, 0);
  EXPECT_EQ(b.head.authority, "h:1");
  EXPECT_EQ(build({{":method", "GET"}, {":path", "/"}}, true).status, 400);
}

TEST(H2Codec, BodyFramingFollowsEndStreamAndContentLength) {
  Fields post = kGet;
  post[0].second = "POST";
  Built b = build(post, /*end_stream=*/false);
  EXPECT_TRUE(b.head.has_body);
  EXPECT_FALSE(b.head.length_known) << "an HTTP/1.1 upstream gets it chunked";
  post.emplace_back("content-length", "12");
  b = build(post, false);
  EXPECT_TRUE(b.head.has_body);
  EXPECT_TRUE(b.head.length_known);
  EXPECT_EQ(b.head.content_length, 12U);
  post.back().second = "0";
  EXPECT_FALSE(build(post, false).head.has_body);
}

TEST(H2Codec, SplitCookiesAreJoinedForHttp11) {
  Fields f = kGet;
  f.emplace_back("cookie", "a=1");
  f.emplace_back("cookie", "b=2");
  const Built b = build(f, true);
  EXPECT_EQ(b.head.headers.get("cookie"), "a=1; b=2");
}

TEST(H2Codec, HeaderListsOverTheLimitsAre431) {
  http::Limits small;
  small.max_head_bytes = 250;  // kGet costs 224 (HPACK counts 32 per field)
  small.max_headers = 8;
  Fields big = kGet;
  big.emplace_back("x-big", std::string(300, 'a'));
  EXPECT_EQ(build(big, true, small).status, 431);
  Fields many = kGet;
  for (int i = 0; i < 5; ++i) many.emplace_back("x-" + std::to_string(i), "v");
  EXPECT_EQ(build(many, true, small).status, 431);
  EXPECT_EQ(build(kGet, true, small).status, 0);
}

TEST(H2Codec, ResponseFieldsDropConnectionHeadersAndCarryTheLength) {
  http::HeaderMap h;
  h.add("content-type", "text/plain");
  h.add("connection", "keep-alive");
  h.add("transfer-encoding", "chunked");
  h.add("content-length", "999");
  h.add("x-echo", "1");
  ResponseStart start;
  start.status = 201;
  start.headers = &h;
  start.length_known = true;
  start.content_length = 42;
  std::string scratch;
  std::vector<H2Field> out;
  responseFields(start, scratch, out);
  ASSERT_EQ(out.size(), 4U);
  EXPECT_EQ(out[0].name, ":status");
  EXPECT_EQ(out[0].value, "201");
  EXPECT_EQ(out[1].name, "content-type");
  EXPECT_EQ(out[2].name, "x-echo");
  EXPECT_EQ(out[3].name, "content-length");
  EXPECT_EQ(out[3].value, "42");
  start.has_body = false;
  responseFields(start, scratch, out);
  EXPECT_EQ(out.back().name, "x-echo") << "no body: no content-length";
}

TEST(H2Codec, LocalRepliesCarryEnvoysHeadersAndTheExtraOnes) {
  std::string scratch;
  std::vector<H2Field> out;
  localReplyFields(503, "no healthy upstream", "x-envoy-overloaded: true\r\nconnection: close\r\n",
                   scratch, out);
  std::vector<std::string> names;
  names.reserve(out.size());
  for (const H2Field& f : out) names.emplace_back(f.name);
  EXPECT_EQ(names, (std::vector<std::string>{":status", "content-type", "content-length", "date",
                                             "server", "x-envoy-overloaded"}));
  EXPECT_EQ(out[0].value, "503");
  EXPECT_EQ(out[2].value, "19");
  EXPECT_EQ(out[4].value, "envoy");
  EXPECT_EQ(out[5].value, "true");
}

}  // namespace
}  // namespace meshroute::proxy
