// The pure halves of the HTTP/2 server codec: what the proxy builds around nghttp2, which does
// the framing, HPACK and the protocol's own checks. A request's header fields become the
// stream's RequestHead (pseudo-headers to method, target and authority; cookies joined as
// Envoy joins them for an HTTP/1.1 upstream; the proxy's header limits applied), and a
// response head becomes the name/value list nghttp2 submits. No I/O, no nghttp2 session.
//
//   H2HeadBuilder b(limits);
//   b.begin(head);
//   for (field : fields) b.add(head, name, value);
//   if (int status = b.finish(head, end_stream)) reject(status);  // 431 over the limits
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/h1.h"
#include "proxy/downstream/downstream_stream.h"

namespace meshroute::proxy {

// The client connection preface: an HTTP/2 connection with prior knowledge starts with it.
inline constexpr std::string_view kH2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

enum class PrefaceMatch : uint8_t {
  kNo,       // HTTP/1.x (or garbage the HTTP/1 parser answers)
  kPartial,  // the bytes so far are the preface's beginning: read more before deciding
  kYes,      // an HTTP/2 client
};
PrefaceMatch matchPreface(std::string_view first_bytes);

class H2HeadBuilder {
 public:
  explicit H2HeadBuilder(const http::Limits& limits) : limits_(limits) {}

  void begin(RequestHead& head);
  void add(RequestHead& head, std::string_view name, std::string_view value);
  // Completes `head`: protocol, body framing, authority from Host when :authority is absent,
  // the joined cookie. Returns 0, or the status to answer instead (431 when the header list is
  // over the proxy's limits, 400 when :authority and Host are both missing on a non-CONNECT
  // request).
  int finish(RequestHead& head, bool end_stream);

 private:
  const http::Limits& limits_;
  std::string cookie_;
  size_t bytes_ = 0;
  size_t count_ = 0;
  bool over_limit_ = false;
  bool saw_content_length_ = false;
};

// A name/value pair for nghttp2 (which copies both when the response is submitted).
struct H2Field {
  std::string_view name;
  std::string_view value;
};

// The response head as HTTP/2 header fields: ":status", the headers minus those HTTP/2 forbids
// (connection-specific ones), and content-length when the length is known. `scratch` holds the
// formatted numbers; `out` refers to it and to `start`'s headers.
void responseFields(const ResponseStart& start, std::string& scratch, std::vector<H2Field>& out);

// A local reply's head: the same fields the HTTP/1 codec writes (content-type, content-length,
// date, server) and `extra_headers` ("name: value\r\n" lines) split into fields.
void localReplyFields(int status, std::string_view body, std::string_view extra_headers,
                      std::string& scratch, std::vector<H2Field>& out);

// HTTP/2 forbids these in a message (RFC 9113 section 8.2.2).
bool isConnectionSpecific(std::string_view lower_name);

}  // namespace meshroute::proxy
