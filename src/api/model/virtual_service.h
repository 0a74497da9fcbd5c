// networking.istio.io VirtualService: the typed model of its spec (every field of the CRD schema).
// Field order follows istio.io/api networking/v1alpha3/virtual_service.proto.
#pragma once

#include "api/model/common.h"

namespace meshroute::api {

// networking.StringMatch. The oneof members are optional: `prefix: ""` still selects prefix.
struct StringMatch : Message {
  std::optional<std::string> exact;
  std::optional<std::string> prefix;
  std::optional<std::string> regex;
};
template <class V>
void describe(V& v, StringMatch& m) {
  v("exact", m.exact, {.oneof = "matchType"});
  v("prefix", m.prefix, {.oneof = "matchType"});
  v("regex", m.regex, {.oneof = "matchType"});
}

struct HTTPMatchRequest : Message {
  std::string name;
  std::optional<StringMatch> uri;
  std::optional<StringMatch> scheme;
  std::optional<StringMatch> method;
  std::optional<StringMatch> authority;
  std::map<std::string, StringMatch> headers;
  uint32_t port = 0;
  StringMap source_labels;
  std::vector<std::string> gateways;
  std::map<std::string, StringMatch> query_params;
  bool ignore_uri_case = false;
  std::map<std::string, StringMatch> without_headers;
  std::string source_namespace;
  std::string stat_prefix;
};
template <class V>
void describe(V& v, HTTPMatchRequest& m) {
  v("name", m.name);
  v("uri", m.uri);
  v("scheme", m.scheme);
  v("method", m.method);
  v("authority", m.authority);
  v("headers", m.headers);
  v("port", m.port);
  v("sourceLabels", m.source_labels);
  v("gateways", m.gateways);
  v("queryParams", m.query_params);
  v("ignoreUriCase", m.ignore_uri_case);
  v("withoutHeaders", m.without_headers);
  v("sourceNamespace", m.source_namespace);
  v("statPrefix", m.stat_prefix);
}

struct HeaderOperations : Message {
  StringMap set;
  StringMap add;
  std::vector<std::string> remove;
};
template <class V>
void describe(V& v, HeaderOperations& m) {
  v("set", m.set);
  v("add", m.add);
  v("remove", m.remove);
}

struct Headers : Message {
  std::optional<HeaderOperations> request;
  std::optional<HeaderOperations> response;
};
template <class V>
void describe(V& v, Headers& m) {
  v("request", m.request);
  v("response", m.response);
}

struct HTTPRouteDestination : Message {
  std::optional<Destination> destination;
  int32_t weight = 0;
  std::optional<Headers> headers;
};
template <class V>
void describe(V& v, HTTPRouteDestination& m) {
  v("destination", m.destination, {.required = true});
  v("weight", m.weight);
  v("headers", m.headers);
}

// TCP and TLS route destinations.
struct RouteDestination : Message {
  std::optional<Destination> destination;
  int32_t weight = 0;
};
template <class V>
void describe(V& v, RouteDestination& m) {
  v("destination", m.destination, {.required = true});
  v("weight", m.weight);
}

inline constexpr EnumValue kRedirectPortSelectionValues[] = {{"FROM_PROTOCOL_DEFAULT", 0},
                                                             {"FROM_REQUEST_PORT", 1}};
inline constexpr EnumTable kRedirectPortSelection{kRedirectPortSelectionValues};

struct HTTPRedirect : Message {
  std::string uri;
  std::string authority;
  std::optional<uint32_t> port;
  std::optional<std::string> derive_port;
  std::string scheme;
  uint32_t redirect_code = 0;
  std::string prefix_rewrite;
};
template <class V>
void describe(V& v, HTTPRedirect& m) {
  v("uri", m.uri);
  v("authority", m.authority);
  v("port", m.port, {.oneof = "redirectPort"});
  v("derivePort", m.derive_port, {.enums = &kRedirectPortSelection, .oneof = "redirectPort"});
  v("scheme", m.scheme);
  v("redirectCode", m.redirect_code);
  v("prefixRewrite", m.prefix_rewrite);
}

// networking.HTTPBody; `bytes` holds the base64 text as written (proto JSON form).
struct HTTPBody : Message {
  std::optional<std::string> string;
  std::optional<std::string> bytes;
};
template <class V>
void describe(V& v, HTTPBody& m) {
  v("string", m.string, {.oneof = "specifier"});
  v("bytes", m.bytes, {.oneof = "specifier"});
}

struct HTTPDirectResponse : Message {
  uint32_t status = 0;
  std::optional<HTTPBody> body;
};
template <class V>
void describe(V& v, HTTPDirectResponse& m) {
  v("status", m.status, {.required = true});
  v("body", m.body);
}

struct Delegate : Message {
  std::string name;
  std::string namespace_;
};
template <class V>
void describe(V& v, Delegate& m) {
  v("name", m.name);
  v("namespace", m.namespace_);
}

struct RegexRewrite : Message {
  std::string match;
  std::string rewrite;
};
template <class V>
void describe(V& v, RegexRewrite& m) {
  v("match", m.match);
  v("rewrite", m.rewrite);
}

struct HTTPRewrite : Message {
  std::string uri;
  std::string authority;
  std::optional<RegexRewrite> uri_regex_rewrite;
};
template <class V>
void describe(V& v, HTTPRewrite& m) {
  v("uri", m.uri);
  v("authority", m.authority);
  v("uriRegexRewrite", m.uri_regex_rewrite);
}

struct HTTPRetry : Message {
  int32_t attempts = 0;
  std::optional<Duration> per_try_timeout;
  std::string retry_on;
  std::optional<bool> retry_remote_localities;
  std::optional<bool> retry_ignore_previous_hosts;
  std::optional<Duration> backoff;
};
template <class V>
void describe(V& v, HTTPRetry& m) {
  v("attempts", m.attempts);
  v("perTryTimeout", m.per_try_timeout);
  v("retryOn", m.retry_on);
  v("retryRemoteLocalities", m.retry_remote_localities);
  v("retryIgnorePreviousHosts", m.retry_ignore_previous_hosts);
  v("backoff", m.backoff);
}

inline constexpr EnumValue kUnmatchedPreflightsValues[] = {
    {"UNSPECIFIED", 0}, {"FORWARD", 1}, {"IGNORE", 2}};
inline constexpr EnumTable kUnmatchedPreflights{kUnmatchedPreflightsValues};

struct CorsPolicy : Message {
  std::vector<std::string> allow_origin;  // deprecated
  std::vector<StringMatch> allow_origins;
  std::vector<std::string> allow_methods;
  std::vector<std::string> allow_headers;
  std::vector<std::string> expose_headers;
  std::optional<Duration> max_age;
  std::optional<bool> allow_credentials;
  std::string unmatched_preflights;
};
template <class V>
void describe(V& v, CorsPolicy& m) {
  v("allowOrigin", m.allow_origin);
  v("allowOrigins", m.allow_origins);
  v("allowMethods", m.allow_methods);
  v("allowHeaders", m.allow_headers);
  v("exposeHeaders", m.expose_headers);
  v("maxAge", m.max_age);
  v("allowCredentials", m.allow_credentials);
  v("unmatchedPreflights", m.unmatched_preflights, {.enums = &kUnmatchedPreflights});
}

// networking.Percent.
struct Percent : Message {
  double value = 0;
};
template <class V>
void describe(V& v, Percent& m) {
  v("value", m.value);
}

struct HTTPFaultInjectionDelay : Message {
  int32_t percent = 0;  // deprecated
  std::optional<Duration> fixed_delay;
  std::optional<Duration> exponential_delay;
  std::optional<Percent> percentage;
};
template <class V>
void describe(V& v, HTTPFaultInjectionDelay& m) {
  v("percent", m.percent);
  v("fixedDelay", m.fixed_delay, {.oneof = "httpDelayType"});
  v("exponentialDelay", m.exponential_delay, {.oneof = "httpDelayType"});
  v("percentage", m.percentage);
}

struct HTTPFaultInjectionAbort : Message {
  std::optional<int32_t> http_status;
  std::optional<std::string> grpc_status;
  std::optional<std::string> http2_error;
  std::optional<Percent> percentage;
};
template <class V>
void describe(V& v, HTTPFaultInjectionAbort& m) {
  v("httpStatus", m.http_status, {.oneof = "errorType"});
  v("grpcStatus", m.grpc_status, {.oneof = "errorType"});
  v("http2Error", m.http2_error, {.oneof = "errorType"});
  v("percentage", m.percentage);
}

struct HTTPFaultInjection : Message {
  std::optional<HTTPFaultInjectionDelay> delay;
  std::optional<HTTPFaultInjectionAbort> abort;
};
template <class V>
void describe(V& v, HTTPFaultInjection& m) {
  v("delay", m.delay);
  v("abort", m.abort);
}

struct HTTPMirrorPolicy : Message {
  std::optional<Destination> destination;
  std::optional<Percent> percentage;
};
template <class V>
void describe(V& v, HTTPMirrorPolicy& m) {
  v("destination", m.destination, {.required = true});
  v("percentage", m.percentage);
}

struct HTTPRoute : Message {
  std::string name;
  std::vector<HTTPMatchRequest> match;
  std::vector<HTTPRouteDestination> route;
  std::optional<HTTPRedirect> redirect;
  std::optional<HTTPDirectResponse> direct_response;
  std::optional<Delegate> delegate;
  std::optional<HTTPRewrite> rewrite;
  std::optional<Duration> timeout;
  std::optional<HTTPRetry> retries;
  std::optional<HTTPFaultInjection> fault;
  std::optional<Destination> mirror;
  std::vector<HTTPMirrorPolicy> mirrors;
  // Deprecated google.protobuf.UInt32Value; the CRD accepts it under both of its proto names,
  // which name one field, so they share a oneof group to reject writing both.
  std::optional<uint32_t> mirror_percent;
  std::optional<uint32_t> mirror_percent_proto_name;
  std::optional<Percent> mirror_percentage;
  std::optional<CorsPolicy> cors_policy;
  std::optional<Headers> headers;

  // The deprecated mirror percent, under whichever name it was written.
  [[nodiscard]] const std::optional<uint32_t>& mirrorPercent() const {
    return mirror_percent ? mirror_percent : mirror_percent_proto_name;
  }
};
template <class V>
void describe(V& v, HTTPRoute& m) {
  v("name", m.name);
  v("match", m.match);
  v("route", m.route);
  v("redirect", m.redirect);
  v("directResponse", m.direct_response);
  v("delegate", m.delegate);
  v("rewrite", m.rewrite);
  v("timeout", m.timeout);
  v("retries", m.retries);
  v("fault", m.fault);
  v("mirror", m.mirror);
  v("mirrors", m.mirrors);
  v("mirrorPercent", m.mirror_percent, {.oneof = "mirrorPercent"});
  v("mirror_percent", m.mirror_percent_proto_name, {.oneof = "mirrorPercent"});
  v("mirrorPercentage", m.mirror_percentage);
  v("corsPolicy", m.cors_policy);
  v("headers", m.headers);
}

struct TLSMatchAttributes : Message {
  std::vector<std::string> sni_hosts;
  std::vector<std::string> destination_subnets;
  uint32_t port = 0;
  StringMap source_labels;
  std::vector<std::string> gateways;
  std::string source_namespace;
};
template <class V>
void describe(V& v, TLSMatchAttributes& m) {
  v("sniHosts", m.sni_hosts, {.required = true});
  v("destinationSubnets", m.destination_subnets);
  v("port", m.port);
  v("sourceLabels", m.source_labels);
  v("gateways", m.gateways);
  v("sourceNamespace", m.source_namespace);
}

struct L4MatchAttributes : Message {
  std::vector<std::string> destination_subnets;
  uint32_t port = 0;
  std::string source_subnet;
  StringMap source_labels;
  std::vector<std::string> gateways;
  std::string source_namespace;
};
template <class V>
void describe(V& v, L4MatchAttributes& m) {
  v("destinationSubnets", m.destination_subnets);
  v("port", m.port);
  v("sourceSubnet", m.source_subnet);
  v("sourceLabels", m.source_labels);
  v("gateways", m.gateways);
  v("sourceNamespace", m.source_namespace);
}

struct TLSRoute : Message {
  std::vector<TLSMatchAttributes> match;
  std::vector<RouteDestination> route;
};
template <class V>
void describe(V& v, TLSRoute& m) {
  v("match", m.match, {.required = true});
  v("route", m.route);
}

struct TCPRoute : Message {
  std::vector<L4MatchAttributes> match;
  std::vector<RouteDestination> route;
};
template <class V>
void describe(V& v, TCPRoute& m) {
  v("match", m.match);
  v("route", m.route);
}

struct VirtualService : Message {
  std::vector<std::string> hosts;
  std::vector<std::string> gateways;
  std::vector<HTTPRoute> http;
  std::vector<TLSRoute> tls;
  std::vector<TCPRoute> tcp;
  std::vector<std::string> export_to;
};
template <class V>
void describe(V& v, VirtualService& m) {
  v("hosts", m.hosts);
  v("gateways", m.gateways);
  v("http", m.http);
  v("tls", m.tls);
  v("tcp", m.tcp);
  v("exportTo", m.export_to);
}

}  // namespace meshroute::api
