#include "proxy/request_log.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "proxy/cluster_cache.h"

namespace meshroute::proxy {

void RequestLog::reset() {
  method.clear();
  path.clear();
  protocol.clear();
  authority.clear();
  user_agent.clear();
  request_id.clear();
  forwarded_for.clear();
  status = 0;
  flags.clear();
  failure_side.reset();
  details.clear();
  bytes_received = 0;
  bytes_sent = 0;
  upstream_service_time_ms = -1;
  upstream_host.clear();
  upstream_cluster.clear();
  route_name.clear();
  cluster.reset();
  endpoint = -1;
}

namespace {

std::string_view orDash(const std::string& s) { return s.empty() ? "-" : std::string_view(s); }

}  // namespace

void appendAccessLog(std::string& out, const RequestLog& log, AccessLogFormat format,
                     const std::string& local_address, const std::string& remote_address) {
  auto duration = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - log.start)
                      .count();
  auto start = std::chrono::time_point_cast<std::chrono::milliseconds>(log.start_wall);
  std::string service_time =
      log.upstream_service_time_ms >= 0 ? std::to_string(log.upstream_service_time_ms) : "-";
  if (format == AccessLogFormat::kJson) {
    nlohmann::json j = {
        {"start_time", fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", start)},
        {"method", log.method},
        {"path", log.path},
        {"protocol", log.protocol},
        {"response_code", log.status},
        {"response_flags", log.flags.empty() ? std::string("-") : log.flags.str()},
        {"response_code_details", std::string(orDash(log.details))},
        {"bytes_received", log.bytes_received},
        {"bytes_sent", log.bytes_sent},
        {"duration", duration},
        {"upstream_service_time", service_time},
        {"x_forwarded_for", std::string(orDash(log.forwarded_for))},
        {"user_agent", std::string(orDash(log.user_agent))},
        {"request_id", std::string(orDash(log.request_id))},
        {"authority", std::string(orDash(log.authority))},
        {"upstream_host", std::string(orDash(log.upstream_host))},
        {"upstream_cluster", std::string(orDash(log.upstream_cluster))},
        {"downstream_local_address", local_address},
        {"downstream_remote_address", remote_address},
        {"route_name", std::string(orDash(log.route_name))},
    };
    // Headers are bytes, not UTF-8: invalid sequences are replaced, never thrown on.
    out += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    out += '\n';
    return;
  }
  // Istio's default format (Envoy's default plus details, cluster, addresses and route name).
  fmt::format_to(std::back_inserter(out),
                 "[{:%Y-%m-%dT%H:%M:%S}Z] \"{} {} {}\" {} {} {} - \"-\" {} {} {} {} \"{}\" \"{}\" "
                 "\"{}\" \"{}\" \"{}\" {} - {} {} - {}\n",
                 start, orDash(log.method), orDash(log.path), orDash(log.protocol), log.status,
                 log.flags.empty() ? std::string("-") : log.flags.str(), orDash(log.details),
                 log.bytes_received, log.bytes_sent, duration, service_time,
                 orDash(log.forwarded_for), orDash(log.user_agent), orDash(log.request_id),
                 orDash(log.authority), orDash(log.upstream_host), orDash(log.upstream_cluster),
                 local_address, remote_address, orDash(log.route_name));
}

}  // namespace meshroute::proxy
