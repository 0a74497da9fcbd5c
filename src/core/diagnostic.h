// Diagnostics: every finding meshroute reports about configuration, from schema decoding,
// Istio's admission rules, reload rejections and (later) analyzers, is one of these values.
// They are collected, never thrown, so a command can report every problem at once.
//
//   Diagnostics out;
//   out.add(Level::kError, {file, mark, "spec.http[0].timeout"}, "duration must be ...");
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace meshroute::core {

// 1-based line and column in the source file; 0 means unknown.
struct Mark {
  uint32_t line = 0;
  uint32_t column = 0;
  friend bool operator==(const Mark&, const Mark&) = default;
};

enum class Level { kInfo, kWarning, kError };
std::string_view levelName(Level level);

struct Diagnostic {
  Level level = Level::kError;
  std::string file;
  Mark mark;
  std::string field;    // e.g. "spec.http[2].route[0].weight"; empty when about the whole document
  std::string message;  // Istio's wording where Istio has one
};

class Diagnostics {
 public:
  void add(Diagnostic d) { items_.push_back(std::move(d)); }
  void error(std::string file, Mark mark, std::string field, std::string message);
  void warning(std::string file, Mark mark, std::string field, std::string message);
  [[nodiscard]] bool hasErrors() const;
  [[nodiscard]] bool hasWarnings() const;
  [[nodiscard]] const std::vector<Diagnostic>& items() const { return items_; }
  [[nodiscard]] bool empty() const { return items_.empty(); }
  void append(const Diagnostics& other);

 private:
  std::vector<Diagnostic> items_;
};

}  // namespace meshroute::core
