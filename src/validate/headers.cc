// HTTP header names and values, as Istio checks them in routes, matches and CORS policies.
#include <fmt/format.h>

#include <algorithm>
#include <string_view>

#include "validate/common.h"
#include "validate/virtual_service_internal.h"

namespace meshroute::validate {
namespace {

// RFC 7230 tchar.
bool isTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool isToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), isTokenChar);
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Headers Envoy owns: pseudo-headers and Host.
bool isInternalHeader(std::string_view name) {
  return name.starts_with(":") || equalsIgnoreCase(name, "host");
}

bool isAuthorityHeader(std::string_view name) {
  return equalsIgnoreCase(name, ":authority") || equalsIgnoreCase(name, "host");
}

bool isPseudoHeader(std::string_view name) {
  return name == ":method" || name == ":scheme" || name == ":authority" || name == ":path" ||
         name == ":status";
}

Error notAValidHeaderName(std::string_view name) {
  return fmt::format("header name {} is not a valid header name", name);
}

// Envoy's parser for header values with %VAR% / %VAR(args)% expressions (its header_parser.cc):
// only the structure is checked, not whether the variable exists.
Error checkHeaderValueSyntax(std::string_view value) {
  enum class State {
    kLiteral,
    kVariableName,
    kExpectArray,
    kExpectString,
    kString,
    kExpectDelimiterOrEnd,
    kExpectArgsEnd,
    kExpectVariableEnd,
  };
  State state = State::kLiteral;
  for (size_t pos = 0; pos < value.size(); ++pos) {
    char ch = value[pos];
    bool has_next = pos + 1 < value.size();
    switch (state) {
      case State::kLiteral:
        if (ch != '%') break;
        if (!has_next) return "invalid header configuration. Un-escaped %";
        if (value[pos + 1] == '%') {
          ++pos;  // "%%" is a literal percent sign
          break;
        }
        state = State::kVariableName;
        break;
      case State::kVariableName:
        if (ch == '%') {
          state = State::kLiteral;
        } else if (ch == '(') {
          state = State::kExpectArray;
        }
        break;
      case State::kExpectArray:
        if (ch == '[') {
          state = State::kExpectString;
        } else if (ch != ' ') {
          state = State::kString;
        }
        break;
      case State::kExpectDelimiterOrEnd:
        if (ch == ',') {
          state = State::kExpectString;
        } else if (ch == ']') {
          state = State::kExpectArgsEnd;
        } else if (ch != ' ') {
          return "invalid header configuration. Expecting ',', ']', or whitespace";
        }
        break;
      case State::kExpectString:
        if (ch == '"') {
          state = State::kString;
        } else if (ch != ' ') {
          return "invalid header configuration. Expecting '\"'";
        }
        break;
      case State::kString:
        if (ch == '\\') {
          if (!has_next) {
            return "invalid header configuration. Un-terminated backslash in JSON string";
          }
          ++pos;
        } else if (ch == ')') {
          state = State::kExpectVariableEnd;
        } else if (ch == '"') {
          state = State::kExpectDelimiterOrEnd;
        }
        break;
      case State::kExpectArgsEnd:
        if (ch == ')') {
          state = State::kExpectVariableEnd;
        } else if (ch != ' ') {
          // Istio's message keeps Envoy's unfilled placeholders.
          return "invalid header configuration. Expecting ')' or whitespace after '{}', but "
                 "found '{}'";
        }
        break;
      case State::kExpectVariableEnd:
        if (ch == '%') {
          state = State::kLiteral;
        } else if (ch != ' ') {
          return "invalid header configuration. Expecting '%' or whitespace after";
        }
        break;
    }
  }
  if (state != State::kLiteral) {
    return fmt::format("invalid header configuration. Un-terminated variable expression '{}'",
                       value);
  }
  return std::nullopt;
}

}  // namespace

namespace vs {

bool isJwtClaimRoute(std::string_view name) {
  constexpr std::string_view kPrefix = "@request.auth.claims";
  if (name.size() < kPrefix.size() || !equalsIgnoreCase(name.substr(0, kPrefix.size()), kPrefix)) {
    return false;
  }
  std::string_view rest = name.substr(kPrefix.size());
  if (rest.starts_with(".") && rest.size() > 1) return true;
  return rest.starts_with("[") && rest.ends_with("]") && rest.size() > 2;
}

}  // namespace vs

Error validateHTTPHeaderName(std::string_view name) {
  if (name.empty()) return "header name cannot be empty";
  if (!isToken(name)) return notAValidHeaderName(name);
  return std::nullopt;
}

Error validateHTTPHeaderNameOrJwtClaimRoute(std::string_view name) {
  if (name.empty()) return "header name cannot be empty";
  if (vs::isJwtClaimRoute(name) || isPseudoHeader(name)) return std::nullopt;
  if (!isToken(name)) return notAValidHeaderName(name);
  return std::nullopt;
}

Error validateHTTPHeaderWithAuthorityOperationName(std::string_view name) {
  if (name.empty()) return "header name cannot be empty";
  // The authority may be set here; rewriting it twice is checked with the route.
  if (isInternalHeader(name) && !isAuthorityHeader(name)) {
    return fmt::format("invalid header {}: header cannot have \":\" prefix", goQuote(name));
  }
  return std::nullopt;
}

Error validateHTTPHeaderOperationName(std::string_view name) {
  if (name.empty()) return "header name cannot be empty";
  if (equalsIgnoreCase(name, "host")) {
    return fmt::format("invalid header {}: cannot set Host header", goQuote(name));
  }
  if (isInternalHeader(name)) {
    return fmt::format("invalid header {}: header cannot have \":\" prefix", goQuote(name));
  }
  return std::nullopt;
}

Error validateHTTPHeaderValue(std::string_view value) {
  // Control characters other than horizontal tab are never allowed in a header value.
  bool has_control = std::any_of(value.begin(), value.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return (u <= 0x08) || (u >= 0x0A && u <= 0x1F) || u == 0x7F;
  });
  if (has_control) return fmt::format("header value configuration {} is invalid", value);
  if (auto e = checkHeaderValueSyntax(value)) return "header value configuration: " + *e;
  return std::nullopt;
}

Error validateCORSHTTPHeaderName(std::string_view name) {
  if (name.empty()) return "header name cannot be empty";
  if (name == "*") return std::nullopt;
  if (!isToken(name)) return notAValidHeaderName(name);
  return std::nullopt;
}

}  // namespace meshroute::validate
