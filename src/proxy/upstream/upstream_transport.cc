#include "proxy/upstream/upstream_transport.h"

namespace meshroute::proxy {

std::string_view hostOfAuthority(std::string_view authority) {
  if (authority.starts_with('[')) {
    const size_t close = authority.find(']');
    return close == std::string_view::npos ? authority : authority.substr(1, close - 1);
  }
  const size_t colon = authority.rfind(':');
  return colon == std::string_view::npos ? authority : authority.substr(0, colon);
}

std::string_view tlsServerName(const ClusterState& cluster, std::string_view host_header) {
  if (!cluster.originatesTls()) return {};
  if (!cluster.tls_origination.sni.empty()) return cluster.tls_origination.sni;
  return hostOfAuthority(host_header);
}

std::unique_ptr<Transport> transportFor(TransportFactory& plain, boost::asio::io_context& io,
                                        const ClusterState& cluster, std::string_view sni,
                                        std::string& failure) {
  if (!cluster.originatesTls()) return plain.create(io);
  if (!cluster.tls) {
    failure = "TLS context unavailable: " + cluster.tls_error;
    return nullptr;
  }
  const upstream::TlsOrigination& o = cluster.tls_origination;
  TlsPeer peer;
  peer.sni.assign(sni);
  if (o.auto_san) {
    if (!sni.empty()) peer.names.emplace_back(sni);
  } else {
    peer.names = o.subject_alt_names;
  }
  return makeTlsTransport(io, cluster.tls, std::move(peer));
}

}  // namespace meshroute::proxy
