// Fuzzes the HTTP/1 codec: request and response heads and the chunked decoder. Besides the
// sanitizers, it checks the codec's promises: it never consumes more than it was given, header
// views lie inside the input, a complete head cut short by one byte is incomplete (never an
// error), and feeding a chunked body in two pieces or byte by byte gives exactly what feeding it
// whole gives.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/h1.h"

namespace {

using meshroute::http::ChunkedDecoder;
using meshroute::http::ParseStatus;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

struct Decoded {
  std::string payload;
  size_t consumed = 0;
  bool done = false;
  bool error = false;
};

// Feeds the body as if the first `split` bytes arrived, then the rest.
Decoded decode(std::string_view input, size_t split) {
  ChunkedDecoder d;
  Decoded out;
  size_t available = split;
  while (!out.done && !out.error) {
    auto step = d.feed(input.substr(out.consumed, available - out.consumed));
    check(step.consumed <= available - out.consumed);
    check(inside(step.payload, input.substr(out.consumed, step.consumed)));
    out.payload.append(step.payload);
    out.consumed += step.consumed;
    out.done = step.done;
    out.error = step.error;
    if (step.consumed == 0 && !step.done && !step.error) {
      if (available == input.size()) break;
      available = input.size();
    }
  }
  return out;
}

// Feeds the body one byte per call, as the slowest peer would send it.
Decoded decodeByteByByte(std::string_view input) {
  ChunkedDecoder d;
  Decoded out;
  while (!out.done && !out.error && out.consumed < input.size()) {
    auto step = d.feed(input.substr(out.consumed, 1));
    check(step.consumed <= 1);
    check(inside(step.payload, input.substr(out.consumed, step.consumed)));
    out.payload.append(step.payload);
    out.consumed += step.consumed;
    out.done = step.done;
    out.error = step.error;
    if (step.consumed == 0 && !step.done && !step.error) break;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  meshroute::http::Limits limits;
  limits.max_head_bytes = 4096;
  limits.max_headers = 32;

  meshroute::http::RequestHead req;
  auto r = meshroute::http::parseRequestHead(input, limits, req);
  check(r.consumed <= input.size());
  if (r.status == ParseStatus::kComplete) {
    check(inside(req.method, input) && inside(req.target, input) && inside(req.host, input));
    for (const auto& h : req.headers) check(inside(h.name, input) && inside(h.value, input));
    check(req.head_bytes == r.consumed);
    auto cut = meshroute::http::parseRequestHead(input.substr(0, r.consumed - 1), limits, req);
    check(cut.status == ParseStatus::kIncomplete);
  } else if (r.status == ParseStatus::kError) {
    check(r.error_status >= 400 && r.error_status < 600);
  }

  meshroute::http::ResponseHead resp;
  auto s = meshroute::http::parseResponseHead(input, limits, size % 2 ? "HEAD" : "GET", resp);
  check(s.consumed <= input.size());
  if (s.status == ParseStatus::kComplete) {
    for (const auto& h : resp.headers) check(inside(h.name, input) && inside(h.value, input));
  }

  Decoded whole = decode(input, input.size());
  size_t split = size == 0 ? 0 : data[0] % (size + 1);
  Decoded pieces = decode(input, split);
  check(whole.done == pieces.done && whole.error == pieces.error);
  if (whole.done) check(whole.payload == pieces.payload && whole.consumed == pieces.consumed);
  Decoded bytes = decodeByteByByte(input);
  check(whole.done == bytes.done && whole.error == bytes.error);
  if (whole.done) check(whole.payload == bytes.payload && whole.consumed == bytes.consumed);
  return 0;
}
