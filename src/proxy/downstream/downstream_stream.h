// What the pipeline sees of one request's downstream side, whatever the codec: the request head
// (copied into the stream's own header map), the request body as payload pieces, and the
// response going back as headers then data. HTTP/1.1 implements it today (H1Connection);
// HTTP/2 streams implement the same interface, so filters and the router never learn which
// protocol the client speaks.
//
// Thread affinity: the worker that accepted the connection; every call on its thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "http/header_map.h"
#include "proxy/deadlines.h"

namespace meshroute::proxy {

struct UpstreamConnection;

// The request head as the pipeline owns it. Header names lower-case; the codec removed nothing
// (hop-by-hop headers are dropped when the upstream request is built).
struct RequestHead {
  std::string method;
  std::string target;     // as sent: origin-form "/p?q" or absolute-form "http://h/p"
  std::string authority;  // Host / :authority
  std::string protocol;   // "HTTP/1.1", "HTTP/1.0", "HTTP/2"
  int version_minor = 1;  // HTTP/1.x minor version; 1 for HTTP/2
  http::HeaderMap headers;
  bool has_body = false;      // a body follows (content-length > 0 or chunked)
  bool length_known = false;  // content_length is the body's length
  uint64_t content_length = 0;
  bool keep_alive = true;
  bool upgrade = false;  // Connection: upgrade + Upgrade (websocket)
  bool expect_continue = false;
};

enum class BodyRead : uint8_t {
  kData,     // `data` holds the next payload bytes (possibly the last: then kEnd follows)
  kEnd,      // the body is complete (data empty)
  kInvalid,  // the client's framing is malformed: its error, 400 DPE
  kClosed,   // the client went away or the stream was reset: DC
};

// How the response body is delimited, independent of the wire.
struct ResponseStart {
  int status = 200;
  std::string_view reason;  // HTTP/1 reason phrase from the upstream ("" = the standard one)
  const http::HeaderMap* headers = nullptr;
  bool has_body = true;
  bool length_known = false;
  uint64_t content_length = 0;
  bool upgrade = false;  // 101 to an upgrade request: a tunnel follows
};

class DownstreamStream {
 public:
  virtual ~DownstreamStream() = default;

  [[nodiscard]] virtual const RequestHead& request() const = 0;
  // The next piece of the request body; the view stays valid until the next call.
  virtual boost::asio::awaitable<BodyRead> readBody(std::string_view& data) = 0;
  [[nodiscard]] virtual bool bodyComplete() const = 0;

  // Encodes the response head and holds it: it goes out with the first sendData() (one system
  // call for a small response; sendData({}, true) when there is no body). Synchronous, so the
  // head's views (into the upstream's buffer) need only live until this returns.
  virtual bool encodeHeaders(const ResponseStart& start) = 0;
  virtual boost::asio::awaitable<bool> sendData(std::string_view data, bool end_stream) = 0;
  // A response the proxy makes itself (status, plain-text body, extra "name: value\r\n" lines).
  virtual boost::asio::awaitable<bool> sendLocalReply(int status, std::string_view body,
                                                      std::string_view extra_headers) = 0;
  [[nodiscard]] virtual bool responseStarted() const = 0;
  // Bytes both ways until either side closes (after 101 Switching Protocols).
  // Takes the upstream connection: the tunnel's two directions own it together.
  virtual boost::asio::awaitable<void> tunnel(std::unique_ptr<UpstreamConnection> upstream) = 0;

  // The stream's deadlines; call armDeadlines() after changing them.
  virtual Deadlines& deadlines() = 0;
  virtual void armDeadlines() = 0;
  // Which deadline ended the last wait that failed, if one did; cleared by the call.
  virtual std::optional<DeadlineKind> takeExpired() = 0;
  // Waits `d` (a fault delay, a retry back-off, a wait for a connection); false when the client
  // went away meanwhile, a deadline ended it, or wake() did.
  virtual boost::asio::awaitable<bool> sleep(std::chrono::milliseconds d) = 0;
  // Ends the current sleep() early (a connection slot came free). Worker thread only.
  virtual void wake() = 0;
  // Registers the upstream connection the stream waits on: a deadline or the client going away
  // closes it, which ends whatever wait is pending on it.
  virtual void watchUpstream(UpstreamConnection* upstream) = 0;
  [[nodiscard]] virtual bool clientGone() const = 0;
};

}  // namespace meshroute::proxy
