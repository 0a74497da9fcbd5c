#include "runtime/listener.h"

#include <sys/socket.h>

#include <boost/asio/ip/address.hpp>
#include <charconv>

namespace meshroute::runtime {

std::string Address::str() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

std::optional<Address> parseAddress(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  Address a;
  a.host = text.substr(0, colon);
  if (a.host.size() >= 2 && a.host.front() == '[' && a.host.back() == ']') {
    a.host = a.host.substr(1, a.host.size() - 2);
  }
  if (a.host.empty()) a.host = "0.0.0.0";
  std::string_view port = std::string_view(text).substr(colon + 1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || port.empty() || value > 65535) {
    return std::nullopt;
  }
  a.port = static_cast<uint16_t>(value);
  boost::system::error_code bad;
  boost::asio::ip::make_address(a.host, bad);
  if (bad) return std::nullopt;
  return a;
}

std::optional<boost::asio::ip::tcp::acceptor> openListener(boost::asio::io_context& io,
                                                           const Address& address, bool reuse_port,
                                                           std::string& error) {
  namespace ip = boost::asio::ip;
  boost::system::error_code ec;
  ip::tcp::endpoint endpoint(ip::make_address(address.host, ec), address.port);
  if (ec) {
    error = address.str() + ": " + ec.message();
    return std::nullopt;
  }
  ip::tcp::acceptor acceptor(io);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec && reuse_port) {
    int one = 1;
    if (setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
      ec = boost::system::error_code(errno, boost::system::system_category());
    }
  }
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error = address.str() + ": " + ec.message();
    return std::nullopt;
  }
  return acceptor;
}

}  // namespace meshroute::runtime
