#include "routing/request.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "api/decode.h"
#include "api/yaml_reader.h"

namespace meshroute::routing {

std::string_view protocolName(Protocol p) {
  switch (p) {
    case Protocol::kHttp: return "http";
    case Protocol::kHttp2: return "http2";
    case Protocol::kGrpc: return "grpc";
    case Protocol::kTcp: return "tcp";
    case Protocol::kTls: return "tls";
  }
  return "http";
}

std::optional<std::string_view> Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < k.size() && same; ++i) {
      same = std::tolower(static_cast<unsigned char>(k[i])) ==
             std::tolower(static_cast<unsigned char>(name[i]));
    }
    if (same) return std::string_view(v);
  }
  return std::nullopt;
}

std::string_view Request::pathOnly() const {
  std::string_view p = path;
  return p.substr(0, p.find_first_of("?#"));
}

std::string_view Request::query() const {
  std::string_view p = path;
  const size_t q = p.find('?');
  if (q == std::string_view::npos) return {};
  p = p.substr(q + 1);
  return p.substr(0, p.find('#'));
}

namespace {

// Splits an authority into host and port text ("[::1]:80" -> "[::1]", "80").
std::pair<std::string_view, std::string_view> splitAuthority(std::string_view a) {
  if (!a.empty() && a[0] == '[') {
    const size_t close = a.find(']');
    if (close == std::string_view::npos) return {a, {}};
    std::string_view rest = a.substr(close + 1);
    return {a.substr(0, close + 1), rest.starts_with(':') ? rest.substr(1) : std::string_view()};
  }
  const size_t colon = a.rfind(':');
  if (colon == std::string_view::npos || a.find(':') != colon) return {a, {}};
  return {a.substr(0, colon), a.substr(colon + 1)};
}

}  // namespace

std::string Request::host() const {
  std::string out(splitAuthority(authority).first);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

uint32_t Request::authorityPort() const {
  const std::string_view p = splitAuthority(authority).second;
  uint32_t value = 0;
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
  if (ec != std::errc() || ptr != p.data() + p.size() || value > 65535) return 0;
  return value;
}

// ---- MeshConfig -------------------------------------------------------------------------------

namespace {

void readStringList(const api::Node* node, std::string_view field, std::vector<std::string>& out,
                    const std::string& file, core::Diagnostics& diags) {
  if (node == nullptr || node->isNull()) return;
  if (!node->isSequence()) {
    diags.error(file, node->mark, std::string(field), "must be a list of strings");
    return;
  }
  out.clear();
  for (const api::Node& item : node->items) {
    if (!item.isScalar()) {
      diags.error(file, item.mark, std::string(field), "must be a list of strings");
      continue;
    }
    out.emplace_back(item.text());
  }
}

// An API message under `key`, decoded as the resources' own fields are; `out` keeps its value
// when the key is absent, null or has errors (reported to `diags`).
template <class T>
void readMessage(const api::Node& root, const char* key, const std::string& file,
                 core::Diagnostics& diags, std::optional<T>& out) {
  const api::Node* n = root.find(key);
  if (n == nullptr || n->isNull()) return;
  T value;
  core::Diagnostics local;
  api::Decoder dec(file, local);
  dec.decodeMessage(*n, value, key);
  diags.append(local);
  if (!local.hasErrors()) out = std::move(value);
}

void readMesh(const api::Node& root, const std::string& file, core::Diagnostics& diags,
              MeshConfig& mesh) {
  if (!root.isMap()) {
    diags.error(file, root.mark, "", "mesh config must be a YAML object");
    return;
  }
  if (const api::Node* n = root.find("rootNamespace"); n && n->isScalar()) {
    mesh.root_namespace = std::string(n->text());
  }
  if (const api::Node* otp = root.find("outboundTrafficPolicy"); otp && otp->isMap()) {
    if (const api::Node* mode = otp->find("mode"); mode && mode->isScalar()) {
      if (mode->text() == "ALLOW_ANY") {
        mesh.outbound_allow_any = true;
      } else if (mode->text() == "REGISTRY_ONLY") {
        mesh.outbound_allow_any = false;
      } else {
        diags.error(
            file, mode->mark, "outboundTrafficPolicy.mode",
            "unknown mode \"" + std::string(mode->text()) + "\" (want ALLOW_ANY or REGISTRY_ONLY)");
      }
    }
  }
  readStringList(root.find("defaultVirtualServiceExportTo"), "defaultVirtualServiceExportTo",
                 mesh.default_virtual_service_export_to, file, diags);
  readStringList(root.find("defaultDestinationRuleExportTo"), "defaultDestinationRuleExportTo",
                 mesh.default_destination_rule_export_to, file, diags);
  readStringList(root.find("defaultServiceExportTo"), "defaultServiceExportTo",
                 mesh.default_service_export_to, file, diags);
  readMessage(root, "defaultHttpRetryPolicy", file, diags, mesh.default_http_retry_policy);
  readMessage(root, "localityLbSetting", file, diags, mesh.locality_lb_setting);
  if (const api::Node* n = root.find("dnsRefreshRate"); n && n->isScalar()) {
    const auto d = api::parseDuration(n->text());
    if (!d || d->totalNanos() < 1000000) {
      diags.error(file, n->mark, "dnsRefreshRate",
                  "\"" + std::string(n->text()) + "\" is not a duration of at least 1ms");
    } else {
      mesh.dns_refresh_rate = std::chrono::milliseconds(d->totalNanos() / 1000000);
    }
  }
}

}  // namespace

MeshConfig parseMeshConfig(std::string_view yaml, const std::string& file,
                           core::Diagnostics& diags) {
  MeshConfig mesh;
  std::vector<api::Document> docs = api::readDocuments(yaml, file, diags);
  if (docs.empty()) return mesh;
  const api::Node* root = &docs.front().root;
  if (root->isNull()) return mesh;
  // Accept the istio ConfigMap (data.mesh holds the mesh config text), an IstioOperator or Helm
  // values (meshConfig:), or the mesh config itself.
  if (const api::Node* kind = root->find("kind"); kind && kind->text() == "ConfigMap") {
    const api::Node* data = root->find("data");
    const api::Node* text = data ? data->find("mesh") : nullptr;
    if (text == nullptr || !text->isScalar()) {
      diags.error(file, root->mark, "data.mesh", "ConfigMap has no data.mesh");
      return mesh;
    }
    return parseMeshConfig(text->text(), file, diags);
  }
  if (const api::Node* spec = root->find("spec"); spec && spec->find("meshConfig")) {
    root = spec->find("meshConfig");
  } else if (const api::Node* mc = root->find("meshConfig")) {
    root = mc;
  }
  readMesh(*root, file, diags, mesh);
  return mesh;
}

}  // namespace meshroute::routing
