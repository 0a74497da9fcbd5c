// `meshroute analyze` over 10,000 generated resources (issue 5: under 2 s on one core). The
// corpus is parsed once outside the loop for BM_Analyze; BM_LoadAndAnalyze is the whole
// offline path.
#include <benchmark/benchmark.h>

#include "analysis/input.h"
#include "corpus_generator.h"

namespace meshroute {
namespace {

api::LoadResult loadCorpus(const std::string& text) {
  api::LoadResult loaded;
  api::loadText(text, "corpus.yaml", loaded, analysis::loadOptions("default"));
  return loaded;
}

void BM_Analyze(benchmark::State& state) {
  std::string text = bench::generateMeshCorpus(static_cast<int>(state.range(0)));
  api::LoadResult loaded = loadCorpus(text);
  analysis::MeshSettings mesh = analysis::MeshSettings::from({});
  analysis::addDefaultResources(mesh, loaded.resources);
  size_t findings = 0;
  for (auto _ : state) {
    analysis::Store store(loaded.resources);
    analysis::Result r = analysis::analyze(store, mesh, {});
    findings = r.findings.size();
    benchmark::DoNotOptimize(r);
  }
  state.counters["resources"] = static_cast<double>(loaded.resources.size());
  state.counters["findings"] = static_cast<double>(findings);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(loaded.resources.size()));
}
BENCHMARK(BM_Analyze)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

void BM_LoadAndAnalyze(benchmark::State& state) {
  std::string text = bench::generateMeshCorpus(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    api::LoadResult loaded = loadCorpus(text);
    analysis::MeshSettings mesh = analysis::MeshSettings::from({});
    analysis::addDefaultResources(mesh, loaded.resources);
    analysis::Store store(loaded.resources);
    analysis::Result r = analysis::analyze(store, mesh, {});
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_LoadAndAnalyze)->Arg(10000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace meshroute

BENCHMARK_MAIN();
