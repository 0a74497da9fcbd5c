// The admin API's pages, computed from the proxy server's thread-safe state.
#pragma once

#include <string>

#include "proxy/proxy_server.h"

namespace meshroute::admin {

std::string prometheusPage(proxy::ProxyServer& server);
std::string configDumpPage(proxy::ProxyServer& server);
std::string clustersPage(proxy::ProxyServer& server, bool json);
std::string routesPage(proxy::ProxyServer& server);
// Envoy's /memory: heap in use and held, and the resident set.
std::string memoryPage();

}  // namespace meshroute::admin
