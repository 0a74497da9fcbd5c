// HTTP/1.x message heads and body framing as pure byte-in / result-out functions: no sockets,
// no allocation beyond the caller's reusable header vector. The proxy, the echo backend and
// the admin server all parse through here, so every listener gets the same limits and the same
// request-smuggling defences (Envoy's answers: 400, 413, 431, 501, 505).
//
//   http::RequestHead head;
//   auto r = http::parseRequestHead(buffer, limits, head);
//   if (r.status == http::ParseStatus::kIncomplete) read more;
//   if (r.status == http::ParseStatus::kError) answer r.error_status, close;
//   ... head.method, head.target, head.headers (views into `buffer`), head.framing ...
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace meshroute::http {

struct Limits {
  size_t max_head_bytes =
      60 * size_t{1024};         // Envoy's max_request_headers_kb default (60 KiB) -> 431
  size_t max_headers = 100;      // Envoy's max_headers_count default -> 431
  size_t max_chunk_line = 4096;  // chunk-size line incl. extensions -> 400
  size_t max_trailer_bytes = 60 * size_t{1024};
};

// A header as it appears on the wire; name and value are views into the parsed buffer, the
// value with surrounding whitespace trimmed. Names keep their case: compare with iequals().
struct Header {
  std::string_view name;
  std::string_view value;
};

// How the body of a message is delimited (RFC 9112 section 6.3).
enum class Framing {
  kNone,           // no body (GET without length, 204, 304, response to HEAD, 1xx)
  kContentLength,  // exactly content_length bytes
  kChunked,        // Transfer-Encoding: chunked
  kUntilClose,     // response without length: body runs to connection close
};

struct RequestHead {
  std::string_view method;
  std::string_view target;      // as sent: origin-form "/p?q", absolute-form "http://h/p", "*"
  int version_minor = 1;        // HTTP/1.0 -> 0, HTTP/1.1 -> 1
  std::vector<Header> headers;  // cleared and refilled by each parse; capacity is reused
  std::string_view host;        // the Host header ("" when absent)
  Framing framing = Framing::kNone;
  uint64_t content_length = 0;   // when framing == kContentLength
  bool keep_alive = true;        // from version and Connection: close / keep-alive
  bool expect_continue = false;  // Expect: 100-continue
  bool upgrade = false;          // Connection: upgrade with an Upgrade header (e.g. websocket)
  size_t head_bytes = 0;         // bytes of the head including the final CRLF CRLF
};

struct ResponseHead {
  int status = 0;
  std::string_view reason;
  int version_minor = 1;
  std::vector<Header> headers;
  Framing framing = Framing::kNone;
  uint64_t content_length = 0;
  bool keep_alive = true;  // false: the upstream connection can't be reused after this response
  size_t head_bytes = 0;
};

enum class ParseStatus { kIncomplete, kComplete, kError };

struct ParseResult {
  ParseStatus status = ParseStatus::kIncomplete;
  size_t consumed = 0;  // bytes of the head, when kComplete
  // The status to answer with, when kError: 400, 431, 501, 505 for requests; for responses
  // 431 (head over the limits) or 502 (anything malformed), which the proxy answers as 502.
  int error_status = 0;
  std::string_view error;  // a static, human-readable reason, when kError
};

// Parses a request head from the start of `buffer`. kIncomplete when no CRLF CRLF yet and the
// limit is not exceeded (empty lines before the request line are skipped but count towards it).
// Rejects (kError) what Envoy rejects: malformed request line, invalid bytes in names or values,
// bare LF line endings, obs-fold, Content-Length together with Transfer-Encoding, differing
// duplicate Content-Length, a Transfer-Encoding other than "chunked" last (501), HTTP versions
// other than 1.0/1.1 (505), heads over the limits (431).
ParseResult parseRequestHead(std::string_view buffer, const Limits& limits, RequestHead& out);

// Parses a response head. `request_method` decides framing (a response to HEAD has no body);
// 1xx, 204 and 304 have none either.
ParseResult parseResponseHead(std::string_view buffer, const Limits& limits,
                              std::string_view request_method, ResponseHead& out);

// Incremental decoder for a chunked body. Feed it bytes as they arrive; it reports how many
// it consumed and where the payload (chunk data) lies inside them, so a proxy can either
// forward the raw bytes unchanged or re-frame the payload.
class ChunkedDecoder {
 public:
  explicit ChunkedDecoder(const Limits& limits = Limits{}) : limits_(limits) {}

  struct Step {
    size_t consumed = 0;       // bytes of input used by this step (raw, including framing)
    std::string_view payload;  // chunk data within those bytes (may be empty)
    bool done = false;         // the last chunk and the trailers have been read
    bool error = false;        // malformed framing: answer 400 / reset
    std::string_view reason;   // when error
  };

  // Consumes a prefix of `input`. Call repeatedly with the unconsumed rest until consumed == 0
  // (needs more bytes), done or error.
  Step feed(std::string_view input);
  void reset();

 private:
  // State private to the implementation.
  Limits limits_;
  int state_ = 0;
  uint64_t remaining_ = 0;
  size_t line_bytes_ = 0;
  size_t trailer_bytes_ = 0;
};

// Head and body writers for the proxy and the servers. Each appends to `out` and allocates
// nothing beyond the growth of `out` (reserve it once per connection and it stays put).
//   std::string out;
//   appendStatusLine(out, 200);                 // "HTTP/1.1 200 OK\r\n"
//   appendHeader(out, "content-length", "5");
//   appendHeadEnd(out);                         // the blank line
//   appendChunk(out, "hello");                  // "5\r\nhello\r\n"
//   appendLastChunk(out);                       // "0\r\n\r\n"

// "HTTP/1.<minor> <status> <reasonPhrase(status)>\r\n".
void appendStatusLine(std::string& out, int status, int version_minor = 1);
// The same with the reason phrase given (a proxy passes on the upstream's own).
void appendStatusLine(std::string& out, int status, std::string_view reason, int version_minor);
// "<method> <target> HTTP/1.<minor>\r\n".
void appendRequestLine(std::string& out, std::string_view method, std::string_view target,
                       int version_minor = 1);
// "<name>: <value>\r\n". The caller passes a valid name and value (no CR or LF).
void appendHeader(std::string& out, std::string_view name, std::string_view value);
// "<name>: <decimal value>\r\n", e.g. for content-length.
void appendHeader(std::string& out, std::string_view name, uint64_t value);
// The blank line that ends a head.
void appendHeadEnd(std::string& out);
// One chunk: hex size, CRLF, data, CRLF. Empty data writes nothing (a zero-size chunk would
// end the body).
void appendChunk(std::string& out, std::string_view data);
// The last chunk and an empty trailer section: "0\r\n\r\n".
void appendLastChunk(std::string& out);

// Case-insensitive ASCII comparison for header names and tokens. Inline: it runs for every
// header against every name the proxy looks for, and nearly all of those differ in length.
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}
// First header named `name` (case-insensitive), or "" when absent.
std::string_view findHeader(const std::vector<Header>& headers, std::string_view name);
// True when a comma-separated header value (e.g. Connection) holds `token`.
bool hasToken(std::string_view list, std::string_view token);
// The reason phrase Envoy uses for a status code ("OK", "Not Found", "Service Unavailable").
std::string_view reasonPhrase(int status);

}  // namespace meshroute::http
