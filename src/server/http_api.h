// HttpApi: the HTTP JSON front end of walnut-server, kept from the original
// kv-log-store design, next to the Redis protocol.
//
// Routes (JSON in and out; every reply carries "success": "true"|"false"):
//   POST /set           {"key": K, "value": V}   -> 200 {"success","message"}
//   GET  /get?key=K  or  POST /get {"key": K}   -> 200 {"success","key","value"} | 404
//   POST /delete        {"key": K}               -> 200 {"success","message","deleted"}
//   POST /size/compact                           -> 200 {"success","bytes_before","bytes_after",
//                                                         "bytes_saved","keys_written","seconds"}
//   GET  /size/get                               -> 200 {"success","size","log_bytes",...}
//   GET  /health        (never needs a password)  -> 200 {"status","fsync","keys",...} | 503
//   GET  /metrics       Prometheus text format
// Errors: 400 malformed JSON or a missing/non-string key or value, 401 a
// missing or wrong password (when --requirepass is set), 404 a missing key or
// unknown route, 405 a wrong method, 500/503/507 engine failures; each with
// {"success": "false", "message": M}. A POST without a body (no
// Content-Length) counts as an empty body; a GET request's body is never read
// (HTTP gives it no meaning, and cpp-httplib does not read it), which is why
// the JSON-body form of /get is a POST.
//
// Keys and values are JSON strings, so they are UTF-8 text: this API is for
// humans and scripts. Binary values belong to the RESP API; when /get meets a
// value that is not valid UTF-8, the invalid bytes are shown as U+FFFD.
//
// Every key operation runs on database 0 while holding SharedState::exec_mu,
// so it is atomic with respect to every RESP command, and writes go through
// DB::Write, which returns only once the record is logged (and synced, as the
// fsync mode says) — a 200 means the write is as durable as a RESP "+OK".
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>

#include "server/shared_state.h"
#include "walnut/status.h"

namespace httplib {
class Server;
}

namespace walnut::server {

class HttpApi {
 public:
  // `state` must outlive this object.
  explicit HttpApi(SharedState& state);
  ~HttpApi();  // Stop()s
  HttpApi(const HttpApi&) = delete;
  HttpApi& operator=(const HttpApi&) = delete;

  // Binds `bind`:`port` (port 0: any free port, see port()) and serves in a
  // background thread. Fails with a message naming the address if it cannot
  // listen (e.g. the port is taken). Call at most once.
  walnut::Status Start(const std::string& bind, int port);
  // Stops accepting, finishes requests in flight, joins the thread. Idempotent.
  void Stop();

  // The port actually listened on (after a successful Start).
  int port() const { return port_; }

  // Answers one request given as the raw bytes a client sends (request line,
  // headers, body) and returns the raw response bytes, through the same
  // parsing, authentication, routing and handlers as a connection but
  // without a socket: the request is read from memory and the response
  // written to memory, as if the client closed after sending. For the fuzz
  // target (fuzz/http_json_fuzz.cc); works with or without Start(). Not to be
  // called concurrently with Start() or Stop().
  std::string HandleRawRequest(std::string_view request);

 private:
  // Creates server_ with its limits and routes (once), without listening.
  void Configure();
  void RegisterRoutes();
  // Counts a finished request for /metrics.
  void CountRequest(const std::string& method, const std::string& path, int status);
  std::string RenderMetrics();

  SharedState& state_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  // Set by the serving thread when listen_after_bind returns, so Stop()
  // never waits for a loop that already ended (or never began).
  std::atomic<bool> listen_returned_{false};
  std::chrono::steady_clock::time_point started_;

  std::mutex metrics_mu_;
  // (route, method, status) -> count; guarded by metrics_mu_. Unknown paths
  // are counted as route "other" so a scanner cannot grow this without bound.
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;
};

}  // namespace walnut::server
