#include "proxy/downstream/h1_codec.h"

namespace meshroute::proxy {

void toRequestHead(const http::RequestHead& parsed, std::string_view raw, RequestHead& h) {
  h.method.assign(parsed.method);
  h.target.assign(parsed.target);
  h.authority.assign(parsed.host);
  h.protocol.assign(parsed.version_minor == 0 ? "HTTP/1.0" : "HTTP/1.1");
  h.version_minor = parsed.version_minor;
  h.headers.assignParsed(raw, parsed.headers);
  h.length_known = parsed.framing == http::Framing::kContentLength;
  h.content_length = h.length_known ? parsed.content_length : 0;
  h.has_body =
      (h.length_known && h.content_length > 0) || parsed.framing == http::Framing::kChunked;
  h.keep_alive = parsed.keep_alive;
  h.upgrade = parsed.upgrade;
  h.expect_continue = parsed.expect_continue;
  if (h.upgrade && http::iequals(h.headers.get("upgrade"), "h2c")) {
    // As Envoy: an h2c upgrade is not taken (HTTP/2 cleartext is spoken with prior knowledge
    // on the same port); the request goes on as HTTP/1.1 without the upgrade's headers.
    h.upgrade = false;
    h.headers.remove("upgrade");
    h.headers.remove("http2-settings");
  }
}

H1Framing appendResponseHead(std::string& out, const ResponseStart& start, int minor, bool close) {
  H1Framing f;
  f.close = close;
  http::appendStatusLine(out, start.status,
                         start.reason.empty() ? http::reasonPhrase(start.status) : start.reason,
                         minor);
  const http::HeaderMap& hm = *start.headers;
  for (size_t i = 0; i < hm.size(); ++i) http::appendHeader(out, hm.name(i), hm.value(i));
  if (start.upgrade) {
    http::appendHeadEnd(out);
    return f;
  }
  if (start.has_body) {
    if (start.length_known) {
      http::appendHeader(out, "content-length", start.content_length);
    } else if (minor == 1) {
      f.chunked = true;
      http::appendHeader(out, "transfer-encoding", "chunked");
    } else {
      f.close = true;  // HTTP/1.0 can't take chunks: the body runs to the close
    }
  }
  if (f.close) {
    http::appendHeader(out, "connection", "close");
  } else if (minor == 0) {
    http::appendHeader(out, "connection", "keep-alive");
  }
  http::appendHeadEnd(out);
  return f;
}

}  // namespace meshroute::proxy
