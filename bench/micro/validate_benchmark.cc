// Load + validate throughput of the offline path (`meshroute validate`), on generated corpora
// of a realistic mix of the seven kinds. docs/benchmarks.md records the figures.
#include <benchmark/benchmark.h>

#include "api/loader.h"
#include "corpus_generator.h"
#include "validate/validate.h"

namespace {

void BM_LoadAndValidate(benchmark::State& state) {
  const std::string corpus = meshroute::bench::generateCorpus(static_cast<int>(state.range(0)));
  size_t resources = 0;
  for (auto _ : state) {
    meshroute::api::LoadResult loaded;
    meshroute::api::loadText(corpus, "corpus.yaml", loaded);
    meshroute::core::Diagnostics out;
    for (const auto& res : loaded.resources) meshroute::validate::validateResource(res, out);
    if (out.hasErrors()) state.SkipWithError("generated corpus must be valid");
    resources = loaded.resources.size();
    benchmark::DoNotOptimize(out);
  }
  state.counters["resources"] = static_cast<double>(resources);
  state.counters["resources_per_s"] =
      benchmark::Counter(static_cast<double>(resources) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<int64_t>(corpus.size()) * state.iterations());
}
BENCHMARK(BM_LoadAndValidate)->Arg(100)->Arg(10000)->Unit(benchmark::kMillisecond);

void BM_LoadOnly(benchmark::State& state) {
  const std::string corpus = meshroute::bench::generateCorpus(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    meshroute::api::LoadResult loaded;
    meshroute::api::loadText(corpus, "corpus.yaml", loaded);
    benchmark::DoNotOptimize(loaded);
  }
}
BENCHMARK(BM_LoadOnly)->Arg(10000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
