// Kubernetes' wording for CRD schema and CEL failures; see schema_rules.h.
#include "validate/schema_rules.h"

#include <fmt/format.h>

#include "validate/go_format.h"

namespace meshroute::validate {

std::string celInvalid(std::string_view type, std::string_view rule_message) {
  return fmt::format("Invalid value: \"{}\": {}", type, rule_message);
}

std::string tooLong(size_t max_length) {
  return fmt::format("Too long: may not be more than {} bytes", max_length);
}

std::string tooMany(size_t count, size_t max) {
  return fmt::format("Too many: {}: must have at most {} items", count, max);
}

std::string tooFewItems(const Loc& at, size_t count, size_t min) {
  return fmt::format("Invalid value: {}: {} in body should have at least {} items", count,
                     at.path(), min);
}

std::string belowMinimum(const Loc& at, double value, double min) {
  return fmt::format("Invalid value: {}: {} in body should be greater than or equal to {}", value,
                     at.path(), min);
}

std::string aboveMaximum(const Loc& at, double value, double max) {
  return fmt::format("Invalid value: {}: {} in body should be less than or equal to {}", value,
                     at.path(), max);
}

std::string tooShort(const Loc& at, std::string_view value, size_t min_length) {
  return fmt::format("Invalid value: {}: {} in body should be at least {} chars long",
                     goQuote(value), at.path(), min_length);
}

std::string patternMismatch(const Loc& at, std::string_view value, std::string_view pattern) {
  return fmt::format("Invalid value: {}: {} in body should match '{}'", goQuote(value), at.path(),
                     pattern);
}

std::string notBytes(const Loc& at, std::string_view shown) {
  return fmt::format("Invalid value: \"{}\": {} in body must be of type byte", shown, at.path());
}

}  // namespace meshroute::validate
