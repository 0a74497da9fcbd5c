// Validation rules shared by several kinds: Istio's agent helpers (hosts, wildcards, ports,
// durations, addresses) and the cross-kind checks in pkg/config/validation (exportTo, workload
// selectors, header names/values, connection pools, metadata). Each predicate returns the
// message Istio would give (std::nullopt when valid) so callers attach it to a Loc.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/model/common.h"
#include "api/resource.h"
#include "validate/report.h"

namespace meshroute::validate {

using Error = std::optional<std::string>;
using Errors = std::vector<std::string>;

// --- Names and hosts (agent/validation.go) ---
bool isDNS1123Label(std::string_view s);          // [a-z0-9]([-a-z0-9]*[a-z0-9])?, <= 63
bool isWildcardDNS1123Label(std::string_view s);  // "*" or a label, used for hosts
Errors validateDNS1123Labels(std::string_view domain);
Errors validateFQDN(std::string_view fqdn);
Errors validateWildcardDomain(std::string_view domain);
Errors validateWildcardDomainForVirtualServiceBoundToGateway(bool sni, std::string_view domain);
Error validatePartialWildCard(std::string_view host);
Errors validateNamespaceSlashWildcardHostname(std::string_view hostname, bool is_gateway,
                                              bool gateway_semantics);
bool isIPAddress(std::string_view s);  // IPv4 or IPv6, no zone
bool isIPv4(std::string_view s);
bool isIPv6(std::string_view s);
Error validateIPAddress(std::string_view addr);
Error validateIPSubnet(std::string_view subnet);  // CIDR or plain IP
Error validateUnixAddress(std::string_view addr);
Error validateTrustDomain(std::string_view domain);

// --- Kubernetes labels (Istio's labels.Instance.Validate) ---
// A key is an optional DNS-subdomain prefix and '/', then a qualified name; a value is empty or
// a qualified name.
Error validateLabelKey(std::string_view key);
Error validateLabelValue(std::string_view value);
// Reports each bad key and value at its map entry; `prefix` goes in front of each message
// (WorkloadGroup metadata says "invalid labels: ").
void validateLabels(const api::Message& owner, std::string_view field, const api::StringMap& labels,
                    const Loc& at, Report& report, std::string_view prefix = "");

// --- Numbers and durations ---
Error validatePort(int64_t port);                // 1..65535
Error validateDuration(const api::Duration& d);  // >= 1ms, whole milliseconds
Error validateDurationRange(const api::Duration& d, int64_t min_nanos, int64_t max_nanos);
Error validatePercent(int32_t val);    // 0..100
Error validateWeight(int32_t weight);  // >= 0

// --- Ports and protocols ---
Error validatePortName(std::string_view name);
Error validateProtocol(std::string_view protocol);  // Istio's protocol names, case-insensitive
// Istio's protocol.Parse result: its canonical name ("HTTP", "GRPC-Web", "Mongo"...), or ""
// when unsupported. The predicates below take that canonical name.
std::string parseProtocol(std::string_view protocol);
bool isHTTPProtocol(std::string_view canonical);   // HTTP, HTTP2, HTTP_PROXY, GRPC, GRPC-Web
bool isHTTP2Protocol(std::string_view canonical);  // HTTP2, GRPC, GRPC-Web
bool isTCPProtocol(std::string_view canonical);    // TCP, HTTPS, TLS, Mongo, Redis, MySQL
bool isTLSProtocol(std::string_view canonical);    // HTTPS, TLS

// --- Headers (header names in matches and operations, header values) ---
Error validateHTTPHeaderName(std::string_view name);  // RFC 7230 token
Error validateHTTPHeaderNameOrJwtClaimRoute(std::string_view name);
Error validateHTTPHeaderWithAuthorityOperationName(std::string_view name);
Error validateHTTPHeaderOperationName(std::string_view name);
Error validateHTTPHeaderValue(std::string_view value);  // Envoy %VAR% syntax
Error validateCORSHTTPHeaderName(std::string_view name);

// --- Cross-kind checks, reported directly ---
// Istio's metadata checks (annotations users may not set); called for every Istio resource.
void validateObjectMeta(const api::Resource& res, Report& report);
void validateExportTo(std::string_view ns, const std::vector<std::string>& export_to,
                      bool is_service_entry, bool is_destination_rule_with_selector, const Loc& at,
                      Report& report);
void validateWorkloadSelector(const api::WorkloadSelector* selector, const Loc& at, Report& report);
void validateConnectionPool(const api::ConnectionPoolSettings& settings, const Loc& at,
                            Report& report);
// True when the resource's labels opt it into a waypoint (istio.io/use-waypoint).
bool usesWaypoint(const api::Resource& res);

}  // namespace meshroute::validate
