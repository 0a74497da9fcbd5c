// The admin API on its own thread (Envoy's conventions), so data-plane load can't starve it:
//   GET  /ready              200 "LIVE" once the first configuration serves, 503 when draining
//   GET  /stats/prometheus   Istio's standard metrics and the proxy's own, Prometheus text
//   GET  /config_dump        the effective configuration as JSON (resources, version, rejection)
//   GET  /clusters           each cluster's endpoints, weights, active requests, health
//                            (Envoy's text form; ?format=json for JSON)
//   GET  /routes             the compiled routes per host with their VirtualService and rule
//   POST /quitquitquit       drain and exit 0
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <optional>
#include <string>

#include "proxy/proxy_server.h"
#include "runtime/event_loop.h"
#include "runtime/listener.h"

namespace meshroute::admin {

class AdminServer {
 public:
  AdminServer(proxy::ProxyServer& server, runtime::Address address);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  bool start(std::string& error);
  void stop();
  [[nodiscard]] const runtime::Address& address() const { return address_; }

  struct Response {
    int status = 200;
    std::string content_type = "text/plain; charset=UTF-8";
    std::string body;
  };
  // The answer for one request (method, path with query). Public for tests.
  Response handle(std::string_view method, std::string_view target);

 private:
  void acceptNext();

  proxy::ProxyServer& server_;
  runtime::Address address_;
  runtime::EventLoopThread loop_{"mr-admin"};
  std::optional<boost::asio::ip::tcp::acceptor> acceptor_;
};

}  // namespace meshroute::admin
