#include "validate/report.h"

#include <algorithm>

namespace meshroute::validate {

size_t Report::errorCount() const {
  const auto& items = out_->items();
  return static_cast<size_t>(std::count_if(
      items.begin(), items.end(), [](const auto& d) { return d.level == core::Level::kError; }));
}

}  // namespace meshroute::validate
