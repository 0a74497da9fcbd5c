#include "cli/analyze_command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "analysis/input.h"
#include "analysis/report.h"
#include "cli/output.h"

namespace meshroute::cli {
namespace {

// istioctl's exit code when findings reach the failure threshold (sysexits-style, "for CI/CD").
constexpr int kExitFoundIssues = 79;
constexpr int kExitUsage = 2;

struct Options {
  std::vector<std::string> files;
  std::string output = "text";
  std::vector<std::string> analyzers;
  bool list_analyzers = false;
  std::string failure_threshold = "Error";
  std::string output_threshold = "Info";
  std::vector<std::string> suppress;
  std::string mesh_config;
  std::string namespace_ = "default";
  std::string color = "auto";
};

core::Level parseLevel(const std::string& s) {
  if (s == "Info") return core::Level::kInfo;
  if (s == "Warning") return core::Level::kWarning;
  return core::Level::kError;
}

int severity(core::Level level) {
  switch (level) {
    case core::Level::kInfo: return 0;
    case core::Level::kWarning: return 1;
    case core::Level::kError: return 2;
  }
  return 2;
}

int listAnalyzers() {
  std::vector<const analysis::Analyzer*> sorted;
  for (const auto& a : analysis::allAnalyzers()) sorted.push_back(&a);
  std::sort(sorted.begin(), sorted.end(),
            [](const auto* a, const auto* b) { return a->name < b->name; });
  for (const auto* a : sorted) {
    std::cout << fmt::format("* {}:\n", a->name);
    if (!a->description.empty()) std::cout << fmt::format("    {}\n", a->description);
  }
  return 0;
}

int run(const Options& o) {
  if (o.list_analyzers) return listAnalyzers();
  if (o.files.empty()) {
    std::cerr << "meshroute analyze: no input: give -f FILE, DIRECTORY or - (stdin)\n";
    return kExitUsage;
  }
  analysis::Options options;
  for (const auto& name : o.analyzers) {
    const auto& all = analysis::allAnalyzers();
    if (std::none_of(all.begin(), all.end(), [&](const auto& a) { return a.name == name; })) {
      std::cerr << fmt::format(
          "meshroute analyze: unknown analyzer \"{}\" (meshroute analyze --list-analyzers)\n",
          name);
      return kExitUsage;
    }
    options.analyzers.push_back(name);
  }
  for (const auto& s : o.suppress) {
    auto eq = s.find('=');
    if (eq == std::string::npos || s.find('=', eq + 1) != std::string::npos) {
      std::cerr << fmt::format(
          "meshroute analyze: \"{}\" is not a valid suppression: use CODE=Kind ns/name\n", s);
      return kExitUsage;
    }
    std::string code = s.substr(0, eq);
    if (analysis::findMessageType(code) == nullptr) {
      std::cerr << fmt::format(
          "Warning: Supplied message code '{}' is an unknown message code and will not have any "
          "effect.\n",
          code);
    }
    options.suppressions.push_back({code, s.substr(eq + 1)});
  }

  core::Diagnostics problems;
  analysis::MeshSettings mesh = o.mesh_config.empty()
                                    ? analysis::MeshSettings::from({})
                                    : analysis::loadMeshSettings(o.mesh_config, problems);
  api::LoadResult loaded = api::loadPaths(o.files, analysis::loadOptions(o.namespace_));
  problems.append(loaded.diagnostics);
  analysis::addDefaultResources(mesh, loaded.resources);
  analysis::Store store(loaded.resources);
  analysis::Result result = analysis::analyze(store, mesh, options);

  bool config_errors = loaded.io_errors > 0;
  for (const auto& d : problems.items()) {
    if (d.level == core::Level::kError) {
      config_errors = true;
      std::cerr << formatFinding(d, "") << "\n";
    }
  }

  core::Level output_level = parseLevel(o.output_threshold);
  std::vector<const analysis::Finding*> shown;
  for (const auto& f : result.findings) {
    if (severity(f.type->level) >= severity(output_level)) shown.push_back(&f);
  }
  if (o.output == "json" || o.output == "yaml") {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto* f : shown) list.push_back(analysis::findingJson(*f));
    std::cout << (o.output == "json" ? list.dump(1, '\t') + "\n" : analysis::toYaml(list));
  } else {
    bool color = o.color == "always" || (o.color == "auto" && isatty(STDOUT_FILENO) != 0 &&
                                         std::getenv("TERM") != nullptr &&
                                         std::string_view(std::getenv("TERM")) != "dumb");
    for (const auto* f : shown) std::cout << analysis::textLine(*f, color) << "\n";
    if (shown.empty() && !config_errors) {
      if (o.files.size() == 1) {
        std::cerr << fmt::format("\u2714 No validation issues found when analyzing {}.\n",
                                 o.files[0]);
      } else {
        std::cerr << fmt::format("\u2714 No validation issues found when analyzing:\n  - {}\n",
                                 fmt::join(o.files, "\n  - "));
      }
    }
  }

  if (config_errors) return kExitUsage;
  core::Level failure_level = parseLevel(o.failure_threshold);
  for (const auto& f : result.findings) {
    if (severity(f.type->level) >= severity(failure_level)) return kExitFoundIssues;
  }
  return 0;
}

}  // namespace

void addAnalyzeCommand(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "analyze",
      "Find mistakes in Istio traffic configuration, as istioctl analyze does, and more.\n"
      "Istio's networking analyzers (codes IST0xxx) and meshroute's own (MR0xxx,\n"
      "docs/analyzers.md) run over files, directories or stdin; Kubernetes objects in the input\n"
      "(Pods, Services, Deployments, Namespaces, Nodes, Secrets) count.\n"
      "Exit codes: 0 no finding at or above --failure-threshold, 79 some finding at or above it\n"
      "(istioctl's code), 2 usage error, unreadable input or YAML that does not parse.");
  cmd->add_option("-f,--filename", opts->files,
                  "File, directory (recursive: .yaml, .yml, .json) or - for stdin");
  cmd->add_option("-o,--output", opts->output, "Output format: text (istioctl's log), json or yaml")
      ->check(CLI::IsMember({"text", "log", "json", "yaml"}));
  cmd->add_option("--analyzer", opts->analyzers,
                  "Run only this analyzer (repeatable; names from --list-analyzers)");
  cmd->add_flag("-L,--list-analyzers", opts->list_analyzers,
                "List the analyzers with what each checks, and exit");
  cmd->add_option("--failure-threshold", opts->failure_threshold,
                  "Lowest level that makes the exit code 79: Info, Warning or Error")
      ->check(CLI::IsMember({"Info", "Warning", "Error"}));
  cmd->add_option("--output-threshold", opts->output_threshold,
                  "Lowest level printed: Info, Warning or Error")
      ->check(CLI::IsMember({"Info", "Warning", "Error"}));
  cmd->add_option("-S,--suppress", opts->suppress,
                  "Drop findings: 'CODE=Kind ns/name', '*' matches any text (repeatable), e.g.\n"
                  "'IST0102=DestinationRule default/*'");
  cmd->add_option("--mesh-config", opts->mesh_config, "Istio MeshConfig YAML");
  cmd->add_option("-n,--namespace", opts->namespace_,
                  "Namespace of resources that name none (istioctl's default: default)");
  cmd->add_option("--color", opts->color, "Color text output: auto, always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  cmd->callback([opts, &exit_code] { exit_code = run(*opts); });
}

}  // namespace meshroute::cli
