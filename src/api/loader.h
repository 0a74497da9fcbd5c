// Loads resources from files, directories, stdin and in-memory text, as `kubectl apply -f`
// would read them: multi-document YAML, JSON, `kind: List`, directories recursively (.yaml,
// .yml, .json). Kinds meshroute does not know are skipped with an info note.
//
//   LoadResult r = loadPaths({"manifests/"});
//   for (const Resource& res : r.resources) ...
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/resource.h"
#include "api/yaml_reader.h"
#include "core/diagnostic.h"

namespace meshroute::api {

struct LoadResult {
  std::vector<Resource> resources;
  // Problems not tied to one resource: unreadable files, YAML syntax, documents with no kind,
  // and info notes for skipped kinds.
  core::Diagnostics diagnostics;
  size_t files_read = 0;
  size_t io_errors = 0;  // paths that do not exist or cannot be read
};

struct LoadOptions {
  ReaderLimits limits;
  std::string default_namespace = "default";
  // Keep each document's tree in Resource::raw.
  bool keep_raw = false;
  // Record documents of kinds meshroute does not decode as resources with an empty spec (and
  // their raw tree) instead of skipping them with an info note.
  bool keep_unknown_kinds = false;
  // Namespaces whose resources are dropped when loaded (istioctl analyze drops kube-system and
  // friends).
  std::vector<std::string> dropped_namespaces;
};

// `paths` are files or directories; "-" reads standard input.
LoadResult loadPaths(const std::vector<std::string>& paths, const LoadOptions& options = {});
// Loads `text` as if read from `file` (used for stdin, tests and fuzzing).
void loadText(std::string_view text, const std::string& file, LoadResult& out,
              const LoadOptions& options = {});

// Loads one already-parsed document (a single object or a List).
void loadDocument(const Node& root, const std::string& file, LoadResult& out,
                  const LoadOptions& options = {});

// The kinds meshroute decodes, as "group/Kind" (group empty for core Kubernetes kinds).
std::vector<std::string> knownKinds();

}  // namespace meshroute::api
