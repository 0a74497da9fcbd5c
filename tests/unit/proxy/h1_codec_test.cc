#include "proxy/downstream/h1_codec.h"

#include <gtest/gtest.h>

#include "proxy/buffer_pool.h"

namespace meshroute::proxy {
namespace {

RequestHead copyOf(const std::string& raw) {
  http::RequestHead parsed;
  EXPECT_EQ(http::parseRequestHead(raw, http::Limits{}, parsed).status,
            http::ParseStatus::kComplete);
  RequestHead h;
  toRequestHead(parsed, raw, h);
  return h;
}

TEST(H1Codec, TheHeadIsCopiedWithLowerCaseNamesAndItsFraming) {
  const RequestHead h = copyOf(
      "POST /p?q=1 HTTP/1.1\r\nHost: reviews:9080\r\nX-User: Beta\r\nContent-Length: 5\r\n\r\n");
  EXPECT_EQ(h.method, "POST");
  EXPECT_EQ(h.target, "/p?q=1");
  EXPECT_EQ(h.authority, "reviews:9080");
  EXPECT_EQ(h.protocol, "HTTP/1.1");
  EXPECT_EQ(h.headers.get("x-user"), "Beta");
  EXPECT_EQ(h.headers.name(1), "x-user");
  EXPECT_TRUE(h.has_body);
  EXPECT_TRUE(h.length_known);
  EXPECT_EQ(h.content_length, 5U);
}

TEST(H1Codec, AChunkedRequestHasABodyOfUnknownLength) {
  const RequestHead h = copyOf("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_TRUE(h.has_body);
  EXPECT_FALSE(h.length_known);
  const RequestHead empty = copyOf("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
  EXPECT_FALSE(empty.has_body);
}

ResponseStart start(const http::HeaderMap& headers, bool length_known) {
  ResponseStart s;
  s.status = 200;
  s.headers = &headers;
  s.has_body = true;
  s.length_known = length_known;
  s.content_length = 3;
  return s;
}

TEST(H1Codec, AnUnknownLengthGoesOutChunkedToHttp11) {
  http::HeaderMap h;
  h.add("Server", "x");
  std::string out;
  const H1Framing f = appendResponseHead(out, start(h, false), 1, false);
  EXPECT_TRUE(f.chunked);
  EXPECT_FALSE(f.close);
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nserver: x\r\ntransfer-encoding: chunked\r\n\r\n");
}

TEST(H1Codec, AnHttp10ClientGetsAnUnknownLengthUnframedAndTheConnectionCloses) {
  http::HeaderMap h;
  std::string out;
  const H1Framing f = appendResponseHead(out, start(h, false), 0, false);
  EXPECT_FALSE(f.chunked);
  EXPECT_TRUE(f.close);
  EXPECT_EQ(out, "HTTP/1.0 200 OK\r\nconnection: close\r\n\r\n");
  out.clear();
  const H1Framing known = appendResponseHead(out, start(h, true), 0, false);
  EXPECT_FALSE(known.close);
  EXPECT_EQ(out, "HTTP/1.0 200 OK\r\ncontent-length: 3\r\nconnection: keep-alive\r\n\r\n");
}

TEST(H1Codec, TheUpstreamsReasonPhraseIsKept) {
  http::HeaderMap h;
  ResponseStart s = start(h, true);
  s.status = 503;
  s.reason = "Busy";
  std::string out;
  appendResponseHead(out, s, 1, true);
  EXPECT_EQ(out, "HTTP/1.1 503 Busy\r\ncontent-length: 3\r\nconnection: close\r\n\r\n");
}

TEST(BufferPool, ReturnedBuffersAreReusedEmptyAndBounded) {
  BufferPool pool(1024, 2);
  auto a = pool.acquire();
  a->commit(10);
  IoBuffer* raw = a.get();
  pool.release(std::move(a));
  auto b = pool.acquire();
  EXPECT_EQ(b.get(), raw);
  EXPECT_TRUE(b->empty());
  pool.release(std::move(b));
  pool.release(pool.acquire());
  pool.release(std::make_unique<IoBuffer>(1024));
  pool.release(std::make_unique<IoBuffer>(1024));
  EXPECT_EQ(pool.freeCount(), 2U);
}

TEST(H1Codec, AnH2cUpgradeIsNotTakenAndItsHeadersAreDropped) {
  const RequestHead h = copyOf(
      "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
      "HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n");
  EXPECT_FALSE(h.upgrade);
  EXPECT_FALSE(h.headers.has("upgrade"));
  EXPECT_FALSE(h.headers.has("http2-settings"));
  const RequestHead ws =
      copyOf("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
  EXPECT_TRUE(ws.upgrade);
}

}  // namespace
}  // namespace meshroute::proxy
