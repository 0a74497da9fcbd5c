#include "runtime/config_store.h"

#include <fmt/format.h>

#include "api/loader.h"
#include "validate/validate.h"

namespace meshroute::runtime {
namespace {

std::string describe(const core::Diagnostic& d, const api::Resource* res) {
  std::string where = fmt::format("{}:{}", d.file.empty() && res ? res->file : d.file,
                                  d.mark.line ? d.mark.line : (res ? res->mark.line : 0));
  std::string who =
      res ? fmt::format(" {} {}/{}", res->kind, res->meta.namespace_, res->meta.name) : "";
  std::string field = d.field.empty() ? "" : d.field + ": ";
  return fmt::format("{}:{} {}{}", where, who, field, d.message);
}

}  // namespace

ConfigStore::ConfigStore(std::vector<std::string> paths, routing::MeshConfig mesh)
    : paths_(std::move(paths)), mesh_(std::move(mesh)) {}

std::shared_ptr<const ConfigGeneration> ConfigStore::reload() {
  api::LoadResult loaded = api::loadPaths(paths_);
  Rejection rejection{std::chrono::system_clock::now(), {}};
  auto gen = std::make_shared<ConfigGeneration>();
  for (const auto& d : loaded.diagnostics.items()) {
    if (d.level == core::Level::kError) rejection.reasons.push_back(describe(d, nullptr));
  }
  if (loaded.io_errors > 0 && rejection.reasons.empty()) {
    rejection.reasons.push_back("a configuration path cannot be read");
  }
  for (const auto& res : loaded.resources) {
    core::Diagnostics diags;
    validate::validateResource(res, diags);
    for (const auto& d : diags.items()) {
      if (d.level == core::Level::kError) {
        rejection.reasons.push_back(describe(d, &res));
      } else if (d.level == core::Level::kWarning) {
        gen->warnings.push_back(describe(d, &res));
      }
    }
  }
  if (!rejection.reasons.empty()) {
    rejection_ = std::move(rejection);
    ++rejected_;
    return nullptr;
  }
  core::Diagnostics build_diags;
  gen->snapshot = routing::Snapshot::build(std::move(loaded.resources), mesh_, build_diags);
  for (const auto& d : build_diags.items()) gen->warnings.push_back(describe(d, nullptr));
  // Certificates are read again with every configuration: a reload picks up rotated files.
  if (tls_scope_) gen->tls = TlsContextTable::build(*gen->snapshot, *tls_scope_, gen->warnings);
  gen->version = next_version_++;
  gen->loaded_at = std::chrono::system_clock::now();
  current_ = std::move(gen);
  return current_;
}

}  // namespace meshroute::runtime
