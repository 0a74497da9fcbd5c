// istioctl's gateway.* analyzers (pkg/config/analysis/analyzers/gateway): Gateway ports the
// gateway's Service does not expose, credentialNames whose Secret is missing or holds no valid
// certificate, Gateways that claim the same host and port on the same workloads, and
// certificates shared between Gateways.
#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analysis/analyzers/groups.h"
#include "analysis/analyzers/istio_util.h"

namespace meshroute::analysis {
namespace {

using istio::selectorMatches;

// The field of the selector's first label (util.ExtractLabelFromSelectorString).
std::string selectorField(const api::StringMap& selector) {
  return selector.empty() ? "spec.selector" : "spec.selector." + selector.begin()->first;
}

const api::Gateway* gatewayOf(const api::Resource& res) { return res.as<api::Gateway>(); }

// ---- gateway.IngressGatewayPortAnalyzer ---------------------------------------------------

// IntOrString.IntValue(): the number, or a numeric string's value, else 0.
int64_t intValue(const std::optional<api::IntOrString>& v) {
  if (!v) return 0;
  if (v->is_int) return v->int_value;
  int64_t out = 0;
  const auto* end = v->str_value.data() + v->str_value.size();
  auto [ptr, ec] = std::from_chars(v->str_value.data(), end, out);
  return ec == std::errc() && ptr == end ? out : 0;
}

void ingressGatewayPorts(Context& ctx) {
  const Store& store = ctx.store();
  for (const api::Resource* res : store.all(kinds::kGateway)) {
    const api::Gateway* gw = gatewayOf(*res);
    if (gw == nullptr) continue;
    std::map<uint32_t, bool> service_ports;
    std::map<uint32_t, uint32_t> port_mapping;  // service port -> target port
    int selected = 0;
    for (const api::Resource* pod : store.all(kinds::kPod)) {
      if (!selectorMatches(gw->selector, pod->meta.labels)) continue;
      ++selected;
      for (const api::Resource* svc_res : store.all(kinds::kService)) {
        if (svc_res->meta.namespace_ != pod->meta.namespace_) continue;
        const auto* svc = svc_res->as<api::K8sService>();
        if (svc == nullptr || !selectorMatches(svc->spec.selector, pod->meta.labels)) continue;
        for (const api::K8sServicePort& port : svc->spec.ports) {
          if (port.protocol != "TCP") continue;  // Kubernetes defaulting does not apply to files
          if (const int64_t target = intValue(port.target_port); target != 0) {
            service_ports[static_cast<uint32_t>(target)] = true;
            port_mapping.try_emplace(static_cast<uint32_t>(port.port),
                                     static_cast<uint32_t>(target));
          } else {
            service_ports[static_cast<uint32_t>(port.port)] = true;
          }
        }
      }
    }
    const std::string selector = istio::selectorString(gw->selector);
    if (selected == 0) {
      ctx.report(msg::kReferencedResourceNotFound, *res, selectorField(gw->selector),
                 {"selector", selector});
      continue;
    }
    for (const api::Server& server : gw->servers) {
      if (!server.port) continue;
      const uint32_t number = server.port->number;
      if (service_ports.contains(number) || port_mapping.contains(number)) continue;
      ctx.report(msg::kGatewayPortNotDefinedOnService, *res, selectorField(gw->selector),
                 {int64_t{number}, selector});
    }
  }
}

// ---- gateway.SecretAnalyzer ---------------------------------------------------------------

std::optional<std::string> base64Decode(std::string_view text) {
  std::string clean;
  for (char c : text) {
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') clean += c;
  }
  if (clean.size() % 4 != 0) return std::nullopt;
  std::string out(clean.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(clean.data()),
                                static_cast<int>(clean.size()));
  if (n < 0) return std::nullopt;
  size_t len = static_cast<size_t>(n);
  // EVP_DecodeBlock counts padding as data.
  if (!clean.empty() && clean.back() == '=') --len;
  if (clean.size() > 1 && clean[clean.size() - 2] == '=') --len;
  out.resize(len);
  return out;
}

// Secret.data, decoded; a value that is not base64 leaves the key out.
std::map<std::string, std::string> secretData(const api::Resource& secret) {
  std::map<std::string, std::string> out;
  if (!secret.raw) return out;
  const api::Node* data = secret.raw->find("data");
  if (data == nullptr || data->kind != api::Node::Kind::kMap) return out;
  for (const api::MapEntry& e : data->entries) {
    if (auto v = base64Decode(e.value.text())) out[e.key] = std::move(*v);
  }
  return out;
}

// Istio's ExtractCertInfo + ValidateCertificate: a certificate and key under cert/key or
// tls.crt/tls.key, the first PEM block parses as X.509 certificates, each valid at `now`.
bool validSecret(const api::Resource& secret, std::chrono::system_clock::time_point now) {
  const auto data = secretData(secret);
  auto nonEmpty = [&](const char* key) {
    auto it = data.find(key);
    return it != data.end() && !it->second.empty();
  };
  std::string cert;
  if (nonEmpty("cert") && nonEmpty("key")) {
    cert = data.at("cert");
  } else if (nonEmpty("tls.crt") && nonEmpty("tls.key")) {
    cert = data.at("tls.crt");
  } else {
    return false;
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(cert.data(), static_cast<int>(cert.size())), BIO_free);
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* der = nullptr;
  long der_len = 0;
  if (bio == nullptr || PEM_read_bio(bio.get(), &name, &header, &der, &der_len) != 1) return false;
  OPENSSL_free(name);
  OPENSSL_free(header);
  std::unique_ptr<unsigned char, void (*)(unsigned char*)> der_owner(
      der, [](unsigned char* p) { OPENSSL_free(p); });
  const time_t t = std::chrono::system_clock::to_time_t(now);
  const unsigned char* p = der;
  const unsigned char* end = der + der_len;
  int parsed = 0;
  while (p < end) {
    std::unique_ptr<X509, decltype(&X509_free)> x509(d2i_X509(nullptr, &p, end - p), X509_free);
    if (x509 == nullptr) return false;
    ++parsed;
    time_t now_t = t;
    if (X509_cmp_time(X509_get0_notAfter(x509.get()), &now_t) < 0) return false;
    if (X509_cmp_time(X509_get0_notBefore(x509.get()), &now_t) > 0) return false;
  }
  return parsed > 0;
}

void secrets(Context& ctx) {
  const Store& store = ctx.store();
  for (const api::Resource* res : store.all(kinds::kGateway)) {
    const api::Gateway* gw = gatewayOf(*res);
    if (gw == nullptr) continue;
    // Credentials are read in the namespace of the gateway workload, not the Gateway's.
    const api::Resource* workload = nullptr;
    for (const api::Resource* pod : store.all(kinds::kPod)) {
      if (selectorMatches(gw->selector, pod->meta.labels)) {
        workload = pod;
        break;
      }
    }
    if (workload == nullptr) {
      ctx.report(msg::kReferencedResourceNotFound, *res, selectorField(gw->selector),
                 {"selector", istio::selectorString(gw->selector)});
      continue;
    }
    const std::string& ns = workload->meta.namespace_;
    for (size_t i = 0; i < gw->servers.size(); ++i) {
      const auto& tls = gw->servers[i].tls;
      if (!tls || tls->credential_name.empty()) continue;
      const std::string& cn = tls->credential_name;
      const std::string field = fmt::format("spec.servers[{}].tls.credentialName", i);
      const istio::FullName name = istio::shortOrFullName(ns, cn);
      const api::Resource* secret = store.find(kinds::kSecret, name.ns, name.name);
      if (secret == nullptr) {
        ctx.report(msg::kReferencedResourceNotFound, *res, field, {"credentialName", cn});
        continue;
      }
      if (!validSecret(*secret, ctx.now())) {
        ctx.report(msg::kInvalidGatewayCredential, *res, field, {res->meta.name, ns});
      }
    }
  }
}

// ---- gateway.ConflictingGatewayAnalyzer ---------------------------------------------------

using HostsBind = std::map<std::string, std::string>;     // host -> bind
using GatewaysBind = std::map<std::string, HostsBind>;    // gateway "ns/name" -> hosts
using ConflictMap = std::map<std::string, GatewaysBind>;  // "selector~port" -> gateways

api::StringMap parseSelector(std::string_view text) {
  api::StringMap out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view pair = text.substr(start, end - start);
    if (const size_t eq = pair.find('=');
        eq != std::string_view::npos && pair.find('=', eq + 1) == std::string_view::npos) {
      out[std::string(pair.substr(0, eq))] = std::string(pair.substr(eq + 1));
    }
    start = end + 1;
  }
  return out;
}

// model.CheckDuplicates, including its side effect: without a duplicate, the server's hosts
// join the known hosts, which Istio's analyzer shares between the Gateways it compares.
bool conflicts(const api::Server& server, HostsBind& known) {
  bool duplicate = false;
  for (const std::string& h : server.hosts) {
    auto it = known.find(h);
    if (it != known.end() && it->second == server.bind) duplicate = true;
  }
  if (!duplicate) {
    for (const std::string& h : server.hosts) known[h] = server.bind;
  }
  return duplicate;
}

std::string portText(const api::Server& s) { return std::to_string(s.port ? s.port->number : 0); }

void conflictingGateways(Context& ctx) {
  const Store& store = ctx.store();
  ConflictMap map;
  for (const api::Resource* res : store.all(kinds::kGateway)) {
    const api::Gateway* gw = gatewayOf(*res);
    if (gw == nullptr) continue;
    const std::string selector = istio::selectorString(gw->selector);
    const std::string name = istio::FullName{res->meta.namespace_, res->meta.name}.str();
    for (const api::Server& server : gw->servers) {
      HostsBind hb;
      for (const std::string& h : server.hosts) hb[h] = server.bind;
      map[selector + "~" + portText(server)][name] = std::move(hb);
    }
  }
  for (const api::Resource* res : store.all(kinds::kGateway)) {
    const api::Gateway* gw = gatewayOf(*res);
    if (gw == nullptr) continue;
    const std::string name = istio::FullName{res->meta.namespace_, res->meta.name}.str();
    const std::string selector = istio::selectorString(gw->selector);
    std::vector<std::string> same;  // keys of the map whose selector selects the same pods
    for (const auto& [key, _] : map) {
      const std::string other = key.substr(0, key.find('~'));
      bool matched = other == selector;
      if (!matched && (other.find(selector) != std::string::npos ||
                       selector.find(other) != std::string::npos)) {
        const api::StringMap other_selector = parseSelector(other);
        for (const api::Resource* pod : store.all(kinds::kPod)) {
          if (selectorMatches(gw->selector, pod->meta.labels) &&
              selectorMatches(other_selector, pod->meta.labels)) {
            matched = true;
            break;
          }
        }
      }
      if (matched) same.push_back(key);
    }
    if (!selector.empty() && same.empty()) {
      ctx.report(msg::kReferencedResourceNotFound, *res, selectorField(gw->selector),
                 {"selector", selector});
      continue;
    }
    for (const api::Server& server : gw->servers) {
      const std::string port = portText(server);
      std::vector<std::string> gateways;
      for (const std::string& key : same) {
        if (key.substr(key.find('~') + 1) != port) continue;
        for (auto& [other_name, hosts] : map[key]) {
          if (other_name != name && conflicts(server, hosts)) gateways.push_back(other_name);
        }
      }
      if (gateways.empty()) continue;
      std::sort(gateways.begin(), gateways.end());
      std::string list;
      for (const std::string& g : gateways) list += (list.empty() ? "" : ",") + g;
      std::string hosts;
      for (const std::string& h : server.hosts) hosts += (hosts.empty() ? "" : ",") + h;
      ctx.report(msg::kConflictingGateways, *res, "", {list, selector, port, hosts});
    }
  }
}

// ---- gateway.CertificateAnalyzer ----------------------------------------------------------

bool sameCertificate(const api::ServerTLSSettings& a, const api::ServerTLSSettings& b) {
  if (!a.credential_name.empty() && !b.credential_name.empty()) {
    return a.credential_name == b.credential_name;
  }
  if (a.credential_name.empty() && b.credential_name.empty() && !a.server_certificate.empty() &&
      !b.server_certificate.empty() && a.server_certificate == b.server_certificate) {
    return !a.private_key.empty() && !b.private_key.empty() && a.private_key == b.private_key;
  }
  return false;
}

// Every label of `x` appears in `y` with the same value.
bool selectorSubset(const api::StringMap& x, const api::StringMap& y) {
  return std::all_of(x.begin(), x.end(), [&](const auto& kv) {
    auto it = y.find(kv.first);
    return it != y.end() && it->second == kv.second;
  });
}

void certificates(Context& ctx) {
  // PILOT_SCOPE_GATEWAY_TO_NAMESPACE defaults to false: Gateways in every namespace compare.
  const auto& all = ctx.store().all(kinds::kGateway);
  for (const api::Resource* res : all) {
    const api::Gateway* gw = gatewayOf(*res);
    if (gw == nullptr) continue;
    const std::string name = istio::FullName{res->meta.namespace_, res->meta.name}.str();
    for (const api::Resource* other_res : all) {
      const api::Gateway* other = gatewayOf(*other_res);
      if (other == nullptr || other_res == res) continue;
      if (!gw->selector.empty() && !selectorSubset(gw->selector, other->selector)) continue;
      const std::string other_name =
          istio::FullName{other_res->meta.namespace_, other_res->meta.name}.str();
      for (const api::Server& mine : gw->servers) {
        for (const api::Server& theirs : other->servers) {
          if (!mine.tls || !theirs.tls || !sameCertificate(*mine.tls, *theirs.tls)) continue;
          ctx.report(msg::kGatewayDuplicateCertificate, *res, "metadata.name",
                     {goList({name, other_name})});
        }
      }
    }
  }
}

}  // namespace

void addGatewayAnalyzers(std::vector<Analyzer>& out) {
  out.push_back({"gateway.IngressGatewayPortAnalyzer",
                 "Checks a gateway's ports against the gateway's Kubernetes service ports",
                 ingressGatewayPorts});
  out.push_back({"gateway.CertificateAnalyzer", "Checks a gateway certificate", certificates});
  out.push_back(
      {"gateway.SecretAnalyzer", "Checks a gateway's referenced secrets for correctness", secrets});
  out.push_back({"gateway.ConflictingGatewayAnalyzer",
                 "Checks a gateway's selector, port number and hosts", conflictingGateways});
}

}  // namespace meshroute::analysis
