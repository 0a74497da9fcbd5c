// TLS origination under the Transport interface: Asio's SSL stream over a TCP socket, made from
// a context loaded with the configuration (tls_context.h). The handshake is part of connect(),
// so the connect timeout covers it, as Envoy's does; its failure says why in Envoy's shape.
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "proxy/upstream/transport.h"
#include "runtime/tls_contexts.h"

namespace meshroute::proxy {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;

// Envoy's exact matcher on subject alt names: a DNS name (a wildcard in the certificate covers
// one label), an IP address, or a URI (spiffe://...) equal to one of `names`. The subject's
// common name never counts.
bool certificateNames(X509* cert, const std::vector<std::string>& names) {
  constexpr unsigned kFlags =
      X509_CHECK_FLAG_NEVER_CHECK_SUBJECT | X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS;
  for (const std::string& n : names) {
    if (X509_check_host(cert, n.data(), n.size(), kFlags, nullptr) == 1) return true;
    if (X509_check_ip_asc(cert, n.c_str(), 0) == 1) return true;
  }
  auto* sans =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  bool found = false;
  for (int i = 0; sans != nullptr && i < sk_GENERAL_NAME_num(sans) && !found; ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(sans, i);
    if (g->type != GEN_URI) continue;
    const std::string_view uri(
        reinterpret_cast<const char*>(ASN1_STRING_get0_data(g->d.uniformResourceIdentifier)),
        static_cast<size_t>(ASN1_STRING_length(g->d.uniformResourceIdentifier)));
    for (const std::string& n : names) found = found || uri == n;
  }
  GENERAL_NAMES_free(sans);
  return found;
}

int transportIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

class TlsTransport final : public Transport {
 public:
  TlsTransport(asio::io_context& io, std::shared_ptr<const runtime::TlsClientContext> context,
               TlsPeer peer)
      : context_(std::move(context)),
        state_(std::make_shared<State>(io, context_->native())),
        stream_(state_->stream),
        peer_(std::move(peer)) {}

  // Asio's SSL operations touch the stream after the socket's part completes, even when it
  // was aborted: the stream lives until the aborted operations have run.
  ~TlsTransport() override {
    boost::system::error_code ec;
    stream_.next_layer().close(ec);
    asio::post(stream_.get_executor(), [keep = std::move(state_)] {});
  }
  TlsTransport(const TlsTransport&) = delete;
  TlsTransport& operator=(const TlsTransport&) = delete;

  awaitable<bool> connect(const asio::ip::tcp::endpoint& endpoint) override {
    boost::system::error_code ec;
    auto& socket = stream_.next_layer();
    co_await socket.async_connect(endpoint, asio::redirect_error(use_awaitable, ec));
    if (ec || !socket.is_open()) co_return false;
    socket.set_option(asio::ip::tcp::no_delay(true), ec);
    SSL* ssl = stream_.native_handle();
    if (!peer_.sni.empty()) {
      boost::system::error_code ip_error;
      asio::ip::make_address(peer_.sni, ip_error);
      if (ip_error) SSL_set_tlsext_host_name(ssl, peer_.sni.c_str());  // never an address
    }
    if (context_->verifies() && !peer_.names.empty()) {
      SSL_set_ex_data(ssl, transportIndex(), this);
      SSL_set_verify(ssl, SSL_VERIFY_PEER, &TlsTransport::checkNames);
    }
    ERR_clear_error();
    co_await stream_.async_handshake(asio::ssl::stream_base::client,
                                     asio::redirect_error(use_awaitable, ec));
    if (ec) {
      noteFailure(ec);
      co_return false;
    }
    co_return socket.is_open();
  }

  // Bytes go through OpenSSL's records and Asio's engine: nothing can be sent "now" without a
  // wait, so everything goes through send().
  bool trySend(SendParts& /*parts*/) override { return stream_.next_layer().is_open(); }

  // One record for the whole message where it fits, not one per part.
  awaitable<bool> send(SendParts parts) override {
    size_t pieces = 0;
    for (std::string_view p : parts) pieces += p.empty() ? 0 : 1;
    boost::system::error_code ec;
    if (pieces <= 1) {
      std::string_view only;
      for (std::string_view p : parts) only = p.empty() ? only : p;
      co_await asio::async_write(stream_, asio::buffer(only.data(), only.size()),
                                 asio::redirect_error(use_awaitable, ec));
    } else {
      write_buf_.clear();
      for (std::string_view p : parts) write_buf_.append(p);
      co_await asio::async_write(stream_, asio::buffer(write_buf_),
                                 asio::redirect_error(use_awaitable, ec));
    }
    if (ec) noteFailure(ec);
    co_return !ec;
  }

  awaitable<size_t> readSome(asio::mutable_buffer buf) override {
    boost::system::error_code ec;
    const size_t n = co_await stream_.async_read_some(buf, asio::redirect_error(use_awaitable, ec));
    if (ec) noteFailure(ec);
    co_return ec ? 0 : n;
  }

  void close() override {
    boost::system::error_code ec;
    stream_.next_layer().close(ec);
  }

  [[nodiscard]] bool isOpen() const override { return stream_.next_layer().is_open(); }

  void setKeepalive(const upstream::KeepalivePolicy& policy) override {
    auto& socket = stream_.next_layer();
    if (socket.is_open()) setSocketKeepalive(socket.native_handle(), policy);
  }

  // A read through the TLS layer, so that records the server may send unasked are read as
  // data (an alert or close_notify ends the connection's reuse, as anything unasked does).
  void watchIdle(std::function<void()> on_close) override {
    stream_.async_read_some(
        asio::buffer(&state_->watch_byte, 1),
        [on_close = std::move(on_close)](const boost::system::error_code& e, size_t) {
          if (e == asio::error::operation_aborted) return;
          on_close();
        });
  }

  void cancelWatch() override {
    boost::system::error_code ec;
    stream_.next_layer().cancel(ec);
  }

  [[nodiscard]] std::string_view failureReason() const override { return failure_; }
  [[nodiscard]] TransportFailure failure() const override { return kind_; }

 private:
  static int checkNames(int preverified, X509_STORE_CTX* store) {
    if (preverified != 1) return 0;
    if (X509_STORE_CTX_get_error_depth(store) != 0) return 1;  // only the leaf carries names
    auto* ssl =
        static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    auto* self = static_cast<TlsTransport*>(SSL_get_ex_data(ssl, transportIndex()));
    if (self == nullptr) return 0;
    if (certificateNames(X509_STORE_CTX_get_current_cert(store), self->peer_.names)) return 1;
    std::string list;
    for (const std::string& n : self->peer_.names) list += (list.empty() ? "" : ", ") + n;
    self->name_failure_ = "no subject alt name of the certificate matches " + list;
    X509_STORE_CTX_set_error(store, X509_V_ERR_HOSTNAME_MISMATCH);
    return 0;
  }

  // The reason in Envoy's shape, OpenSSL's words, and the certificate check's when it failed.
  void noteFailure(const boost::system::error_code& ec) {
    if (!failure_.empty() || ec == asio::error::operation_aborted) return;
    if (ec.category() != asio::error::get_ssl_category()) return;  // the socket's: said already
    char buf[256];
    ERR_error_string_n(static_cast<unsigned long>(ec.value()), buf, sizeof buf);
    std::string reason = buf;
    kind_ = TransportFailure::kTls;
    if (!name_failure_.empty()) {
      reason += ":" + name_failure_;
      kind_ = TransportFailure::kTlsVerifySan;
    } else if (const long v = SSL_get_verify_result(stream_.native_handle()); v != X509_V_OK) {
      reason += ":";
      reason += X509_verify_cert_error_string(v);
      kind_ = TransportFailure::kTlsVerify;
    }
    failure_ = runtime::tlsFailureReason(reason);
  }

  struct State {
    State(asio::io_context& io, asio::ssl::context& context) : stream(io, context) {}
    asio::ssl::stream<asio::ip::tcp::socket> stream;
    char watch_byte = 0;  // where the idle watch's read lands
  };
  std::shared_ptr<const runtime::TlsClientContext> context_;  // first: the stream is made from it
  std::shared_ptr<State> state_;
  asio::ssl::stream<asio::ip::tcp::socket>& stream_;  // state_'s
  TlsPeer peer_;
  std::string write_buf_;
  std::string failure_;
  std::string name_failure_;
  TransportFailure kind_ = TransportFailure::kNone;
};

}  // namespace

std::unique_ptr<Transport> makeTlsTransport(
    asio::io_context& io, std::shared_ptr<const runtime::TlsClientContext> context, TlsPeer peer) {
  return std::make_unique<TlsTransport>(io, std::move(context), std::move(peer));
}

}  // namespace meshroute::proxy
