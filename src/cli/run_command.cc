#include "cli/run_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "admin/admin_server.h"
#include "proxy/proxy_server.h"

namespace meshroute::cli {
namespace {

struct Options {
  std::vector<std::string> files;
  std::string ns = "default";
  std::string labels;
  std::string locality;
  std::string secrets_dir;
  std::string dns_servers;
  std::string workload;
  std::string listen = "127.0.0.1:15001";
  std::string admin = "127.0.0.1:15000";
  size_t workers = 0;
  std::string access_log = "text";
  std::string mesh_config;
  double drain_time = 5;
  double idle_timeout = 3600;
  double request_header_timeout = 60;
  double connect_timeout = 10;
  size_t max_connections = 100000;
  size_t retry_buffer = size_t{1} << 20;
  bool mirror_shadow_suffix = false;
};

std::chrono::milliseconds millis(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

// Exit codes: 0 clean shutdown, 1 configuration or listener failure, 2 usage error.
int run(const Options& o) {
  proxy::ProxySettings s;
  s.proxy.ns = o.ns;
  std::stringstream ss(o.labels);
  for (std::string item; std::getline(ss, item, ',');) {
    if (item.empty()) continue;
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << fmt::format("--labels: want k=v[,k=v...], got \"{}\"\n", item);
      return 2;
    }
    s.proxy.labels[item.substr(0, eq)] = item.substr(eq + 1);
  }
  if (!o.locality.empty()) {
    const auto parts = std::count(o.locality.begin(), o.locality.end(), '/');
    if (parts > 2 || o.locality.front() == '/') {
      std::cerr << fmt::format("--locality: want REGION[/ZONE[/SUBZONE]], got \"{}\"\n",
                               o.locality);
      return 2;
    }
    s.proxy.locality = o.locality;
  }
  s.secrets_dir = o.secrets_dir;
  s.dns_servers = o.dns_servers;
  s.workload_name = !o.workload.empty()           ? o.workload
                    : s.proxy.labels.count("app") ? s.proxy.labels["app"]
                                                  : "unknown";
  auto listen = runtime::parseAddress(o.listen);
  auto admin_addr = runtime::parseAddress(o.admin);
  if (!listen || !admin_addr) {
    std::cerr << fmt::format("--{}: want HOST:PORT, got \"{}\"\n", listen ? "admin" : "listen",
                             listen ? o.admin : o.listen);
    return 2;
  }
  s.listen = *listen;
  s.workers = o.workers ? o.workers : std::max(1U, std::thread::hardware_concurrency());
  s.access_log = o.access_log == "json"  ? proxy::AccessLogFormat::kJson
                 : o.access_log == "off" ? proxy::AccessLogFormat::kOff
                                         : proxy::AccessLogFormat::kText;
  s.drain_time = millis(o.drain_time);
  s.idle_timeout = millis(o.idle_timeout);
  s.request_header_timeout = millis(o.request_header_timeout);
  s.connect_timeout = millis(o.connect_timeout);
  s.max_connections = o.max_connections;
  s.retry_buffer_bytes = o.retry_buffer;
  s.mirror_shadow_suffix = o.mirror_shadow_suffix;

  core::Diagnostics problems;
  routing::MeshConfig mesh;
  if (!o.mesh_config.empty()) {
    std::ifstream in(o.mesh_config);
    if (!in) {
      std::cerr << fmt::format("{}: cannot read mesh config\n", o.mesh_config);
      return 1;
    }
    std::stringstream text;
    text << in.rdbuf();
    mesh = routing::parseMeshConfig(text.str(), o.mesh_config, problems);
    if (problems.hasErrors()) {
      for (const auto& d : problems.items()) std::cerr << d.file << ": " << d.message << "\n";
      return 1;
    }
  }

  boost::asio::io_context main;
  proxy::ProxyServer server(main, s, o.files, mesh);
  std::string error;
  if (!server.start(error)) {
    std::cerr << "meshroute run: " << error << "\n";
    return 1;
  }
  admin::AdminServer admin(server, *admin_addr);
  if (!admin.start(error)) {
    std::cerr << "meshroute run: admin: " << error << "\n";
    return 1;
  }
  std::cerr << fmt::format("meshroute run: admin on {}\n", admin.address().str());
  boost::asio::signal_set signals(main, SIGINT, SIGTERM, SIGHUP);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int sig) {
        if (ec) return;
        if (sig == SIGHUP) {
          server.reload("SIGHUP");
          signals.async_wait(on_signal);
          return;
        }
        server.shutdown([&main] { main.stop(); });
        signals.async_wait(on_signal);
      };
  signals.async_wait(on_signal);
  main.run();
  admin.stop();
  return 0;
}

}  // namespace

void addRunCommand(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "run",
      "Run the sidecar proxy: HTTP/1.1 on --listen routed by the -f configuration,\n"
      "admin API on --admin. Reloads on file change and SIGHUP; drains on SIGTERM.\n"
      "Exit codes: 0 clean shutdown, 1 invalid configuration or unusable address, 2 usage.");
  cmd->add_option("-f,--filename", o->files, "configuration files or directories (watched)")
      ->required();
  cmd->add_option("--namespace", o->ns, "the proxy's namespace")->capture_default_str();
  cmd->add_option("--labels", o->labels, "the proxy workload's labels, k=v[,k=v...]");
  cmd->add_option("--locality", o->locality,
                  "the proxy's locality REGION/ZONE/SUBZONE (locality load balancing)");
  cmd->add_option("--secrets-dir", o->secrets_dir,
                  "Kubernetes TLS secrets for DestinationRule tls.credentialName, as\n"
                  "DIR/NAMESPACE/NAME/{tls.crt,tls.key,ca.crt} (watched)");
  cmd->add_option("--dns-server", o->dns_servers,
                  "DNS servers for ServiceEntry DNS endpoints, IP[:PORT][,...] (default: the\n"
                  "system's, from /etc/resolv.conf)");
  cmd->add_option("--workload", o->workload, "workload name for metrics (default: the app label)");
  cmd->add_option("--listen", o->listen, "outbound listener HOST:PORT")->capture_default_str();
  cmd->add_option("--admin", o->admin, "admin API HOST:PORT")->capture_default_str();
  cmd->add_option("--workers", o->workers, "worker threads (default: one per core)");
  cmd->add_option("--access-log-format", o->access_log, "text (Istio's), json or off")
      ->check(CLI::IsMember({"text", "json", "off"}))
      ->capture_default_str();
  cmd->add_option("--mesh-config", o->mesh_config, "Istio MeshConfig YAML");
  cmd->add_option("--drain-time", o->drain_time, "seconds to finish requests on shutdown")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--idle-timeout", o->idle_timeout, "seconds a connection may sit idle")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--request-header-timeout", o->request_header_timeout,
                  "seconds to receive a request's headers")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--connect-timeout", o->connect_timeout,
                  "seconds to connect upstream, unless a DestinationRule sets it")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--max-connections", o->max_connections,
                  "downstream connections beyond which new ones are closed")
      ->capture_default_str();
  cmd->add_option("--retry-buffer", o->retry_buffer,
                  "request body bytes kept for retries and mirror copies; a larger body is "
                  "neither retried nor mirrored")
      ->capture_default_str();
  cmd->add_flag("--mirror-shadow-suffix", o->mirror_shadow_suffix,
                "mirror copies get Envoy's \"-shadow\" host suffix (Istio before 1.28); by "
                "default they keep the original authority");
  cmd->callback([o, &exit_code] { exit_code = run(*o); });
}

}  // namespace meshroute::cli
