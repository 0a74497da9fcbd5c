// The messages the Kubernetes API server gives when a resource fails its CRD's OpenAPI schema
// (bounds, lengths, patterns) or one of its CEL rules; the CRD layer of every kind uses them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "validate/report.h"

namespace meshroute::validate {

// The CEL rule message several CRDs share for port numbers.
inline constexpr std::string_view kCelPortRangeMessage = "port must be between 1-65535";

// A failed CEL rule on a value of `type` ("object", "string", "integer", "array").
std::string celInvalid(std::string_view type, std::string_view rule_message);
// maxLength of a string, maxItems / maxProperties of a list or map.
std::string tooLong(size_t max_length);
std::string tooMany(size_t count, size_t max);
// minItems of a list at `at`.
std::string tooFewItems(const Loc& at, size_t count, size_t min);
// minimum / maximum of a number at `at`.
std::string belowMinimum(const Loc& at, double value, double min);
std::string aboveMaximum(const Loc& at, double value, double max);
// minLength / pattern of a string at `at`.
std::string tooShort(const Loc& at, std::string_view value, size_t min_length);
std::string patternMismatch(const Loc& at, std::string_view value, std::string_view pattern);
// A `format: byte` string that is not base64; `shown` is the (possibly shortened) value.
std::string notBytes(const Loc& at, std::string_view shown);

}  // namespace meshroute::validate
