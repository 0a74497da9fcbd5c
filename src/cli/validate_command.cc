#include "cli/validate_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "api/loader.h"
#include "cli/output.h"
#include "validate/validate.h"

namespace meshroute::cli {
namespace {

struct Options {
  std::vector<std::string> files;
  std::string output = "text";
  bool quiet = false;
};

struct ResourceVerdict {
  const api::Resource* res;
  core::Diagnostics diags;
  validate::Verdict verdict;
};

nlohmann::json findingJson(const core::Diagnostic& d) {
  return {
      {"field", d.field}, {"line", d.mark.line}, {"column", d.mark.column}, {"message", d.message}};
}

int run(const Options& opts) {
  api::LoadResult loaded = api::loadPaths(opts.files);
  std::vector<ResourceVerdict> verdicts;
  verdicts.reserve(loaded.resources.size());
  for (const auto& res : loaded.resources) {
    if (!res.isIstio()) continue;  // Kubernetes kinds are inputs to other commands, not checked
    ResourceVerdict v{&res, {}, validate::Verdict::kValid};
    validate::validateResource(res, v.diags);
    v.verdict = validate::verdictOf(v.diags);
    verdicts.push_back(std::move(v));
  }
  bool file_errors = loaded.diagnostics.hasErrors();
  bool invalid = file_errors;
  for (const auto& v : verdicts) invalid = invalid || v.verdict == validate::Verdict::kInvalid;
  int code = invalid ? 1 : 0;
  if (loaded.io_errors > 0) code = 2;  // a path that does not exist or cannot be read

  if (opts.output == "json") {
    nlohmann::json out;
    out["resources"] = nlohmann::json::array();
    for (const auto& v : verdicts) {
      nlohmann::json r;
      r["kind"] = v.res->kind;
      r["apiVersion"] = v.res->api_version;
      r["namespace"] = v.res->meta.namespace_;
      r["name"] = v.res->meta.name;
      r["file"] = v.res->file;
      r["line"] = v.res->mark.line;
      r["status"] = std::string(validate::verdictName(v.verdict));
      r["errors"] = nlohmann::json::array();
      r["warnings"] = nlohmann::json::array();
      for (const auto& d : v.diags.items()) {
        r[d.level == core::Level::kError ? "errors" : "warnings"].push_back(findingJson(d));
      }
      out["resources"].push_back(std::move(r));
    }
    out["errors"] = nlohmann::json::array();
    out["notes"] = nlohmann::json::array();
    for (const auto& d : loaded.diagnostics.items()) {
      nlohmann::json j = findingJson(d);
      j["file"] = d.file;
      out[d.level == core::Level::kError ? "errors" : "notes"].push_back(std::move(j));
    }
    size_t counts[3] = {0, 0, 0};
    for (const auto& v : verdicts) ++counts[static_cast<int>(v.verdict)];
    out["summary"] = {{"valid", counts[0]},
                      {"warning", counts[1]},
                      {"invalid", counts[2]},
                      {"file_errors", loaded.diagnostics.hasErrors() ? 1 : 0}};
    std::cout << out.dump(2) << "\n";
    return code;
  }

  for (const auto& d : loaded.diagnostics.items()) {
    if (d.level == core::Level::kInfo && opts.quiet) continue;
    std::cout << formatFinding(d, "") << "\n";
  }
  size_t counts[3] = {0, 0, 0};
  for (const auto& v : verdicts) {
    ++counts[static_cast<int>(v.verdict)];
    std::string subject =
        fmt::format("{} {}/{}", v.res->kind, v.res->meta.namespace_, v.res->meta.name);
    // Sorted by position so a file reads top to bottom; errors first on the same spot.
    std::vector<const core::Diagnostic*> sorted;
    for (const auto& d : v.diags.items()) sorted.push_back(&d);
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
      if (a->mark.line != b->mark.line) return a->mark.line < b->mark.line;
      if (a->mark.column != b->mark.column) return a->mark.column < b->mark.column;
      return a->level > b->level;
    });
    for (const auto* d : sorted) std::cout << formatFinding(*d, subject) << "\n";
  }
  if (!opts.quiet) {
    std::cout << fmt::format("{} resource{}: {} valid, {} valid with warnings, {} invalid\n",
                             verdicts.size(), verdicts.size() == 1 ? "" : "s", counts[0], counts[1],
                             counts[2]);
  }
  return code;
}

}  // namespace

void addValidateCommand(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "validate",
      "Check Istio networking resources as Istio's admission webhook would.\n"
      "Exit codes: 0 all valid (warnings allowed), 1 any invalid, 2 usage or I/O error.");
  cmd->add_option("-f,--filename", opts->files,
                  "File, directory (recursive: .yaml, .yml, .json) or - for stdin")
      ->required();
  cmd->add_option("-o,--output", opts->output, "Output format: text or json")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_flag("-q,--quiet", opts->quiet, "Print findings only, no notes or summary");
  cmd->callback([opts, &exit_code] { exit_code = run(*opts); });
}

}  // namespace meshroute::cli
