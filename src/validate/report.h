// How validation code reports findings with their field path and source position.
//
//   void validateRetry(const HTTPRetry& r, const Loc& at, Report& report) {
//     if (r.attempts < 0) report.error(at.field(r, "attempts"), "attempts cannot be negative");
//   }
//
// Loc is the path plus mark of one value; Report collects diagnostics for one resource.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

#include "api/message.h"
#include "api/resource.h"
#include "core/diagnostic.h"

namespace meshroute::validate {

using api::Message;
using core::Mark;

class Loc {
 public:
  Loc() = default;
  Loc(std::string path, Mark mark) : path_(std::move(path)), mark_(mark) {}

  // The field `name` of `owner` (whose location is this one).
  [[nodiscard]] Loc field(const Message& owner, std::string_view name) const {
    return {join(name), owner.markOf(name)};
  }
  // Element `i` of the repeated field `name` of `owner`, for scalar elements.
  [[nodiscard]] Loc item(const Message& owner, std::string_view name, size_t i) const {
    return {fmt::format("{}[{}]", join(name), i), owner.markOf(name, i)};
  }
  // Element `i` of the repeated message field `name`; `elem` is that element.
  [[nodiscard]] Loc item(std::string_view name, size_t i, const Message& elem) const {
    return {fmt::format("{}[{}]", join(name), i), elem.mark};
  }
  // Entry `key` of the map field `name` of `owner`.
  [[nodiscard]] Loc key(const Message& owner, std::string_view name, std::string_view k) const {
    return {fmt::format("{}[{}]", join(name), k), owner.markOfKey(name, k)};
  }
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] Mark mark() const { return mark_; }

 private:
  [[nodiscard]] std::string join(std::string_view name) const {
    return path_.empty() ? std::string(name) : fmt::format("{}.{}", path_, name);
  }
  std::string path_;
  Mark mark_;
};

class Report {
 public:
  Report(std::string file, core::Diagnostics& out) : file_(std::move(file)), out_(&out) {}

  void error(const Loc& at, std::string message) {
    out_->error(file_, at.mark(), at.path(), std::move(message));
  }
  void warning(const Loc& at, std::string message) {
    if (!drop_warnings_) out_->warning(file_, at.mark(), at.path(), std::move(message));
  }
  // A report that forwards errors but drops warnings: Istio discards the warnings of some
  // nested validations (e.g. DestinationRule subsets) on the way up.
  [[nodiscard]] Report errorsOnly() const {
    Report r = *this;
    r.drop_warnings_ = true;
    return r;
  }
  [[nodiscard]] size_t errorCount() const;

 private:
  std::string file_;
  core::Diagnostics* out_;
  bool drop_warnings_ = false;
};

}  // namespace meshroute::validate
