#include "analysis/input.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "api/yaml_reader.h"

namespace meshroute::analysis {

api::LoadOptions loadOptions(std::string default_namespace) {
  api::LoadOptions o;
  o.default_namespace = std::move(default_namespace);
  o.keep_raw = true;
  o.keep_unknown_kinds = true;
  o.dropped_namespaces = {"kube-system", "kube-public", "kube-node-lease", "local-path-storage"};
  return o;
}

void addDefaultResources(const MeshSettings& mesh, std::vector<api::Resource>& resources) {
  if (mesh.ingress_controller_off) return;
  // The same objects istioctl's defaults hold, written out here for its namespace.
  std::string text = fmt::format(R"(apiVersion: v1
kind: Pod
metadata:
  name: istio-ingressgateway-dummypod
  namespace: {0}
  labels:
    istio: ingressgateway
spec:
  containers:
  - name: istio-proxy
---
apiVersion: v1
kind: Service
metadata:
  name: istio-ingressgateway
  namespace: {0}
spec:
  selector:
    istio: ingressgateway
  ports:
  - {{name: http2, port: 80, targetPort: 80, nodePort: 31380, protocol: TCP}}
  - {{name: https, port: 443, targetPort: 443, nodePort: 31390, protocol: TCP}}
  - {{name: tcp, port: 31400, targetPort: 31400, nodePort: 31400, protocol: TCP}}
  - {{name: tls, port: 15443, targetPort: 15443, nodePort: 31447, protocol: TCP}}
)",
                                 mesh.istio_namespace);
  api::LoadResult loaded;
  api::loadText(text, "", loaded, loadOptions(""));
  for (auto& r : loaded.resources) resources.push_back(std::move(r));
}

MeshSettings loadMeshSettings(const std::string& path, core::Diagnostics& diagnostics) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diagnostics.error(path, {}, "", "cannot read mesh config");
    return MeshSettings::from({});
  }
  std::stringstream text;
  text << in.rdbuf();
  api::Node root;
  bool first = true;
  api::forEachDocument(text.str(), path, diagnostics, {}, [&](api::Document&& doc) {
    if (first) root = std::move(doc.root);
    first = false;
  });
  if (!root.isNull() && !root.isMap()) {
    diagnostics.error(path, root.mark, "", "mesh config must be a YAML map");
    return MeshSettings::from({});
  }
  return MeshSettings::from(std::move(root));
}

}  // namespace meshroute::analysis
