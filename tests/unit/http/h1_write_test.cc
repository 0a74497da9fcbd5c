// The head and chunk writers, checked by parsing what they write.
#include <gtest/gtest.h>

#include <string>

#include "http/h1.h"

namespace meshroute::http {
namespace {

TEST(HttpWrite, ResponseHeadRoundTrips) {
  std::string out;
  appendStatusLine(out, 503);
  appendHeader(out, "content-length", uint64_t{19});
  appendHeader(out, "content-type", "text/plain");
  appendHeadEnd(out);
  EXPECT_EQ(out,
            "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 19\r\ncontent-type: "
            "text/plain\r\n\r\n");
  ResponseHead r;
  ASSERT_EQ(parseResponseHead(out, {}, "GET", r).status, ParseStatus::kComplete);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.content_length, 19U);
}

TEST(HttpWrite, StatusLineVersionsAndUnknownCodes) {
  std::string out;
  appendStatusLine(out, 200, 0);
  appendStatusLine(out, 299);
  EXPECT_EQ(out, "HTTP/1.0 200 OK\r\nHTTP/1.1 299 Unknown\r\n");
}

TEST(HttpWrite, RequestHeadRoundTrips) {
  std::string out;
  appendRequestLine(out, "POST", "/ratings/1?x=y");
  appendHeader(out, "host", "ratings:9080");
  appendHeader(out, "transfer-encoding", "chunked");
  appendHeadEnd(out);
  RequestHead head;
  ASSERT_EQ(parseRequestHead(out, {}, head).status, ParseStatus::kComplete);
  EXPECT_EQ(head.method, "POST");
  EXPECT_EQ(head.target, "/ratings/1?x=y");
  EXPECT_EQ(head.host, "ratings:9080");
  EXPECT_EQ(head.framing, Framing::kChunked);
  out.clear();
  appendRequestLine(out, "GET", "/", 0);
  EXPECT_EQ(out, "GET / HTTP/1.0\r\n");
}

TEST(HttpWrite, LargestNumbersFit) {
  std::string out;
  appendHeader(out, "content-length", UINT64_MAX);
  EXPECT_EQ(out, "content-length: 18446744073709551615\r\n");
}

TEST(HttpWrite, ChunksDecodeBackToThePayload) {
  const std::string big(300, 'b');
  std::string out;
  appendChunk(out, "hello");
  appendChunk(out, "");  // writes nothing: a zero-size chunk would end the body
  appendChunk(out, big);
  appendLastChunk(out);
  EXPECT_EQ(out.substr(0, 10), "5\r\nhello\r\n");
  EXPECT_EQ(out.substr(10, 5), "12c\r\n");  // 300 in hex
  ChunkedDecoder d;
  std::string payload;
  size_t consumed = 0;
  bool done = false;
  while (!done) {
    auto s = d.feed(std::string_view(out).substr(consumed));
    ASSERT_FALSE(s.error);
    ASSERT_TRUE(s.consumed > 0 || s.done);
    payload.append(s.payload);
    consumed += s.consumed;
    done = s.done;
  }
  EXPECT_EQ(payload, "hello" + big);
  EXPECT_EQ(consumed, out.size());
}

TEST(HttpWrite, AppendsWithoutAllocatingIntoReservedSpace) {
  std::string out;
  out.reserve(256);
  const char* storage = out.data();
  for (int i = 0; i < 3; ++i) {
    out.clear();
    appendStatusLine(out, 404);
    appendHeader(out, "content-length", uint64_t{0});
    appendHeader(out, "server", "envoy");
    appendHeadEnd(out);
    appendChunk(out, "abc");
    appendLastChunk(out);
  }
  EXPECT_EQ(out.data(), storage);  // no reallocation: the writers only append
}

}  // namespace
}  // namespace meshroute::http
