#include "routing/cors_policy.h"

#include <fmt/format.h>

#include <utility>

namespace meshroute::routing {
namespace {

// strings.Join(items, ","), as istiod writes allow_methods / allow_headers / expose_headers.
std::string joinComma(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += items[i];
  }
  return out;
}

// One allowOrigins entry, as util.ConvertToEnvoyMatch turns it into an Envoy StringMatcher.
// Returns false when the entry yields no matcher: a StringMatch with no type set (Istio drops
// it), or one Envoy's config validation would reject (empty prefix or regex, a bad regex).
bool compileOrigin(const api::StringMatch& m, size_t index, StringMatcher& out,
                   std::vector<std::string>& errors) {
  if (m.exact) {
    out = StringMatcher::exact(*m.exact);
    return true;
  }
  if (m.prefix) {
    if (m.prefix->empty()) {
      errors.push_back(fmt::format("allowOrigins[{}]: empty prefix", index));
      return false;
    }
    out = StringMatcher::prefix(*m.prefix);
    return true;
  }
  if (!m.regex) return false;
  // StringMatcher::compile reads the regex "*" as a presence check (header-match semantics);
  // for CORS origins Istio passes it to Envoy as a regex, which RE2 rejects.
  if (m.regex->empty() || *m.regex == "*") {
    errors.push_back(fmt::format("allowOrigins[{}]: invalid regex \"{}\"", index, *m.regex));
    return false;
  }
  std::string error;
  out = StringMatcher::compile(m, false, &error);
  if (!out.valid()) {
    errors.push_back(fmt::format("allowOrigins[{}]: invalid regex \"{}\": {}", index, *m.regex,
                                 error.empty() ? "does not compile" : error));
    return false;
  }
  return true;
}

}  // namespace

bool CompiledCors::allowsOrigin(std::string_view origin) const {
  if (any_origin) return true;
  for (const auto& m : allow_origins) {
    if (m.matches(origin)) return true;
  }
  return false;
}

CompiledCors compileCors(const api::CorsPolicy& policy) {
  CompiledCors out;
  if (!policy.allow_origins.empty()) {
    out.allow_origins.reserve(policy.allow_origins.size());
    for (size_t i = 0; i < policy.allow_origins.size(); ++i) {
      StringMatcher m;
      if (compileOrigin(policy.allow_origins[i], i, m, out.errors)) {
        out.allow_origins.push_back(std::move(m));
      }
    }
  } else {
    out.allow_origins.reserve(policy.allow_origin.size());
    for (const auto& origin : policy.allow_origin) {
      out.allow_origins.push_back(StringMatcher::exact(origin));
    }
  }
  for (const auto& m : out.allow_origins) {
    if (m.matches("*")) out.any_origin = true;
  }
  out.allow_methods = joinComma(policy.allow_methods);
  out.allow_headers = joinComma(policy.allow_headers);
  out.expose_headers = joinComma(policy.expose_headers);
  if (policy.max_age) out.max_age = std::to_string(policy.max_age->seconds);
  out.allow_credentials = policy.allow_credentials.value_or(false);
  out.forward_unmatched_preflights = policy.unmatched_preflights != "IGNORE";
  return out;
}

}  // namespace meshroute::routing
