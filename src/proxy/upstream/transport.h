// One upstream connection's byte stream, whatever carries it: plain TCP (TcpTransport), TLS
// (TlsTransport), or a scripted fake in the router's tests. The router, the connection pool and the
// WebSocket tunnel see only this interface.
//
// The hot operations cost what the socket calls cost: trySend() is a plain function (a small
// request goes out in one system call, no wait), and TcpTransport's reads return Asio's own
// awaitables, so the interface adds no coroutine frame to a request. connect() and send() (the
// rest of a write the socket could not take at once) are coroutines; they are rare.
//
// Thread affinity: the worker that created it.
#pragma once

#include <array>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "upstream/connection_policy.h"

namespace meshroute::proxy {

// What a transport's failure was, beyond the socket's (Envoy's ssl.* counters).
enum class TransportFailure { kNone, kTls, kTlsVerify, kTlsVerifySan };

// Up to three pieces written as one: a head, a body piece, a chunk trailer.
using SendParts = std::array<std::string_view, 3>;

class Transport {
 public:
  virtual ~Transport() = default;

  // Connects to `endpoint`. False when it failed, or was closed meanwhile (a deadline).
  virtual boost::asio::awaitable<bool> connect(const boost::asio::ip::tcp::endpoint& endpoint) = 0;
  // Sends what the connection takes now, without waiting; `parts` keep what is left. False:
  // the connection failed.
  virtual bool trySend(SendParts& parts) = 0;
  // Sends all of `parts`, waiting as needed (after trySend(): what it left). False: the
  // connection failed.
  virtual boost::asio::awaitable<bool> send(SendParts parts) = 0;
  // Reads some bytes into `buf`: how many, 0 when the peer closed, the connection failed, or
  // close() was called.
  virtual boost::asio::awaitable<size_t> readSome(boost::asio::mutable_buffer buf) = 0;
  // Closes at once: every pending and later operation fails. How deadlines end a wait.
  virtual void close() = 0;
  [[nodiscard]] virtual bool isOpen() const = 0;
  // TCP keepalive probes on the connected socket (connectionPool.tcp.tcpKeepalive). A transport
  // without a socket of its own ignores it.
  virtual void setKeepalive(const upstream::KeepalivePolicy& /*policy*/) {}
  // While the connection is pooled: `on_close` runs once if the peer closes it or sends
  // anything unasked (either ends its reuse). cancelWatch() ends the watch without a call.
  virtual void watchIdle(std::function<void()> on_close) = 0;
  virtual void cancelWatch() = 0;
  // Why the transport failed, when it knows more than the socket does (a TLS handshake or
  // alert, in Envoy's "transport failure reason" shape); "" otherwise.
  [[nodiscard]] virtual std::string_view failureReason() const { return {}; }
  [[nodiscard]] virtual TransportFailure failure() const { return TransportFailure::kNone; }
};

// Makes the transports of one kind on a worker's event loop. Shared by all workers: create()
// must be safe to call from any of them.
class TransportFactory {
 public:
  virtual ~TransportFactory() = default;
  virtual std::unique_ptr<Transport> create(boost::asio::io_context& io) = 0;
};

// Plain TCP, the default.
TransportFactory& tcpTransports();

// SO_KEEPALIVE with the policy's probes, time and interval on a connected socket. Failures
// leave the socket as it is: keepalive is a hint, not a condition of use.
void setSocketKeepalive(int fd, const upstream::KeepalivePolicy& policy);

}  // namespace meshroute::proxy
namespace meshroute::runtime {
class TlsClientContext;
}  // namespace meshroute::runtime
namespace meshroute::proxy {

// What a TLS connection sends and checks besides the context's files.
struct TlsPeer {
  std::string sni;                 // "": none
  std::vector<std::string> names;  // one of them must be a SAN of the certificate; empty: any
};
// TLS origination (DestinationRule tls SIMPLE and MUTUAL) over a TCP connection.
std::unique_ptr<Transport> makeTlsTransport(
    boost::asio::io_context& io, std::shared_ptr<const runtime::TlsClientContext> context,
    TlsPeer peer);

}  // namespace meshroute::proxy
