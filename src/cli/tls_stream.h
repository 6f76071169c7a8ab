// TlsStream: the `walnut` CLI's TLS connection to a server's --tls-port.
//
// Debian's hiredis (0.14) has no TLS, so with --tls the CLI opens the socket
// itself, runs the OpenSSL handshake on it, and RedisClient feeds what it
// reads into hiredis's reply parser. The socket is blocking with send and
// receive timeouts, which keeps this small: the CLI does one thing at a time.
//
// The server's certificate is always verified: against --cacert if given,
// else the system's CAs; and its name (or IP address) must match the host
// we dialled. --cert/--key present a client certificate (for servers with
// tls-auth-clients yes).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "walnut/status.h"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace walnut::cli {

struct TlsOptions {
  std::string cacert;  // PEM CA file; empty: the system's CAs
  std::string cert;    // client certificate (PEM), optional
  std::string key;     // its private key (PEM), needed with cert
};

class TlsStream {
 public:
  // Connects to host:port and completes the handshake within
  // timeout_seconds (which also bounds every later read and write).
  // IOError says what failed (connect, handshake, certificate check);
  // InvalidArgument for unusable --cacert/--cert/--key files.
  static Result<std::unique_ptr<TlsStream>> Connect(const std::string& host, int port,
                                                    double timeout_seconds,
                                                    const TlsOptions& options);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  // Sends all of `bytes`.
  Status WriteAll(std::string_view bytes);
  // Reads at least one byte into buf (at most n); IOError when the server
  // closed the connection, on a timeout or a TLS error.
  Result<size_t> Read(char* buf, size_t n);

 private:
  TlsStream() = default;
  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
};

}  // namespace walnut::cli
