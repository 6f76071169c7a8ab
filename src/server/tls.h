// TLS for the RESP port, with OpenSSL: the server-wide context (certificate,
// key, client-certificate policy) and one session per connection.
//
// The event loop stays non-blocking and level-triggered. A TlsConnection is
// used in place of read(2)/send(2) on the client's socket and answers the
// same way (bytes, 0 for a closed peer, -1 with errno EAGAIN when the socket
// must become ready first, -1 with another errno on a fatal error), so the
// loop needs only three extra facts from it:
//   * TLS may need the socket writable to go on reading (handshake
//     messages, TLS 1.3 key updates) or readable to go on writing;
//     read_needs_writable() / write_needs_readable() tell the loop which
//     epoll interest to add;
//   * OpenSSL may hold decrypted bytes that epoll cannot see
//     (HasBufferedPlaintext), so a reader that stops early must not stop
//     while it has some;
//   * a connection closed before its handshake finished counts as a
//     handshake failure (handshake_done).
// The handshake itself happens inside the first reads (SSL_read in accept
// state), so accepting a TLS client costs no extra loop state.
//
// Policy: TLS 1.2 and 1.3 only, renegotiation and compression off, client
// certificates as Redis's tls-auth-clients says (see ServerConfig).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <memory>
#include <string>

#include "server/server_config.h"
#include "walnut/status.h"

// OpenSSL's types, declared here so that users of this header (the Client
// struct is included almost everywhere) do not pull in <openssl/ssl.h>.
typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace walnut::server {

class TlsConnection {
 public:
  explicit TlsConnection(SSL* ssl) : ssl_(ssl) {}
  ~TlsConnection();
  TlsConnection(const TlsConnection&) = delete;
  TlsConnection& operator=(const TlsConnection&) = delete;

  // read(2)-like: up to n plaintext bytes; 0 when the peer closed; -1 with
  // errno EAGAIN (wait for the socket; see read_needs_writable) or EIO /
  // the socket's errno (fatal: close the connection; error() says why).
  ssize_t Read(void* buf, size_t n);
  // send(2)-like, partial writes allowed. After EAGAIN the caller must retry
  // with the same bytes first (it may pass more after them, and the buffer
  // may have moved: SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER).
  ssize_t Write(const void* buf, size_t n);

  // Decrypted (or read-ahead) bytes held inside OpenSSL: epoll will not
  // report them, so a reader must keep reading while this is true.
  bool HasBufferedPlaintext() const;
  bool read_needs_writable() const { return read_needs_writable_; }
  bool write_needs_readable() const { return write_needs_readable_; }
  bool handshake_done() const { return handshake_done_; }
  // The last fatal error, for the log ("" if none).
  const std::string& error() const { return error_; }
  // Sends close_notify if the session is healthy (one non-blocking attempt;
  // the socket is closed right after either way).
  void Shutdown();

 private:
  // Maps an SSL_read/SSL_write failure to the read(2)-style result.
  ssize_t Fail(int ret, bool reading);

  SSL* ssl_;
  bool handshake_done_ = false;
  bool fatal_ = false;
  bool read_needs_writable_ = false;
  bool write_needs_readable_ = false;
  std::string error_;
};

class TlsContext {
 public:
  // Loads config.tls_cert_file (a PEM chain), tls_key_file (an unencrypted
  // PEM key; it must match the certificate) and, if set, tls_ca_cert_file
  // (the CAs client certificates must chain to). The message of a failure
  // names the flag, the file and OpenSSL's reason.
  static walnut::Result<std::unique_ptr<TlsContext>> Create(const ServerConfig& config);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // A server-side session on an accepted non-blocking socket (the socket
  // stays owned by the caller). Null only if OpenSSL is out of memory.
  std::unique_ptr<TlsConnection> Accept(int fd);

  // How client certificates are treated, in words, for the start-up log.
  const std::string& client_cert_policy() const { return policy_; }

 private:
  explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
  std::string policy_;
};

}  // namespace walnut::server
