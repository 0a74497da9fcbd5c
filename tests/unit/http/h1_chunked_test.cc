// The chunked body decoder: whole, split at every size, byte at a time; never past the end.
#include <gtest/gtest.h>

#include <string>

#include "http/h1.h"

namespace meshroute::http {
namespace {

struct Decoded {
  std::string payload;
  size_t consumed = 0;
  bool done = false;
  bool error = false;
  std::string_view reason;
};

// Feeds `input` to `d` as it would arrive in reads of `step` bytes (0: all at once), handing the
// decoder the unconsumed rest each time, as the proxy does.
Decoded decode(ChunkedDecoder& d, std::string_view input, size_t step) {
  Decoded out;
  size_t available = step == 0 ? input.size() : std::min(step, input.size());
  while (!out.done && !out.error) {
    auto s = d.feed(input.substr(out.consumed, available - out.consumed));
    EXPECT_LE(s.consumed, available - out.consumed);
    out.payload.append(s.payload);
    out.consumed += s.consumed;
    out.done = s.done;
    out.error = s.error;
    out.reason = s.reason;
    if (s.consumed == 0 && !out.done && !out.error) {
      if (available == input.size()) break;
      available = std::min(input.size(), available + (step == 0 ? input.size() : step));
    }
  }
  return out;
}

Decoded decode(std::string_view input, size_t step = 0, const Limits& limits = {}) {
  ChunkedDecoder d(limits);
  return decode(d, input, step);
}

TEST(HttpChunked, DecodesWholeAndInPiecesIdentically) {
  const std::string body =
      "5;ext=1\r\nhello\r\nA\r\n, world!!!\r\n0\r\nTrailer: x\r\n\r\nGET /next";
  for (size_t step = 0; step <= body.size(); ++step) {
    Decoded d = decode(body, step);
    EXPECT_EQ(d.payload, "hello, world!!!") << step;
    EXPECT_TRUE(d.done) << step;
    EXPECT_FALSE(d.error) << step;
    // The pipelined request after the body is left for the next parse.
    EXPECT_EQ(d.consumed, body.size() - std::string("GET /next").size()) << step;
  }
}

TEST(HttpChunked, ByteAtATimeGivesEachPayloadByteOnce) {
  const std::string body = "3\r\nabc\r\n1\r\nd\r\n0\r\n\r\n";
  ChunkedDecoder d;
  std::string payload;
  bool done = false;
  for (size_t i = 0; i < body.size(); ++i) {
    ASSERT_FALSE(done) << "done before the final LF at " << i;
    auto s = d.feed(std::string_view(body).substr(i, 1));
    ASSERT_EQ(s.consumed, 1U) << i;
    ASSERT_FALSE(s.error) << i;
    payload.append(s.payload);
    done = s.done;
  }
  EXPECT_TRUE(done);
  EXPECT_EQ(payload, "abcd");
}

TEST(HttpChunked, PayloadViewsPointIntoTheInput) {
  const std::string body = "4\r\nwxyz\r\n0\r\n\r\n";
  ChunkedDecoder d;
  auto first = d.feed(body);
  EXPECT_EQ(first.consumed, 7U);  // "4\r\n" and the data: one payload span per step
  EXPECT_EQ(first.payload, "wxyz");
  EXPECT_EQ(first.payload.data(), body.data() + 3);
  auto rest = d.feed(std::string_view(body).substr(first.consumed));
  EXPECT_TRUE(rest.done);
  EXPECT_EQ(first.consumed + rest.consumed, body.size());
}

TEST(HttpChunked, DoneDecoderConsumesNothingMore) {
  ChunkedDecoder d;
  auto s = d.feed("0\r\n\r\nextra");
  EXPECT_TRUE(s.done);
  EXPECT_EQ(s.consumed, 5U);
  auto again = d.feed("extra");
  EXPECT_TRUE(again.done);
  EXPECT_EQ(again.consumed, 0U);
}

TEST(HttpChunked, UpperLowerCaseHexAndLeadingZeros) {
  const std::string payload(26, 'x');
  EXPECT_EQ(decode("1a\r\n" + payload + "\r\n0\r\n\r\n").payload, payload);
  EXPECT_EQ(decode("1A\r\n" + payload + "\r\n0\r\n\r\n").payload, payload);
  EXPECT_EQ(decode("00001a\r\n" + payload + "\r\n0000\r\n\r\n").payload, payload);
}

TEST(HttpChunked, ExtensionsAndWhitespaceBeforeThemAreIgnored) {
  Decoded d = decode("3 ;a=b;c=\"q;x\"\r\nabc\r\n2\t\r\nde\r\n0;last\r\n\r\n", 1);
  EXPECT_TRUE(d.done);
  EXPECT_EQ(d.payload, "abcde");
}

TEST(HttpChunked, TrailersAreReadAndDiscarded) {
  const std::string body = "1\r\nz\r\n0\r\nX-Checksum: abc\r\nX-Other: \td\r\n\r\nNEXT";
  for (size_t step : {size_t{0}, size_t{1}, size_t{2}}) {
    Decoded d = decode(body, step);
    EXPECT_TRUE(d.done) << step;
    EXPECT_EQ(d.payload, "z");
    EXPECT_EQ(d.consumed, body.size() - 4) << step;
  }
}

TEST(HttpChunked, LargestSizeIsAcceptedAndOverflowRejected) {
  ChunkedDecoder d;
  auto s = d.feed("7fffffffffffffff\r\nab");  // 2^63 - 1: accepted, the data just starts
  EXPECT_FALSE(s.error);
  Decoded over = decode("8000000000000000\r\n");  // 2^63
  EXPECT_TRUE(over.error);
  EXPECT_EQ(over.reason, "chunk size too large");
  EXPECT_TRUE(decode("ffffffffffffffffff\r\n").error);
}

TEST(HttpChunked, IncompleteIsNotAnError) {
  for (const char* partial : {"", "5", "5;e", "5\r", "5\r\nhel", "5\r\nhello", "5\r\nhello\r",
                              "0\r\n", "0\r\nX: y", "0\r\nX: y\r\n", "0\r\n\r"}) {
    Decoded d = decode(partial);
    EXPECT_FALSE(d.error) << partial;
    EXPECT_FALSE(d.done) << partial;
    EXPECT_EQ(d.consumed, std::string_view(partial).size()) << partial;
  }
}

TEST(HttpChunked, ResetStartsANewBody) {
  ChunkedDecoder d;
  EXPECT_TRUE(decode(d, "zz", 0).error);
  EXPECT_TRUE(d.feed("1\r\n").error);  // an error sticks until reset
  d.reset();
  Decoded ok = decode(d, "1\r\nq\r\n0\r\n\r\n", 0);
  EXPECT_TRUE(ok.done);
  EXPECT_EQ(ok.payload, "q");
}

struct BadBody {
  const char* name;
  std::string body;
};

class HttpChunkedRejection : public ::testing::TestWithParam<BadBody> {};

TEST_P(HttpChunkedRejection, IsAnErrorWholeAndByteAtATime) {
  Limits limits;
  limits.max_chunk_line = 16;
  limits.max_trailer_bytes = 24;
  for (size_t step : {size_t{0}, size_t{1}}) {
    Decoded d = decode(GetParam().body, step, limits);
    EXPECT_TRUE(d.error) << GetParam().name << " step " << step;
    EXPECT_FALSE(d.done);
    EXPECT_FALSE(d.reason.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(
    HttpMalformed, HttpChunkedRejection,
    ::testing::Values(BadBody{"not_hex", "zz\r\n"}, BadBody{"hex_prefix", "0x5\r\nhello\r\n"},
                      BadBody{"negative", "-5\r\n"}, BadBody{"empty_size", "\r\n"},
                      BadBody{"leading_space", " 5\r\nhello\r\n"},
                      BadBody{"space_inside_size", "1 2\r\n"},
                      BadBody{"data_too_long", "5\r\nhelloX\r\n"},
                      BadBody{"data_without_crlf", "5\r\nhello0\r\n\r\n"},
                      BadBody{"bare_lf_size", "5\nhello\r\n"},
                      BadBody{"bare_lf_after_data", "5\r\nhello\n0\r\n\r\n"},
                      BadBody{"cr_without_lf", "5\rhello"},
                      BadBody{"size_line_too_long", "5;aaaaaaaaaaaaaaaaaaaaaaaaa\r\n"},
                      BadBody{"ctl_in_extension", "5;a\x01\r\nhello\r\n"},
                      BadBody{"trailers_too_large", "0\r\nTrailer: xxxxxxxxxxxxxxxxxxxxx\r\n\r\n"},
                      BadBody{"bare_lf_in_trailer", "0\r\nX: y\n\r\n"},
                      BadBody{"bare_lf_ends_trailers", "0\r\nX: y\r\n\n"},
                      BadBody{"bare_lf_last_chunk", "0\r\n\n"},
                      BadBody{"nul_in_trailer", std::string("0\r\nX: \0\r\n\r\n", 11)},
                      BadBody{"obs_fold_trailer", "0\r\nX: y\r\n z\r\n\r\n"}),
    [](const auto& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace meshroute::http
