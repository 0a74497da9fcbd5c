// Prints the benchmark corpus: `generate_corpus N > corpus.yaml` (N resources, default 10000);
// `generate_corpus --mesh N` prints the analysis corpus (Kubernetes objects included).
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "corpus_generator.h"

int main(int argc, char** argv) {
  bool mesh = argc > 1 && std::strcmp(argv[1], "--mesh") == 0;
  if (mesh) {
    --argc;
    ++argv;
  }
  int n = argc > 1 ? std::atoi(argv[1]) : 10000;
  if (n <= 0) {
    std::fprintf(stderr, "usage: generate_corpus [--mesh] N\n");
    return 2;
  }
  std::string text =
      mesh ? meshroute::bench::generateMeshCorpus(n) : meshroute::bench::generateCorpus(n);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}
