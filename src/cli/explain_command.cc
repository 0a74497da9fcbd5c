#include "cli/explain_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "api/loader.h"
#include "cli/explain_output.h"
#include "cli/output.h"
#include "routing/snapshot.h"
#include "validate/validate.h"

namespace meshroute::cli {
namespace {

struct Options {
  std::vector<std::string> files;
  std::string ns = "default";
  std::string labels;
  std::string locality;
  bool router = false;
  std::string gateway;
  uint32_t port = 0;
  std::string source_namespace;
  std::string source_labels;
  std::string source_ip;
  std::string address;
  std::string protocol = "http";
  bool tls = false;
  std::string sni;
  bool inbound = false;
  std::string proxy_ip;
  std::string mesh_config;
  std::string cluster_domain = "cluster.local";
  std::vector<std::string> request;  // 'METHOD URL' or METHOD URL or URL
  std::vector<std::string> headers;
  std::string output = "text";
};

struct UsageError {
  std::string message;
};

routing::StringMap parseLabels(const std::string& text, const char* flag) {
  routing::StringMap out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw UsageError{fmt::format("{}: want k=v[,k=v...], got \"{}\"", flag, item)};
    }
    out[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return out;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Splits "http://host:port/path?q" into scheme, authority and path.
void parseUrl(const std::string& url, routing::Request& req) {
  std::string rest = url;
  auto sep = rest.find("://");
  if (sep != std::string::npos) {
    req.scheme = lower(rest.substr(0, sep));
    rest = rest.substr(sep + 3);
  }
  auto slash = rest.find_first_of("/?");
  req.authority = rest.substr(0, slash);
  req.path = slash == std::string::npos ? "/" : rest.substr(slash);
  if (!req.path.empty() && req.path[0] == '?') req.path = "/" + req.path;
  if (req.authority.empty()) throw UsageError{fmt::format("no host in URL \"{}\"", url)};
}

routing::Request buildRequest(const Options& o) {
  routing::Request req;
  std::vector<std::string> words;
  for (const auto& part : o.request) {
    std::stringstream ss(part);
    std::string w;
    while (ss >> w) words.push_back(w);
  }
  if (words.empty() || words.size() > 2) {
    throw UsageError{"want one request: 'METHOD URL' or URL (e.g. 'GET http://reviews:9080/')"};
  }
  bool looks_like_method = std::all_of(words.back().begin(), words.back().end(),
                                       [](char c) { return c >= 'A' && c <= 'Z'; });
  if (words.size() == 1 && looks_like_method) {
    throw UsageError{fmt::format("\"{}\" has no URL: want 'METHOD URL' or URL", words[0])};
  }
  if (words.size() == 2) {
    req.method = words[0];
    for (auto& c : req.method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  parseUrl(words.back(), req);
  for (const auto& h : o.headers) {
    auto colon = h.find(':', h.starts_with(":") ? 1 : 0);
    if (colon == std::string::npos || colon == 0) {
      throw UsageError{fmt::format("-H: want 'name: value', got \"{}\"", h)};
    }
    std::string value = h.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    req.headers.emplace_back(lower(h.substr(0, colon)), value);
  }
  if (o.protocol == "http")
    req.protocol = routing::Protocol::kHttp;
  else if (o.protocol == "http2")
    req.protocol = routing::Protocol::kHttp2;
  else if (o.protocol == "grpc")
    req.protocol = routing::Protocol::kGrpc;
  else if (o.protocol == "tcp")
    req.protocol = routing::Protocol::kTcp;
  else if (o.protocol == "tls")
    req.protocol = routing::Protocol::kTls;
  req.port = o.port != 0 ? o.port : req.authorityPort();
  if (req.port == 0) req.port = req.scheme == "https" ? 443 : 80;
  req.source_ns = o.source_namespace;
  req.source_labels = parseLabels(o.source_labels, "--source-labels");
  req.source_ip = o.source_ip;
  req.destination_address = o.address;
  req.tls = o.tls || !o.sni.empty() || req.protocol == routing::Protocol::kTls;
  req.sni = o.sni.empty() && req.tls ? req.host() : o.sni;
  req.inbound = o.inbound;
  return req;
}

int run(const Options& o) {
  core::Diagnostics problems;
  routing::MeshConfig mesh;
  if (!o.mesh_config.empty()) {
    std::ifstream in(o.mesh_config);
    if (!in) {
      std::cerr << fmt::format("{}: cannot read mesh config\n", o.mesh_config);
      return 2;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    mesh = routing::parseMeshConfig(ss.str(), o.mesh_config, problems);
  }
  mesh.cluster_domain = o.cluster_domain;
  api::LoadOptions load_options;
  api::LoadResult loaded = api::loadPaths(o.files, load_options);
  if (loaded.diagnostics.hasErrors() || problems.hasErrors()) {
    for (const auto& d : loaded.diagnostics.items()) {
      if (d.level == core::Level::kError) std::cerr << formatFinding(d, "") << "\n";
    }
    for (const auto& d : problems.items()) std::cerr << formatFinding(d, "") << "\n";
    return 2;
  }
  // A resource Istio's admission would reject never reaches the proxies: leave it out, say so.
  std::vector<api::Resource> accepted;
  std::vector<std::string> rejected;
  for (auto& res : loaded.resources) {
    core::Diagnostics diags;
    validate::validateResource(res, diags);
    if (diags.hasErrors()) {
      const auto& first =
          *std::find_if(diags.items().begin(), diags.items().end(),
                        [](const auto& d) { return d.level == core::Level::kError; });
      rejected.push_back(fmt::format("{} {}/{} ({}:{}) is invalid and ignored: {}: {}", res.kind,
                                     res.meta.namespace_, res.meta.name, res.file, res.mark.line,
                                     first.field, first.message));
      continue;
    }
    accepted.push_back(std::move(res));
  }

  routing::Proxy proxy;
  proxy.ns = o.ns;
  proxy.labels = parseLabels(o.labels, "--labels");
  proxy.ip = o.proxy_ip;
  proxy.locality = o.locality;
  if (o.router || !o.gateway.empty()) proxy.type = routing::ProxyType::kRouter;
  if (!o.gateway.empty()) {
    auto slash = o.gateway.find('/');
    if (slash == std::string::npos) throw UsageError{"--gateway: want NAMESPACE/NAME"};
    std::string gw_ns = o.gateway.substr(0, slash);
    std::string gw_name = o.gateway.substr(slash + 1);
    const api::Gateway* gw = nullptr;
    for (const auto& res : accepted) {
      if (res.kind == "Gateway" && res.meta.namespace_ == gw_ns && res.meta.name == gw_name) {
        gw = res.as<api::Gateway>();
      }
    }
    if (gw == nullptr) {
      std::cerr << fmt::format("--gateway: no valid Gateway {} in the input\n", o.gateway);
      return 2;
    }
    for (const auto& [k, v] : gw->selector) proxy.labels[k] = v;
    if (o.ns == "default") proxy.ns = gw_ns;
  }
  routing::Request request = buildRequest(o);
  auto snapshot = routing::Snapshot::build(std::move(accepted), mesh, problems);
  for (const auto& d : problems.items()) rejected.push_back(d.message);
  routing::Decision decision = snapshot->decide(proxy, request);

  ExplainInput input{proxy, request, decision, rejected, *snapshot};
  if (o.output == "json") {
    std::cout << explainJson(input).dump(2) << "\n";
  } else {
    std::cout << explainText(input);
  }
  return explainExitCode(decision);
}

}  // namespace

void addExplainCommand(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "explain",
      "Dry run: which route a request takes through the given Istio config, why earlier routes\n"
      "did not match, the destinations with their probabilities, endpoints and policy.\n"
      "Exit codes: 0 routed or answered, 1 no route or error response, 2 usage or config error.");
  // One value per -f/-H so that the request positional is never swallowed by them.
  cmd->add_option("-f,--filename", o->files, "Config file, directory or - for stdin (repeatable)")
      ->required()
      ->allow_extra_args(false);
  cmd->add_option("request", o->request, "'METHOD URL' or URL, e.g. 'GET http://reviews:9080/'")
      ->required()
      ->expected(1, 2);
  cmd->add_option("-H,--header", o->headers, "Request header 'name: value' (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--namespace", o->ns, "Namespace of the proxy (default: default)");
  cmd->add_option("--labels", o->labels, "Labels of the proxy's workload, k=v,...");
  cmd->add_option("--locality", o->locality,
                  "The proxy's locality REGION/ZONE/SUBZONE (locality load balancing)");
  cmd->add_flag("--router", o->router, "The proxy is a gateway (Istio router) workload");
  cmd->add_option("--gateway", o->gateway, "NS/NAME: a router with that Gateway's selector labels");
  cmd->add_option("--port", o->port, "Listener port (default: from the URL, else 80/443)");
  cmd->add_option("--source-namespace", o->source_namespace, "Namespace of the caller");
  cmd->add_option("--source-labels", o->source_labels, "Labels of the caller, k=v,...");
  cmd->add_option("--source-ip", o->source_ip, "Address of the caller");
  cmd->add_option("--address", o->address, "Original destination IP (ServiceEntry addresses)");
  cmd->add_option("--protocol", o->protocol, "http, http2, grpc, tcp or tls")
      ->check(CLI::IsMember({"http", "http2", "grpc", "tcp", "tls"}));
  cmd->add_flag("--tls", o->tls, "The connection starts with a TLS client hello");
  cmd->add_option("--sni", o->sni, "SNI of the TLS client hello");
  cmd->add_flag("--inbound", o->inbound, "Traffic arriving at the sidecar's own workload");
  cmd->add_option("--proxy-ip", o->proxy_ip, "The proxy's own address");
  cmd->add_option("--mesh-config", o->mesh_config,
                  "Istio MeshConfig YAML (outboundTrafficPolicy, rootNamespace, ...)");
  cmd->add_option("--cluster-domain", o->cluster_domain, "Kubernetes cluster domain");
  cmd->add_option("-o,--output", o->output, "text or json")->check(CLI::IsMember({"text", "json"}));
  cmd->callback([o, &exit_code] {
    try {
      exit_code = run(*o);
    } catch (const UsageError& e) {
      std::cerr << "meshroute explain: " << e.message << "\n";
      exit_code = 2;
    }
  });
}

}  // namespace meshroute::cli
