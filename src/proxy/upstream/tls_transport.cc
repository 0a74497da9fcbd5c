// TLS origination under the Transport interface: OpenSSL straight on the non-blocking socket,
// as nginx does, with Asio only for readiness waits. (Asio's SSL stream runs every operation
// through a memory BIO pair and clears OpenSSL's error queue several times per call: about
// 9,000 instructions per proxied request more than this.) The handshake is part of connect(),
// so the connect timeout covers it, as Envoy's does; its failure says why in Envoy's shape.
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "proxy/upstream/transport.h"
#include "runtime/tls_contexts.h"

namespace meshroute::proxy {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using Wait = asio::ip::tcp::socket::wait_type;

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
    const ASN1_STRING* uri = g->d.uniformResourceIdentifier;
    const std::string_view text(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                                static_cast<size_t>(ASN1_STRING_length(uri)));
    for (const std::string& n : names) found = found || text == n;
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
      : context_(std::move(context)), socket_(io), peer_(std::move(peer)) {}

  ~TlsTransport() override {
    if (ssl_ != nullptr) SSL_free(ssl_);
  }
  TlsTransport(const TlsTransport&) = delete;
  TlsTransport& operator=(const TlsTransport&) = delete;

  awaitable<bool> connect(const asio::ip::tcp::endpoint& endpoint) override {
    boost::system::error_code ec;
    co_await socket_.async_connect(endpoint, asio::redirect_error(use_awaitable, ec));
    if (ec || !socket_.is_open()) co_return false;
    socket_.set_option(asio::ip::tcp::no_delay(true), ec);
    socket_.non_blocking(true, ec);
    ssl_ = SSL_new(context_->native().native_handle());
    if (ssl_ == nullptr || SSL_set_fd(ssl_, socket_.native_handle()) != 1) {
      fail();
      co_return false;
    }
    // A write may take part of a buffer, and the rest may be offered from elsewhere.
    SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (!peer_.sni.empty()) {
      boost::system::error_code ip_error;
      asio::ip::make_address(peer_.sni, ip_error);
      if (ip_error) SSL_set_tlsext_host_name(ssl_, peer_.sni.c_str());  // never an address
    }
    if (context_->verifies() && !peer_.names.empty()) {
      SSL_set_ex_data(ssl_, transportIndex(), this);
      SSL_set_verify(ssl_, SSL_VERIFY_PEER, &TlsTransport::checkNames);
    }
    SSL_set_connect_state(ssl_);
    while (true) {
      const int r = SSL_do_handshake(ssl_);
      if (r == 1) co_return socket_.is_open();
      const int e = SSL_get_error(ssl_, r);
      if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
        fail();
        co_return false;
      }
      if (!co_await ready(e == SSL_ERROR_WANT_READ ? Wait::wait_read : Wait::wait_write)) {
        co_return false;
      }
    }
  }

  // What OpenSSL and the socket take now, as one record where the parts fit in one.
  bool trySend(SendParts& parts) override {
    if (!usable()) return false;
    while (true) {
      size_t pieces = 0;
      std::string_view only;
      for (std::string_view p : parts) {
        if (p.empty()) continue;
        ++pieces;
        only = p;
      }
      if (pieces == 0) return true;
      if (pieces > 1) {
        write_buf_.clear();
        for (std::string_view p : parts) write_buf_.append(p);
        only = write_buf_;
      }
      const int n =
          SSL_write(ssl_, only.data(), static_cast<int>(std::min<size_t>(only.size(), 1 << 30)));
      if (n <= 0) {
        const int e = SSL_get_error(ssl_, n);
        if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) return true;  // later
        fail();
        return false;
      }
      consume(parts, static_cast<size_t>(n));
    }
  }

  awaitable<bool> send(SendParts parts) override {
    while (true) {
      if (!trySend(parts)) co_return false;
      if (parts[0].empty() && parts[1].empty() && parts[2].empty()) co_return true;
      if (!co_await ready(Wait::wait_write)) co_return false;
    }
  }

  awaitable<size_t> readSome(asio::mutable_buffer buf) override {
    while (usable()) {
      const int n =
          SSL_read(ssl_, buf.data(), static_cast<int>(std::min<size_t>(buf.size(), 1 << 30)));
      if (n > 0) co_return static_cast<size_t>(n);
      const int e = SSL_get_error(ssl_, n);
      if (e == SSL_ERROR_ZERO_RETURN) co_return 0;  // close_notify
      if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
        fail();
        co_return 0;
      }
      if (!co_await ready(e == SSL_ERROR_WANT_READ ? Wait::wait_read : Wait::wait_write)) {
        co_return 0;
      }
    }
    co_return 0;
  }

  void close() override {
    boost::system::error_code ec;
    socket_.close(ec);
  }

  [[nodiscard]] bool isOpen() const override { return socket_.is_open(); }

  void setKeepalive(const upstream::KeepalivePolicy& policy) override {
    if (socket_.is_open()) setSocketKeepalive(socket_.native_handle(), policy);
  }

  // Anything the server sends while the connection is idle (an alert, close_notify, data)
  // ends its reuse, as it does for plain TCP; records already read count too.
  void watchIdle(std::function<void()> on_close) override {
    if (ssl_ != nullptr && SSL_pending(ssl_) > 0) {
      asio::post(socket_.get_executor(), std::move(on_close));
      return;
    }
    socket_.async_wait(Wait::wait_read,
                       [on_close = std::move(on_close)](const boost::system::error_code& e) {
                         if (e == asio::error::operation_aborted) return;
                         on_close();
                       });
  }

  void cancelWatch() override {
    boost::system::error_code ec;
    socket_.cancel(ec);
  }

  [[nodiscard]] std::string_view failureReason() const override { return failure_; }
  [[nodiscard]] TransportFailure failure() const override { return kind_; }

 private:
  // OpenSSL is never called on a closed socket: its descriptor may belong to another
  // connection by then.
  [[nodiscard]] bool usable() const { return ssl_ != nullptr && socket_.is_open(); }

  awaitable<bool> ready(Wait what) {
    boost::system::error_code ec;
    co_await socket_.async_wait(what, asio::redirect_error(use_awaitable, ec));
    co_return !ec && socket_.is_open();
  }

  static void consume(SendParts& parts, size_t n) {
    for (std::string_view& p : parts) {
      const size_t take = std::min(n, p.size());
      p.remove_prefix(take);
      n -= take;
    }
  }

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

  // Records why, in Envoy's shape, with OpenSSL's words and the certificate check's when it
  // failed; the error queue is left empty for the next call. A failure of the socket alone
  // (a reset, a close) leaves no OpenSSL error and no reason: the socket's error says it.
  void fail() {
    unsigned long last = 0;
    while (const unsigned long e = ERR_get_error()) last = e;
    if (last == 0 || !failure_.empty()) return;
    char buf[256];
    ERR_error_string_n(last, buf, sizeof buf);
    std::string reason = buf;
    kind_ = TransportFailure::kTls;
    if (!name_failure_.empty()) {
      reason += ":" + name_failure_;
      kind_ = TransportFailure::kTlsVerifySan;
    } else if (const long v = ssl_ != nullptr ? SSL_get_verify_result(ssl_) : X509_V_OK;
               v != X509_V_OK) {
      reason += ":";
      reason += X509_verify_cert_error_string(v);
      kind_ = TransportFailure::kTlsVerify;
    }
    failure_ = runtime::tlsFailureReason(reason);
  }

  std::shared_ptr<const runtime::TlsClientContext> context_;
  asio::ip::tcp::socket socket_;
  SSL* ssl_ = nullptr;
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
