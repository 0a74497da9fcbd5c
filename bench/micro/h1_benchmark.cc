// The HTTP/1 codec alone: a browser's request head, an upstream's 20-header response head, a
// chunked body, and writing a response head. Bytes/s is the figure to compare across changes.
//
//   build/release/bench/micro/h1_benchmark --benchmark_min_time=0.5s
#include <benchmark/benchmark.h>

#include <string>

#include "http/h1.h"

namespace meshroute::http {
namespace {

// What Firefox sends for a page load: 618 bytes, 12 headers.
const std::string kBrowserRequest =
    "GET /productpage?u=normal&ref=home HTTP/1.1\r\n"
    "Host: bookinfo.example.com\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;"
    "q=0.8\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Referer: https://bookinfo.example.com/login?next=%2Fproductpage\r\n"
    "Cookie: session=4f6c0a2e9b8d7c6a5f4e3d2c1b0a9f8e; theme=dark; "
    "_ga=GA1.2.1234567890.1700000000\r\n"
    "Connection: keep-alive\r\n"
    "Upgrade-Insecure-Requests: 1\r\n"
    "Sec-Fetch-Dest: document\r\n"
    "Sec-Fetch-Mode: navigate\r\n"
    "Sec-Fetch-Site: same-origin\r\n"
    "\r\n";

std::string makeResponseHead() {
  std::string out = "HTTP/1.1 200 OK\r\n";
  const char* names[] = {"date",        "server",         "content-type", "cache-control",
                         "etag",        "last-modified",  "vary",         "x-request-id",
                         "x-echo-name", "x-frame-options"};
  for (int round = 0; round < 2; ++round) {
    for (const char* name : names) {
      out += std::string(round == 0 ? "" : "x-extra-") + name + ": value-of-" + name + "-" +
             std::to_string(round) + "\r\n";
    }
  }
  out += "\r\n";  // 20 headers; the body length comes from the connection close
  return out;
}

// 16 KiB of payload in 1 KiB chunks, with an extension and a trailer, as a streaming server
// would write it.
std::string makeChunkedBody() {
  std::string out;
  const std::string chunk(1024, 'c');
  for (int i = 0; i < 16; ++i) appendChunk(out, chunk);
  out += "0\r\nx-checksum: 0badc0de\r\n\r\n";
  return out;
}

void BM_ParseBrowserRequest(benchmark::State& state) {
  RequestHead head;
  Limits limits;
  for (auto _ : state) {
    auto r = parseRequestHead(kBrowserRequest, limits, head);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(head.host);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kBrowserRequest.size()));
  state.counters["head_bytes"] = static_cast<double>(kBrowserRequest.size());
}
BENCHMARK(BM_ParseBrowserRequest);

void BM_ParseResponseHead20(benchmark::State& state) {
  const std::string text = makeResponseHead();
  ResponseHead head;
  Limits limits;
  for (auto _ : state) {
    auto r = parseResponseHead(text, limits, "GET", head);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(head.framing);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["head_bytes"] = static_cast<double>(text.size());
}
BENCHMARK(BM_ParseResponseHead20);

// Arg: how many bytes arrive per read (the whole body, a socket-sized read, a tiny one).
void BM_DecodeChunkedBody(benchmark::State& state) {
  const std::string body = makeChunkedBody();
  const size_t read_size = static_cast<size_t>(state.range(0));
  ChunkedDecoder decoder;
  for (auto _ : state) {
    decoder.reset();
    size_t consumed = 0;
    size_t payload = 0;
    size_t available = std::min(read_size, body.size());
    while (true) {
      auto s = decoder.feed(std::string_view(body).substr(consumed, available - consumed));
      consumed += s.consumed;
      payload += s.payload.size();
      if (s.done || s.error) break;
      if (s.consumed == 0) available = std::min(body.size(), available + read_size);
    }
    benchmark::DoNotOptimize(payload);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_DecodeChunkedBody)->Arg(1 << 20)->Arg(4096)->Arg(16);

void BM_WriteResponseHead(benchmark::State& state) {
  std::string out;
  out.reserve(512);
  for (auto _ : state) {
    out.clear();
    appendStatusLine(out, 200);
    appendHeader(out, "content-type", "application/json");
    appendHeader(out, "content-length", uint64_t{1234});
    appendHeader(out, "date", "Mon, 01 Jan 2024 00:00:00 GMT");
    appendHeader(out, "server", "envoy");
    appendHeader(out, "x-envoy-upstream-service-time", uint64_t{3});
    appendHeadEnd(out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * out.size()));
}
BENCHMARK(BM_WriteResponseHead);

}  // namespace
}  // namespace meshroute::http

BENCHMARK_MAIN();
