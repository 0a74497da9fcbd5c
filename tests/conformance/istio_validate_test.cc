// Istio's own validation vectors (../shared/conformance/istio-validate): every case must get
// Istio's verdict, and for invalid/warning cases the message substring Istio's test asserts.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "api/loader.h"
#include "conformance_util.h"
#include "validate/validate.h"

namespace meshroute {
namespace {

namespace fs = std::filesystem;

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string annotation(const api::Resource& r, const std::string& key) {
  auto it = r.meta.annotations.find(key);
  return it == r.meta.annotations.end() ? "" : it->second;
}

// Istio joins errors into one multi-error string; the case's substring is looked up in it.
std::string joined(const core::Diagnostics& diags, core::Level level) {
  std::string out;
  for (const auto& d : diags.items()) {
    if (d.level != level) continue;
    if (!out.empty()) out += "; ";
    out += d.message;
  }
  return out;
}

struct Outcome {
  int passed = 0;
  int total = 0;
  std::vector<std::string> failures;
};

TEST(IstioValidateConformance, CasesGetIstiosVerdict) {
  fs::path dir = testing::sharedDir();
  if (dir.empty()) GTEST_SKIP() << "../shared/conformance not found";
  Outcome outcome;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir / "conformance/istio-validate/cases")) {
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    api::LoadResult loaded;
    api::loadText(readFile(file), file.filename().string(), loaded);
    EXPECT_FALSE(loaded.diagnostics.hasErrors()) << file;
    for (const auto& res : loaded.resources) {
      std::string expect = annotation(res, "conformance.expect");
      std::string message = annotation(res, "conformance.message");
      std::string source = annotation(res, "conformance.source");
      core::Diagnostics diags;
      validate::validateResource(res, diags);
      auto verdict = std::string(validate::verdictName(validate::verdictOf(diags)));
      ++outcome.total;
      bool ok = verdict == expect;
      std::string text;
      if (ok && !message.empty()) {
        text = joined(diags, expect == "invalid" ? core::Level::kError : core::Level::kWarning);
        ok = text.find(message) != std::string::npos;
      }
      if (ok) {
        ++outcome.passed;
      } else {
        std::string got =
            joined(diags, core::Level::kError) + " | " + joined(diags, core::Level::kWarning);
        outcome.failures.push_back(fmt::format("{} {} [{}]: want {} \"{}\", got {}: {}",
                                               file.filename().string(), res.meta.name, source,
                                               expect, message, verdict, got));
      }
    }
  }
  for (const auto& f : outcome.failures) std::cout << "FAIL " << f << "\n";
  std::cout << fmt::format("istio-validate/cases: {} of {} pass\n", outcome.passed, outcome.total);
  EXPECT_GE(outcome.passed, testing::floorFor("istio-validate/cases"));
  RecordProperty("passed", outcome.passed);
  RecordProperty("total", outcome.total);
}

}  // namespace
}  // namespace meshroute
