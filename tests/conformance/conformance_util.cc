#include "conformance_util.h"

#include <fstream>
#include <sstream>

namespace meshroute::testing {

std::filesystem::path sharedDir() {
  std::filesystem::path p = MESHROUTE_SHARED_DIR;
  if (const char* env = std::getenv("MESHROUTE_SHARED_DIR")) p = env;
  return std::filesystem::exists(p / "conformance") ? p : std::filesystem::path();
}

int floorFor(const std::string& suite) {
  std::ifstream in(std::string(MESHROUTE_SOURCE_DIR) + "/tests/conformance/floors.txt");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    auto trim = [](std::string s) {
      s.erase(0, s.find_first_not_of(" \t"));
      s.erase(s.find_last_not_of(" \t") + 1);
      return s;
    };
    if (trim(line.substr(0, eq)) == suite) return std::stoi(trim(line.substr(eq + 1)));
  }
  return 0;
}

}  // namespace meshroute::testing
