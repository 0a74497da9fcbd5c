#include "api/loader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "api/decode.h"

namespace meshroute::api {
namespace {

namespace fs = std::filesystem;

using DecodeFn = void (*)(const Node& root, const Node* spec, Resource& res);

struct KindInfo {
  std::string_view group;
  std::string_view kind;
  std::vector<std::string_view> versions;
  bool istio;
  DecodeFn decode;
  bool spec_required = false;  // the CRD lists spec as required
};

template <class T>
void decodeIstioSpec(const Node&, const Node* spec, Resource& res) {
  T& out = res.emplaceSpec<T>();
  if (spec == nullptr || spec->isNull()) return;
  Decoder dec(res.file, res.decode_diagnostics);
  dec.decodeMessage(*spec, out, "spec");
}

template <class T>
void decodeKubeObject(const Node& root, const Node*, Resource& res) {
  T& out = res.emplaceSpec<T>();
  Decoder dec(res.file, res.decode_diagnostics);
  dec.decodeMessage(root, out, "");
}

const std::vector<KindInfo>& kinds() {
  static const std::vector<std::string_view> kIstioVersions = {"v1alpha3", "v1beta1", "v1"};
  static const std::vector<KindInfo> table = {
      {"networking.istio.io", "VirtualService", kIstioVersions, true,
       decodeIstioSpec<VirtualService>},
      {"networking.istio.io", "DestinationRule", kIstioVersions, true,
       decodeIstioSpec<DestinationRule>},
      {"networking.istio.io", "Gateway", kIstioVersions, true, decodeIstioSpec<Gateway>},
      {"networking.istio.io", "ServiceEntry", kIstioVersions, true, decodeIstioSpec<ServiceEntry>,
       true},
      {"networking.istio.io", "Sidecar", kIstioVersions, true, decodeIstioSpec<Sidecar>},
      {"networking.istio.io", "WorkloadEntry", kIstioVersions, true, decodeIstioSpec<WorkloadEntry>,
       true},
      {"networking.istio.io", "WorkloadGroup", kIstioVersions, true, decodeIstioSpec<WorkloadGroup>,
       true},
      {"", "Namespace", {"v1"}, false, decodeKubeObject<K8sNamespace>},
      {"", "Node", {"v1"}, false, decodeKubeObject<K8sNode>},
      {"", "Service", {"v1"}, false, decodeKubeObject<K8sService>},
      {"", "Pod", {"v1"}, false, decodeKubeObject<K8sPod>},
      {"", "Endpoints", {"v1"}, false, decodeKubeObject<K8sEndpoints>},
      {"apps", "Deployment", {"v1"}, false, decodeKubeObject<K8sDeployment>},
      {"discovery.k8s.io", "EndpointSlice", {"v1"}, false, decodeKubeObject<K8sEndpointSlice>},
  };
  return table;
}

bool isDropped(const std::string& ns, const LoadOptions& options) {
  return !ns.empty() &&
         std::find(options.dropped_namespaces.begin(), options.dropped_namespaces.end(), ns) !=
             options.dropped_namespaces.end();
}

std::string scalarOf(const Node* n) { return n != nullptr && n->isScalar() ? n->scalar : ""; }

void loadObject(const Node& root, const std::string& file, LoadResult& out,
                const LoadOptions& options, int list_depth);

void loadList(const Node& root, const std::string& file, LoadResult& out,
              const LoadOptions& options, int list_depth) {
  const Node* items = root.find("items");
  if (items == nullptr || items->isNull()) return;
  if (!items->isSequence()) {
    out.diagnostics.error(file, items->mark, "items", "List items must be an array");
    return;
  }
  for (const Node& item : items->items) loadObject(item, file, out, options, list_depth + 1);
}

void loadObject(const Node& root, const std::string& file, LoadResult& out,
                const LoadOptions& options, int list_depth) {
  if (root.isNull()) return;  // empty documents are skipped, as kubectl does
  if (!root.isMap()) {
    out.diagnostics.error(
        file, root.mark, "",
        fmt::format("document is {}, not an object with apiVersion and kind", nodeKindName(root)));
    return;
  }
  std::string api_version = scalarOf(root.find("apiVersion"));
  std::string kind = scalarOf(root.find("kind"));
  if (kind.empty() || api_version.empty()) {
    out.diagnostics.error(file, root.mark, "",
                          kind.empty() ? "document has no kind" : "document has no apiVersion");
    return;
  }
  if ((kind == "List" || kind.ends_with("List")) && api_version == "v1") {
    if (list_depth > 4) {
      out.diagnostics.error(file, root.mark, "", "List nested too deeply");
      return;
    }
    loadList(root, file, out, options, list_depth);
    return;
  }
  std::string group;
  std::string version = api_version;
  if (auto slash = api_version.find('/'); slash != std::string::npos) {
    group = api_version.substr(0, slash);
    version = api_version.substr(slash + 1);
  }
  const KindInfo* info = nullptr;
  for (const auto& k : kinds()) {
    if (k.group == group && k.kind == kind) info = &k;
  }
  // What every resource records about where it came from.
  auto start = [&] {
    Resource res;
    res.api_version = api_version;
    res.group = group;
    res.version = version;
    res.kind = kind;
    res.file = file;
    res.mark = root.mark;
    return res;
  };
  if (info == nullptr && options.keep_unknown_kinds) {
    Resource res = start();
    core::Diagnostics ignored;
    Decoder dec(file, ignored);
    if (const Node* meta = root.find("metadata"); meta != nullptr && meta->isMap()) {
      dec.decodeMessage(*meta, res.meta, "metadata");
    }
    if (res.meta.namespace_.empty()) res.meta.namespace_ = options.default_namespace;
    if (group.empty() && kind == "Node") res.meta.namespace_.clear();  // cluster-scoped
    if (isDropped(res.meta.namespace_, options)) return;
    res.raw = std::make_shared<const Node>(root);
    out.resources.push_back(std::move(res));
    return;
  }
  if (info == nullptr) {
    out.diagnostics.add(
        {core::Level::kInfo, file, root.mark, "",
         fmt::format("skipped {} {}: not a kind meshroute reads", api_version, kind)});
    return;
  }
  if (std::find(info->versions.begin(), info->versions.end(), version) == info->versions.end()) {
    out.diagnostics.error(
        file, root.find("apiVersion")->mark, "apiVersion",
        fmt::format("no matches for kind \"{}\" in version \"{}\"", kind, api_version));
    return;
  }

  Resource res = start();
  Decoder dec(file, res.decode_diagnostics);
  if (const Node* meta = root.find("metadata"); meta != nullptr && !meta->isNull()) {
    dec.decodeMessage(*meta, res.meta, "metadata");
  }
  if (res.meta.namespace_.empty()) res.meta.namespace_ = options.default_namespace;
  if (group.empty() && (kind == "Namespace" || kind == "Node")) {
    res.meta.namespace_.clear();  // cluster-scoped
  }
  if (isDropped(res.meta.namespace_, options)) return;
  if (options.keep_raw) res.raw = std::make_shared<const Node>(root);
  if (info->istio) {
    for (const auto& e : root.entries) {
      if (e.key != "apiVersion" && e.key != "kind" && e.key != "metadata" && e.key != "spec" &&
          e.key != "status") {
        dec.error(e.key_mark, e.key, fmt::format("unknown field \"{}\"", e.key));
      }
    }
  }
  const Node* spec = root.find("spec");
  if (info->spec_required && (spec == nullptr || spec->isNull())) {
    dec.error(root.mark, "spec", "Required value");
  }
  info->decode(root, spec, res);
  out.resources.push_back(std::move(res));
}

bool isConfigFile(const fs::path& p) {
  auto ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

void loadFile(const std::string& path, LoadResult& out, const LoadOptions& options) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (!ec && size > options.limits.max_file_bytes) {
    out.diagnostics.error(path, {}, "",
                          fmt::format("file is {} bytes, over the {}-byte limit", size,
                                      options.limits.max_file_bytes));
    return;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    out.diagnostics.error(path, {}, "", "cannot read file");
    ++out.io_errors;
    return;
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ++out.files_read;
  loadText(text, path, out, options);
}

}  // namespace

void loadDocument(const Node& root, const std::string& file, LoadResult& out,
                  const LoadOptions& options) {
  loadObject(root, file, out, options, 0);
}

void loadText(std::string_view text, const std::string& file, LoadResult& out,
              const LoadOptions& options) {
  forEachDocument(text, file, out.diagnostics, options.limits,
                  [&](Document&& doc) { loadObject(doc.root, file, out, options, 0); });
}

LoadResult loadPaths(const std::vector<std::string>& paths, const LoadOptions& options) {
  LoadResult out;
  for (const auto& path : paths) {
    if (path == "-") {
      std::string text;
      char buf[65536];
      while (std::cin.read(buf, sizeof buf) || std::cin.gcount() > 0) {
        text.append(buf, static_cast<size_t>(std::cin.gcount()));
        if (text.size() > options.limits.max_file_bytes) break;
      }
      ++out.files_read;
      loadText(text, "<stdin>", out, options);
      continue;
    }
    std::error_code ec;
    auto status = fs::status(path, ec);
    if (ec || !fs::exists(status)) {
      out.diagnostics.error(path, {}, "", "no such file or directory");
      ++out.io_errors;
      continue;
    }
    if (fs::is_directory(status)) {
      std::vector<std::string> files;
      for (auto it = fs::recursive_directory_iterator(
               path, fs::directory_options::skip_permission_denied, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file() && isConfigFile(it->path())) files.push_back(it->path().string());
      }
      std::sort(files.begin(), files.end());
      for (const auto& f : files) loadFile(f, out, options);
    } else {
      loadFile(path, out, options);
    }
  }
  return out;
}

std::vector<std::string> knownKinds() {
  std::vector<std::string> names;
  for (const auto& k : kinds()) {
    names.push_back(k.group.empty() ? std::string(k.kind) : fmt::format("{}/{}", k.group, k.kind));
  }
  return names;
}

}  // namespace meshroute::api
