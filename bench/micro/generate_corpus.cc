// Prints the benchmark corpus: `generate_corpus N > corpus.yaml` (N resources, default 10000).
#include <cstdio>
#include <cstdlib>

#include "corpus_generator.h"

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 10000;
  if (n <= 0) {
    std::fprintf(stderr, "usage: generate_corpus N\n");
    return 2;
  }
  std::string text = meshroute::bench::generateCorpus(n);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}
