// The pure halves of the HTTP/1 server codec, shared by H1Connection and the benchmarks: the
// parsed request head copied into the stream's own RequestHead, and a ResponseStart written as
// an HTTP/1.x response head with the framing the client can take. No I/O.
//
//   http::RequestHead parsed;  // views into the read buffer
//   toRequestHead(parsed, stream_head);
//   bool chunked = appendResponseHead(out, start, /*version_minor=*/1, close);
#pragma once

#include <string>

#include "http/h1.h"
#include "proxy/downstream/downstream_stream.h"

namespace meshroute::proxy {

// Copies method, target, Host, version, headers (names lower-cased) and the body framing.
// `raw`: the bytes the head was parsed from (its views point into them).
void toRequestHead(const http::RequestHead& parsed, std::string_view raw, RequestHead& out);

struct H1Framing {
  bool chunked = false;  // the body goes out in chunks
  bool close = false;    // the connection ends with this response
};

// Status line, headers, content-length / transfer-encoding: chunked / nothing (HTTP/1.0 with
// an unknown length: the body runs to the close), connection: close or keep-alive. `close`:
// the caller already knows the connection ends.
H1Framing appendResponseHead(std::string& out, const ResponseStart& start, int version_minor,
                             bool close);

}  // namespace meshroute::proxy
