// How `meshroute analyze` reads its input, the way istioctl analyze does for files: lenient
// (unknown kinds kept for analyzers that read them, documents' trees kept for positions),
// system namespaces dropped, Istio's implicit ingress gateway Pod and Service added.
#pragma once

#include <string>
#include <vector>

#include "analysis/analyzer.h"
#include "api/loader.h"

namespace meshroute::analysis {

// Loader options for analysis; resources without a namespace get `default_namespace`
// (istioctl uses the current namespace, "default"; Istio's analyzer tests use "").
api::LoadOptions loadOptions(std::string default_namespace);

// istioctl adds a Pod "istio-ingressgateway-dummypod" and a Service "istio-ingressgateway" in
// the Istio namespace when it analyzes files only, unless ingressControllerMode is OFF.
void addDefaultResources(const MeshSettings& mesh, std::vector<api::Resource>& resources);

// Reads a MeshConfig file (YAML); problems go to `diagnostics`.
MeshSettings loadMeshSettings(const std::string& path, core::Diagnostics& diagnostics);

}  // namespace meshroute::analysis
