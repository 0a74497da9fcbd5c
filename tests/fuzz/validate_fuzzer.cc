// Fuzzes the whole offline path of `meshroute validate`: YAML/JSON reading, decoding into the
// model, and Istio's validation rules. Any crash, hang, leak or sanitizer report is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/loader.h"
#include "validate/validate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  meshroute::api::LoadResult loaded;
  meshroute::api::LoadOptions options;
  options.limits.max_nodes_per_document = 100000;  // keep each input fast under the fuzzer
  meshroute::api::loadText(text, "fuzz.yaml", loaded, options);
  meshroute::core::Diagnostics out;
  for (const auto& res : loaded.resources) meshroute::validate::validateResource(res, out);
  return 0;
}
