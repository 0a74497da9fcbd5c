// Listening sockets. Every worker opens its own socket on the same address with SO_REUSEPORT,
// so the kernel spreads connections across workers and a connection stays on the worker that
// accepted it: no accept lock, no hand-off between threads.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <optional>
#include <string>

namespace meshroute::runtime {

struct Address {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  [[nodiscard]] std::string str() const;
};

// Parses "HOST:PORT", "[v6]:PORT" or ":PORT" (all interfaces). nullopt when malformed.
std::optional<Address> parseAddress(const std::string& text);

// Opens, binds and listens. `reuse_port` for the per-worker listeners. On failure returns
// nullopt and sets `error` (e.g. "127.0.0.1:15001: Address already in use").
std::optional<boost::asio::ip::tcp::acceptor> openListener(boost::asio::io_context& io,
                                                           const Address& address, bool reuse_port,
                                                           std::string& error);

}  // namespace meshroute::runtime
