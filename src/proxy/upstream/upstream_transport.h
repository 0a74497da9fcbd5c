// Which transport a new connection to a cluster goes over: plain TCP, or TLS when its
// DestinationRule originates it (tls SIMPLE or MUTUAL), with the SNI and names of this request.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "proxy/cluster_cache.h"
#include "proxy/upstream/transport.h"

namespace meshroute::proxy {

// "host" of "host:port", "[::1]:port" or "host".
std::string_view hostOfAuthority(std::string_view authority);

// The SNI a TLS cluster sends for a request whose upstream Host is `host_header`: the rule's
// `sni`, else (Envoy's auto SNI) the host without its port. "" for a cluster without TLS.
std::string_view tlsServerName(const ClusterState& cluster, std::string_view host_header);

// A transport for a new connection to `cluster`: TLS made from the cluster's context, else
// plain from `plain`. Null when the cluster asks for TLS and has no context: the connection
// must fail (never go in plaintext); `failure` then says why.
std::unique_ptr<Transport> transportFor(TransportFactory& plain, boost::asio::io_context& io,
                                        const ClusterState& cluster, std::string_view sni,
                                        std::string& failure);

}  // namespace meshroute::proxy
