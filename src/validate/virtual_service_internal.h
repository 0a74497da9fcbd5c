// Internal to the VirtualService validation files (virtual_service*.cc, headers.cc): the pieces
// they share. Not part of the validate module's interface.
#pragma once

#include <string>
#include <string_view>

#include "api/model/virtual_service.h"
#include "validate/common.h"
#include "validate/go_format.h"
#include "validate/report.h"

namespace meshroute::validate::vs {

// What kind of HTTP route is being validated: a delegate VirtualService's route, a route of a
// root VirtualService that delegates, or an ordinary one.
enum class RouteKind { kIndependent, kRoot, kDelegate };

struct RouteContext {
  bool delegate_vs = false;        // the VirtualService has no hosts
  bool gateway_semantics = false;  // internal.istio.io/gateway-semantics: gateway
};

// True when `name` is a header name of the `@request.auth.claims.<a>.<b>` or
// `@request.auth.claims[a][b]` form, which routes on JWT claims.
bool isJwtClaimRoute(std::string_view name);

// Gateway references (`ns/name`, or a legacy FQDN that stops the check).
void validateGatewayNames(const api::Message& owner, const std::vector<std::string>& names,
                          bool gateway_semantics, const Loc& at, Report& report);

void validateDestination(const api::Destination& dest, const Loc& at, Report& report);
void validatePortNumber(uint32_t port, const Loc& at, Report& report);
void validateStringMatch(const api::StringMatch& sm, std::string_view where, const Loc& at,
                         Report& report);
// Only the regex member is checked (an empty prefix is fine here).
void validateStringMatchRegexp(const api::StringMatch& sm, std::string_view where, const Loc& at,
                               Report& report);
// Length and RE2 syntax of a regex; `where` names it in the message.
Error validateRegex(std::string_view re, std::string_view where);

void validateHTTPRoute(const api::HTTPRoute& route, const RouteContext& ctx, const Loc& at,
                       Report& report);

// The unreachable-rule and overlapping-match analysis; findings are warnings.
void analyzeUnreachableRules(const api::VirtualService& vs, const Loc& spec, Report& report);

}  // namespace meshroute::validate::vs
