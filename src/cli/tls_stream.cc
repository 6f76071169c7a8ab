// TlsStream over OpenSSL (see tls_stream.h).
#include "cli/tls_stream.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace walnut::cli {
namespace {

// The oldest queued OpenSSL error's reason (and clears the queue).
std::string OpenSslReason(const std::string& fallback) {
  unsigned long e = ERR_get_error();
  std::string text;
  if (e != 0) {
    const char* r = ERR_reason_error_string(e);
    text = r != nullptr ? r : "error " + std::to_string(e);
  }
  ERR_clear_error();
  return text.empty() ? fallback : text;
}

timeval ToTimeval(double seconds) {
  timeval tv;
  tv.tv_sec = static_cast<time_t>(seconds);
  tv.tv_usec = static_cast<suseconds_t>((seconds - static_cast<double>(tv.tv_sec)) * 1e6);
  return tv;
}

// A connected blocking TCP socket, the connect bounded by timeout_seconds.
Result<int> ConnectTcp(const std::string& host, int port, double timeout_seconds) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int gai = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
  if (gai != 0) return Status::IOError(std::string("cannot resolve host: ") + gai_strerror(gai));
  std::string last = "no address";
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
      last = std::strerror(errno);
      continue;
    }
    int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      int ready = poll(&p, 1, static_cast<int>(timeout_seconds * 1000));
      int err = ETIMEDOUT;
      socklen_t len = sizeof(err);
      if (ready == 1) getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      rc = err == 0 ? 0 : -1;
      errno = err;
    }
    if (rc != 0) {
      last = std::strerror(errno);
      close(fd);
      continue;
    }
    // Blocking from here on, every read and write bounded by the timeout.
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    timeval tv = ToTimeval(timeout_seconds);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    freeaddrinfo(res);
    return fd;
  }
  freeaddrinfo(res);
  return Status::IOError(last);
}

bool IsIpAddress(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

Result<std::unique_ptr<TlsStream>> TlsStream::Connect(const std::string& host, int port,
                                                      double timeout_seconds,
                                                      const TlsOptions& options) {
  std::unique_ptr<TlsStream> s(new TlsStream());
  ERR_clear_error();
  s->ctx_ = SSL_CTX_new(TLS_client_method());
  if (s->ctx_ == nullptr) return Status::IOError("TLS: " + OpenSslReason("out of memory"));
  SSL_CTX_set_min_proto_version(s->ctx_, TLS1_2_VERSION);
  SSL_CTX_set_verify(s->ctx_, SSL_VERIFY_PEER, nullptr);
  if (options.cacert.empty()) {
    SSL_CTX_set_default_verify_paths(s->ctx_);
  } else if (SSL_CTX_load_verify_locations(s->ctx_, options.cacert.c_str(), nullptr) != 1) {
    return Status::InvalidArgument("--cacert '" + options.cacert +
                                   "': " + OpenSslReason("not a usable PEM CA file"));
  }
  if (!options.cert.empty() || !options.key.empty()) {
    if (options.cert.empty() || options.key.empty()) {
      return Status::InvalidArgument("--cert and --key go together");
    }
    if (SSL_CTX_use_certificate_chain_file(s->ctx_, options.cert.c_str()) != 1) {
      return Status::InvalidArgument("--cert '" + options.cert +
                                     "': " + OpenSslReason("not a usable PEM certificate"));
    }
    if (SSL_CTX_use_PrivateKey_file(s->ctx_, options.key.c_str(), SSL_FILETYPE_PEM) != 1) {
      return Status::InvalidArgument("--key '" + options.key +
                                     "': " + OpenSslReason("not a usable PEM key for --cert"));
    }
  }

  Result<int> fd = ConnectTcp(host, port, timeout_seconds);
  if (!fd.ok()) return fd.status();
  s->fd_ = fd.value();
  s->ssl_ = SSL_new(s->ctx_);
  if (s->ssl_ == nullptr || SSL_set_fd(s->ssl_, s->fd_) != 1) {
    return Status::IOError("TLS: " + OpenSslReason("out of memory"));
  }
  // The certificate must name the host we dialled, not merely be signed by
  // a trusted CA.
  X509_VERIFY_PARAM* param = SSL_get0_param(s->ssl_);
  if (IsIpAddress(host)) {
    X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
  } else {
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
    SSL_set_tlsext_host_name(s->ssl_, host.c_str());
  }
  if (SSL_connect(s->ssl_) != 1) {
    std::string why = OpenSslReason("");
    long verify = SSL_get_verify_result(s->ssl_);
    if (verify != X509_V_OK) {
      return Status::IOError(std::string("TLS: the server's certificate was not accepted: ") +
                             X509_verify_cert_error_string(verify) +
                             " (--cacert names the CA that signed it)");
    }
    if (why.empty()) {
      why = errno == EAGAIN || errno == EWOULDBLOCK ? "timed out"
                                                    : "the server closed the connection";
    }
    return Status::IOError("TLS handshake failed: " + why + " (is this the server's --tls-port?)");
  }
  return s;
}

TlsStream::~TlsStream() {
  if (ssl_ != nullptr) {
    // close_notify, so the server sees a clean end (best effort).
    if (SSL_is_init_finished(ssl_)) SSL_shutdown(ssl_);
    SSL_free(ssl_);
  }
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  if (fd_ >= 0) close(fd_);
}

Status TlsStream::WriteAll(std::string_view bytes) {
  while (!bytes.empty()) {
    ERR_clear_error();
    size_t n = 0;
    if (SSL_write_ex(ssl_, bytes.data(), bytes.size(), &n) != 1) {
      // On a blocking socket "want write" can only mean SO_SNDTIMEO expired.
      int err = SSL_get_error(ssl_, 0);
      return Status::IOError(err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ
                                 ? std::string("timed out writing")
                                 : OpenSslReason("connection lost while writing"));
    }
    bytes.remove_prefix(n);
  }
  return Status::OK();
}

Result<size_t> TlsStream::Read(char* buf, size_t n) {
  ERR_clear_error();
  size_t got = 0;
  if (SSL_read_ex(ssl_, buf, n, &got) == 1) return got;
  int err = SSL_get_error(ssl_, 0);
  if (err == SSL_ERROR_ZERO_RETURN) return Status::IOError("the server closed the connection");
  // On a blocking socket "want read" can only mean SO_RCVTIMEO expired.
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE ||
      (err == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK))) {
    return Status::IOError("timed out waiting for the reply");
  }
  // A server that refuses our client certificate (TLS 1.3) says so only
  // at the first read, with an alert.
  return Status::IOError(OpenSslReason("the server closed the connection"));
}

}  // namespace walnut::cli
