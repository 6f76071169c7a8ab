// TlsContext and TlsConnection over OpenSSL (see tls.h).
#include "server/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace walnut::server {
namespace {

// The oldest queued OpenSSL error as text (and clears the queue), or
// `fallback` if there is none.
std::string OpenSslError(const std::string& fallback) {
  unsigned long e = ERR_get_error();
  std::string text;
  if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    // Keep only the reason ("...:reason:detail"), which is what a person can
    // act on; OpenSSL's numeric prefix adds nothing.
    text = buf;
    if (const char* r = ERR_reason_error_string(e)) text = r;
  }
  ERR_clear_error();
  return text.empty() ? fallback : text;
}

// A file we are about to hand to OpenSSL: a missing or unreadable file
// gets the operating system's reason, which OpenSSL's message hides.
walnut::Status CheckReadable(const char* flag, const std::string& path) {
  if (access(path.c_str(), R_OK) != 0) {
    return walnut::Status::InvalidArgument(std::string("--") + flag + " '" + path +
                                           "': " + std::strerror(errno));
  }
  return walnut::Status::OK();
}

walnut::Status Bad(const char* flag, const std::string& path, const std::string& what) {
  return walnut::Status::InvalidArgument(std::string("--") + flag + " '" + path + "': " + what +
                                         ": " + OpenSslError("unknown OpenSSL error"));
}

// An encrypted key would make OpenSSL prompt on the terminal for a
// passphrase, which a server must never do: refuse instead (no passphrase).
int NoPassphrase(char*, int, int, void*) { return -1; }

}  // namespace

// ---- TlsConnection -----------------------------------------------------------

TlsConnection::~TlsConnection() { SSL_free(ssl_); }

ssize_t TlsConnection::Fail(int ret, bool reading) {
  int err = SSL_get_error(ssl_, ret);
  switch (err) {
    case SSL_ERROR_WANT_READ:
      if (reading) {
        read_needs_writable_ = false;
      } else {
        write_needs_readable_ = true;
      }
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_WANT_WRITE:
      if (reading) {
        read_needs_writable_ = true;
      } else {
        write_needs_readable_ = false;
      }
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_ZERO_RETURN:
      return 0;  // close_notify: the peer closed cleanly
    case SSL_ERROR_SYSCALL: {
      int e = errno;
      fatal_ = true;
      // With SSL_OP_IGNORE_UNEXPECTED_EOF a bare EOF is ZERO_RETURN; here
      // the socket itself failed (reset, ...).
      error_ = e != 0 ? std::strerror(e) : OpenSslError("connection lost");
      ERR_clear_error();
      errno = e != 0 ? e : EIO;
      return -1;
    }
    default:
      fatal_ = true;
      error_ = OpenSslError("TLS error");
      errno = EIO;
      return -1;
  }
}

ssize_t TlsConnection::Read(void* buf, size_t n) {
  // The error queue is per thread and shared by every connection: clear it
  // so SSL_get_error judges this call only.
  ERR_clear_error();
  size_t got = 0;
  if (SSL_read_ex(ssl_, buf, n, &got) == 1) {
    handshake_done_ = true;
    read_needs_writable_ = false;
    return static_cast<ssize_t>(got);
  }
  ssize_t r = Fail(0, /*reading=*/true);
  if (!handshake_done_ && SSL_is_init_finished(ssl_)) handshake_done_ = true;
  return r;
}

ssize_t TlsConnection::Write(const void* buf, size_t n) {
  ERR_clear_error();
  size_t wrote = 0;
  if (SSL_write_ex(ssl_, buf, n, &wrote) == 1) {
    write_needs_readable_ = false;
    return static_cast<ssize_t>(wrote);
  }
  return Fail(0, /*reading=*/false);
}

bool TlsConnection::HasBufferedPlaintext() const { return SSL_has_pending(ssl_) == 1; }

void TlsConnection::Shutdown() {
  if (fatal_ || !SSL_is_init_finished(ssl_)) return;
  ERR_clear_error();
  (void)SSL_shutdown(ssl_);
  ERR_clear_error();
}

// ---- TlsContext --------------------------------------------------------------

walnut::Result<std::unique_ptr<TlsContext>> TlsContext::Create(const ServerConfig& config) {
  const std::string& cert = config.tls_cert_file;
  const std::string& key = config.tls_key_file;
  const std::string& ca = config.tls_ca_cert_file;
  if (walnut::Status s = CheckReadable("tls-cert-file", cert); !s.ok()) return s;
  if (walnut::Status s = CheckReadable("tls-key-file", key); !s.ok()) return s;
  if (!ca.empty()) {
    if (walnut::Status s = CheckReadable("tls-ca-cert-file", ca); !s.ok()) return s;
  }

  ERR_clear_error();
  SSL_CTX* raw = SSL_CTX_new(TLS_server_method());
  if (raw == nullptr) {
    return walnut::Status::IOError("cannot create the TLS context: " +
                                   OpenSslError("out of memory"));
  }
  std::unique_ptr<TlsContext> ctx(new TlsContext(raw));

  // TLS 1.0 and 1.1 are deprecated (RFC 8996). Renegotiation is off: it
  // only matters to TLS 1.2 and would let a client make the server do
  // handshakes at will. Compression is off (CRIME).
  SSL_CTX_set_min_proto_version(raw, TLS1_2_VERSION);
  SSL_CTX_set_options(raw, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE |
                               // RESP frames itself, so a truncated stream
                               // is just a closed connection: treat a close
                               // without close_notify (what redis-cli and
                               // most clients do) as an ordinary EOF.
                               SSL_OP_IGNORE_UNEXPECTED_EOF);
  // Partial writes let one SSL_write send what the socket takes; moving
  // buffers, because a client's output string may grow (and move) between
  // a write that would block and its retry.
  // Released buffers: an idle connection then holds no 16 KiB record
  // buffers (measured with 1,000 idle TLS clients: RSS ~29 KB per client
  // without it, ~15 KB with it).
  SSL_CTX_set_mode(raw, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_default_passwd_cb(raw, NoPassphrase);

  if (SSL_CTX_use_certificate_chain_file(raw, cert.c_str()) != 1) {
    return Bad("tls-cert-file", cert, "not a usable PEM certificate");
  }
  if (SSL_CTX_use_PrivateKey_file(raw, key.c_str(), SSL_FILETYPE_PEM) != 1) {
    // OpenSSL compares the key with the certificate while loading it; a
    // readable key of another certificate deserves its own message.
    unsigned long e = ERR_peek_last_error();
    bool mismatch =
        ERR_GET_LIB(e) == ERR_LIB_X509 && (ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH ||
                                           ERR_GET_REASON(e) == X509_R_KEY_TYPE_MISMATCH);
    if (mismatch) {
      return Bad("tls-key-file", key,
                 "does not match the certificate in --tls-cert-file '" + cert + "'");
    }
    return Bad("tls-key-file", key, "not a usable unencrypted PEM private key");
  }
  if (SSL_CTX_check_private_key(raw) != 1) {
    return Bad("tls-key-file", key,
               "does not match the certificate in --tls-cert-file '" + cert + "'");
  }

  if (!ca.empty()) {
    if (SSL_CTX_load_verify_locations(raw, ca.c_str(), nullptr) != 1) {
      return Bad("tls-ca-cert-file", ca, "not a usable PEM CA certificate");
    }
    // Tell clients which CAs we accept, so one with several certificates
    // can pick the right one.
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(ca.c_str())) {
      SSL_CTX_set_client_CA_list(raw, names);
    }
    ERR_clear_error();
  }
  // Without a CA there is nothing to check a client certificate against,
  // so none is asked for (ValidateConfig refuses an explicit yes/optional
  // without a CA, as Redis does).
  TlsAuthClients auth = ca.empty() ? TlsAuthClients::kNo : config.tls_auth_clients;
  switch (auth) {
    case TlsAuthClients::kYes:
      SSL_CTX_set_verify(raw, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      ctx->policy_ = "client certificates required (CA " + ca + ")";
      break;
    case TlsAuthClients::kOptional:
      SSL_CTX_set_verify(raw, SSL_VERIFY_PEER, nullptr);
      ctx->policy_ = "client certificates checked if sent (CA " + ca + ")";
      break;
    case TlsAuthClients::kNo:
      SSL_CTX_set_verify(raw, SSL_VERIFY_NONE, nullptr);
      ctx->policy_ = ca.empty() ? "client certificates not requested (no --tls-ca-cert-file)"
                                : "client certificates not requested";
      break;
  }
  // Session resumption with client verification needs a session id context
  // (OpenSSL refuses to resume without one).
  static const unsigned char kSessionContext[] = "walnut";
  SSL_CTX_set_session_id_context(raw, kSessionContext, sizeof(kSessionContext) - 1);
  return ctx;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

std::unique_ptr<TlsConnection> TlsContext::Accept(int fd) {
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) {
    ERR_clear_error();
    return nullptr;
  }
  // SSL_set_fd makes a socket BIO that does not close fd: the server owns
  // and closes the socket.
  if (SSL_set_fd(ssl, fd) != 1) {
    SSL_free(ssl);
    ERR_clear_error();
    return nullptr;
  }
  SSL_set_accept_state(ssl);
  return std::make_unique<TlsConnection>(ssl);
}

}  // namespace walnut::server
