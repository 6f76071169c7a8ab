// Implementation of the HTTP JSON API (see http_api.h): request parsing,
// authentication, the key routes, compaction, health and Prometheus metrics,
// on cpp-httplib's threaded server.
//
// Nothing here lets an exception escape: nlohmann::json is used in its
// non-throwing forms (parse(..., false), dump with error_handler_t::replace)
// and every handler runs inside a catch-all that answers 500, because an
// exception unwinding into httplib's worker threads would end the process.
#include "server/http_api.h"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>
#include <vector>

#include "walnut/write_batch.h"

namespace walnut::server {

namespace {

using json = nlohmann::json;
using httplib::Request;
using httplib::Response;

// Largest request body accepted (values bigger than this belong on RESP,
// whose limit is 512 MiB; a JSON API has no business buffering that much).
constexpr size_t kMaxBodyBytes = 64ull << 20;
// Worker threads: requests are short and serialised on exec_mu anyway, so a
// few threads only serve to keep one slow client from blocking the rest.
constexpr size_t kWorkerThreads = 4;

struct RouteSpec {
  const char* path;
  const char* methods;  // allowed methods, comma-separated
};
// The one table of routes and their methods; anything else on these paths
// answers 405, and other paths 404.
constexpr RouteSpec kRoutes[] = {
    // /get also takes POST because a GET request's body is never read by
    // cpp-httplib (and has no defined meaning in HTTP); POST /get carries the
    // original design's JSON-body form.
    {"/set", "POST"},     {"/get", "GET,POST"}, {"/delete", "POST"}, {"/size/compact", "POST"},
    {"/size/get", "GET"}, {"/health", "GET"},   {"/metrics", "GET"},
};

std::string Dump(const json& j) {
  // replace: a value that is not valid UTF-8 (written over RESP) must not
  // make the reply fail; its bad bytes show as U+FFFD.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

void SendJson(Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(Dump(body), "application/json");
}

void SendError(Response& res, int status, const std::string& message) {
  SendJson(res, status, json{{"success", "false"}, {"message", message}});
}

// The HTTP status that best tells a client what an engine error means.
int HttpStatusFor(const Status& s) {
  if (s.IsInvalidArgument()) return 400;
  if (s.IsNoSpace()) return 507;
  if (s.IsClosed() || s.IsBusy()) return 503;
  return 500;
}

const char* FsyncName(FsyncMode mode) {
  switch (mode) {
    case FsyncMode::kAlways:
      return "always";
    case FsyncMode::kEverySec:
      return "everysec";
    case FsyncMode::kNo:
      return "no";
  }
  return "unknown";
}

// Compares without an early exit, so the time taken does not reveal how
// many leading bytes of a guessed password were right.
bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  size_t n = std::max(a.size(), b.size());
  unsigned diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned>(x ^ y);
  }
  return diff == 0;
}

// Standard base64 (RFC 4648) as used by HTTP Basic auth; false on bad input.
bool Base64Decode(std::string_view in, std::string* out) {
  out->clear();
  uint32_t acc = 0;
  int bits = 0;
  for (char ch : in) {
    int v;
    if (ch >= 'A' && ch <= 'Z') {
      v = ch - 'A';
    } else if (ch >= 'a' && ch <= 'z') {
      v = ch - 'a' + 26;
    } else if (ch >= '0' && ch <= '9') {
      v = ch - '0' + 52;
    } else if (ch == '+') {
      v = 62;
    } else if (ch == '/') {
      v = 63;
    } else if (ch == '=') {
      break;
    } else {
      return false;
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return true;
}

// True if the request carries the password, as "Bearer <pass>" or as HTTP
// Basic auth with any user name (Redis's default user has none to check).
bool Authorized(const Request& req, const std::string& password) {
  std::string header = req.get_header_value("Authorization");
  std::string_view h = header;
  constexpr std::string_view kBearer = "Bearer ";
  constexpr std::string_view kBasic = "Basic ";
  if (h.substr(0, kBearer.size()) == kBearer) {
    return ConstantTimeEquals(h.substr(kBearer.size()), password);
  }
  if (h.substr(0, kBasic.size()) == kBasic) {
    std::string decoded;
    if (!Base64Decode(h.substr(kBasic.size()), &decoded)) return false;
    size_t colon = decoded.find(':');
    if (colon == std::string::npos) return false;
    return ConstantTimeEquals(std::string_view(decoded).substr(colon + 1), password);
  }
  return false;
}

// Parses the body as a JSON object. On failure answers 400 and returns false.
bool ParseObject(const std::string& text, Response& res, json* out) {
  *out = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (out->is_discarded()) {
    SendError(res, 400, "malformed JSON in request body");
    return false;
  }
  if (!out->is_object()) {
    SendError(res, 400, "request body must be a JSON object");
    return false;
  }
  return true;
}

// Reads the string field `name` of `obj`. On failure answers 400.
bool StringField(const json& obj, const char* name, Response& res, std::string* out) {
  auto it = obj.find(name);
  if (it == obj.end()) {
    SendError(res, 400, std::string("missing \"") + name + "\" in request body");
    return false;
  }
  if (!it->is_string()) {
    SendError(res, 400, std::string("\"") + name + "\" must be a string");
    return false;
  }
  *out = it->get<std::string>();
  return true;
}

// A connection held in memory: reads come from the request bytes (then end
// of stream, as if the client had closed), writes go to a string.
class MemoryStream final : public httplib::Stream {
 public:
  explicit MemoryStream(std::string_view request) : in_(request) {}
  bool is_readable() const override { return true; }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override {
    size_t n = std::min(size, in_.size());
    std::memcpy(ptr, in_.data(), n);
    in_.remove_prefix(n);
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    out_.append(ptr, size);
    return static_cast<ssize_t>(size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 0;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 0;
  }
  socket_t socket() const override { return INVALID_SOCKET; }
  std::string& output() { return out_; }

 private:
  std::string_view in_;
  std::string out_;
};

// httplib::Server with its (protected) per-request entry point opened up,
// so HandleRawRequest can run a request through the real request parsing and
// routing without a socket.
class InProcessServer final : public httplib::Server {
 public:
  std::string Process(std::string_view request) {
    MemoryStream stream(request);
    bool closed = false;
    process_request(stream, /*close_connection=*/true, closed, [](httplib::Request&) {});
    return std::move(stream.output());
  }
};

// Copies the engine handle under exec_mu (it may be swapped by DEBUG RELOAD)
// for operations that must not hold the lock (compaction, stats).
std::shared_ptr<DB> CurrentDb(SharedState& state) {
  std::lock_guard<std::mutex> lock(state.exec_mu);
  return state.db;
}

}  // namespace

HttpApi::HttpApi(SharedState& state) : state_(state) {}

HttpApi::~HttpApi() { Stop(); }

void HttpApi::Configure() {
  if (server_ != nullptr) return;
  server_ = std::make_unique<InProcessServer>();
  started_ = std::chrono::steady_clock::now();
  server_->new_task_queue = [] { return new httplib::ThreadPool(kWorkerThreads); };
  server_->set_payload_max_length(kMaxBodyBytes);
  server_->set_read_timeout(std::chrono::seconds(10));
  server_->set_write_timeout(std::chrono::seconds(10));
  // httplib's default also sets SO_REUSEPORT, which lets a second server
  // bind the same port and silently share its connections. SO_REUSEADDR
  // alone allows a quick restart (TIME_WAIT) but makes a taken port an error.
  server_->set_socket_options([](int sock) {
    int one = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  });
  RegisterRoutes();
}

std::string HttpApi::HandleRawRequest(std::string_view request) {
  Configure();
  return static_cast<InProcessServer&>(*server_).Process(request);
}

Status HttpApi::Start(const std::string& bind, int port) {
  if (thread_.joinable()) return Status::InvalidArgument("HTTP API already started");
  Configure();

  errno = 0;
  int bound = -1;
  if (port == 0) {
    bound = server_->bind_to_any_port(bind);
  } else if (server_->bind_to_port(bind, port)) {
    bound = port;
  }
  if (bound <= 0) {
    int err = errno;
    server_.reset();
    std::string msg = "cannot listen for HTTP on " + bind + ":" + std::to_string(port);
    if (err != 0) msg += ": " + std::string(std::strerror(err));
    msg += " (choose another port with --http-port, or --http-port 0 to turn HTTP off)";
    return Status::IOError(msg);
  }
  port_ = bound;
  started_ = std::chrono::steady_clock::now();
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    listen_returned_ = true;
  });
  return Status::OK();
}

void HttpApi::Stop() {
  if (server_ == nullptr) return;
  if (thread_.joinable()) {
    // httplib's stop() is a no-op until the loop runs, so wait for the loop
    // to begin (or to have ended) before asking it to stop.
    while (!server_->is_running() && !listen_returned_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    server_->stop();
    thread_.join();
  }
  server_.reset();
}

void HttpApi::CountRequest(const std::string& method, const std::string& path, int status) {
  bool known = std::any_of(std::begin(kRoutes), std::end(kRoutes),
                           [&](const RouteSpec& r) { return path == r.path; });
  std::lock_guard<std::mutex> lock(metrics_mu_);
  ++requests_[{known ? path : "other", method, status}];
}

void HttpApi::RegisterRoutes() {
  httplib::Server& s = *server_;

  // Authentication runs before routing so that no route can forget it.
  // /health stays open: a load balancer or `walnut status` probes it without
  // the password, and it reveals nothing but counts.
  s.set_pre_routing_handler([this](const Request& req, Response& res) {
    // httplib never reads the body of a GET, so its bytes stay in the
    // connection and would be parsed as the next request. Asking the client
    // to close the connection after this reply discards them.
    if ((req.method == "GET" || req.method == "HEAD" || req.method == "OPTIONS") &&
        (std::atoll(req.get_header_value("Content-Length").c_str()) > 0 ||
         req.get_header_value("Transfer-Encoding").find("chunked") != std::string::npos)) {
      res.set_header("Connection", "close");
    }
    if (state_.requirepass.empty() || req.path == "/health") {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    if (Authorized(req, state_.requirepass)) return httplib::Server::HandlerResponse::Unhandled;
    res.set_header("WWW-Authenticate", "Basic realm=\"walnut\"");
    SendError(res, 401,
              "authentication required: send 'Authorization: Bearer <password>' or HTTP basic "
              "auth with the server's --requirepass password");
    return httplib::Server::HandlerResponse::Handled;
  });
  s.set_logger([this](const Request& req, const Response& res) {
    CountRequest(req.method, req.path, res.status);
  });
  s.set_error_handler([](const Request& req, Response& res) {
    // Only fills in bodies httplib left empty (unknown route, bad request).
    if (!res.body.empty()) return;
    if (res.status == 404) {
      SendError(res, 404, "no such route: " + req.path);
    } else {
      SendError(res, res.status, "request failed with HTTP status " + std::to_string(res.status));
    }
  });
  s.set_exception_handler([](const Request&, Response& res, std::exception_ptr ep) {
    std::string what = "unknown error";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    SendError(res, 500, "internal error: " + what);
  });

  // A route's logic sees the request and its body, read beforehand (see
  // WithBody below).
  using Logic = std::function<void(const Request&, const std::string& body, Response&)>;

  auto logic_for = [this](std::string_view path) -> Logic {
    if (path == "/set") {
      return [this](const Request&, const std::string& text, Response& res) {
        json body;
        std::string key, value;
        if (!ParseObject(text, res, &body) || !StringField(body, "key", res, &key) ||
            !StringField(body, "value", res, &value)) {
          return;
        }
        WriteBatch batch;
        batch.Put(0, key, value);
        std::lock_guard<std::mutex> lock(state_.exec_mu);
        if (state_.db == nullptr) return SendError(res, 503, "database is not open");
        // DB::Write returns once the record is logged (and synced per the
        // fsync mode), so the 200 below is never ahead of the log.
        Status s = state_.db->Write(batch);
        if (!s.ok()) return SendError(res, HttpStatusFor(s), s.ToString());
        if (state_.on_key_written) state_.on_key_written(0, key);
        SendJson(res, 200, json{{"success", "true"}, {"message", "key set"}});
      };
    }
    if (path == "/get") {
      return [this](const Request& req, const std::string& text, Response& res) {
        std::string key;
        if (req.has_param("key")) {
          key = req.get_param_value("key");
        } else if (req.method == "POST") {
          json body;
          if (!ParseObject(text, res, &body) || !StringField(body, "key", res, &key)) return;
        } else {
          return SendError(res, 400,
                           "missing key: use GET /get?key=K, or POST /get with a JSON body "
                           "{\"key\": K} (a GET request's body is not read)");
        }
        std::shared_ptr<DB> db;
        Result<std::string> value = Status::NotFound();
        {
          std::lock_guard<std::mutex> lock(state_.exec_mu);
          if (state_.db == nullptr) return SendError(res, 503, "database is not open");
          db = state_.db;
          value = db->Get(key);
        }
        // The value may come from a RESP write whose log write (and, with
        // fsync always, fdatasync) the event loop is still doing: it runs
        // FlushLog outside exec_mu. Show nothing a crash could take back:
        // FlushLog returns once everything applied so far is written (and
        // synced if the mode says so), waiting for the loop's own flush if
        // one is under way; with nothing pending it is a lock and a
        // comparison. Not under exec_mu, so the loop is not held up.
        Status flushed = db->FlushLog();
        if (!flushed.ok() && !flushed.IsClosed()) {
          return SendError(res, HttpStatusFor(flushed), flushed.ToString());
        }
        if (!value.ok()) {
          if (value.status().IsNotFound()) return SendError(res, 404, "key not found: " + key);
          return SendError(res, HttpStatusFor(value.status()), value.status().ToString());
        }
        SendJson(res, 200, json{{"success", "true"}, {"key", key}, {"value", *value}});
      };
    }
    if (path == "/delete") {
      return [this](const Request&, const std::string& text, Response& res) {
        json body;
        std::string key;
        if (!ParseObject(text, res, &body) || !StringField(body, "key", res, &key)) return;
        std::lock_guard<std::mutex> lock(state_.exec_mu);
        if (state_.db == nullptr) return SendError(res, 503, "database is not open");
        // Checked under exec_mu, so nothing can create the key between the
        // check and the delete; a missing key costs no log record.
        if (!state_.db->Exists(0, key)) {
          return SendJson(
              res, 200,
              json{{"success", "true"}, {"message", "key did not exist"}, {"deleted", false}});
        }
        WriteBatch batch;
        batch.Delete(0, key);
        Status s = state_.db->Write(batch);
        if (!s.ok()) return SendError(res, HttpStatusFor(s), s.ToString());
        if (state_.on_key_written) state_.on_key_written(0, key);
        SendJson(res, 200,
                 json{{"success", "true"}, {"message", "key deleted"}, {"deleted", true}});
      };
    }
    if (path == "/size/compact") {
      return [this](const Request&, const std::string&, Response& res) {
        // Compaction can take long; it runs without exec_mu (the engine lets
        // reads and writes go on meanwhile), on a handle copied under it.
        std::shared_ptr<DB> db = CurrentDb(state_);
        if (db == nullptr) return SendError(res, 503, "database is not open");
        Result<CompactionReport> r = db->Compact();
        if (!r.ok()) return SendError(res, HttpStatusFor(r.status()), r.status().ToString());
        uint64_t saved = r->bytes_before > r->bytes_after ? r->bytes_before - r->bytes_after : 0;
        SendJson(res, 200,
                 json{{"success", "true"},
                      {"message", "log compacted"},
                      {"bytes_before", r->bytes_before},
                      {"bytes_after", r->bytes_after},
                      {"bytes_saved", saved},
                      {"keys_written", r->keys_written},
                      {"seconds", r->seconds}});
      };
    }
    if (path == "/size/get") {
      return [this](const Request&, const std::string&, Response& res) {
        std::shared_ptr<DB> db = CurrentDb(state_);
        if (db == nullptr) return SendError(res, 503, "database is not open");
        DbStats st = db->Stats();
        SendJson(res, 200,
                 json{{"success", "true"},
                      {"size", st.log_bytes},
                      {"log_bytes", st.log_bytes},
                      {"segments", st.segments},
                      {"live_bytes", st.live_bytes}});
      };
    }
    if (path == "/health") {
      return [this](const Request&, const std::string&, Response& res) {
        std::shared_ptr<DB> db = CurrentDb(state_);
        if (db == nullptr) {
          return SendJson(res, 503,
                          json{{"success", "false"},
                               {"status", "unavailable"},
                               {"message", "database is not open"}});
        }
        DbStats st = db->Stats();
        uint64_t keys = 0;
        for (uint64_t k : st.keys_per_db) keys += k;
        double uptime =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
        // A refused-writes state still answers 200: the server is up and
        // serving reads; "status" and "write_error" say what is wrong.
        json body{{"success", "true"},
                  {"status", st.write_error.empty() && !st.disk_full ? "ok" : "degraded"},
                  {"fsync", FsyncName(db->options().fsync)},
                  {"keys", keys},
                  {"log_bytes", st.log_bytes},
                  {"last_seq", st.last_seq},
                  {"synced_seq", st.synced_seq},
                  {"uptime_seconds", uptime}};
        if (!st.write_error.empty()) body["write_error"] = st.write_error;
        if (st.disk_full) body["disk_full"] = st.disk_full_error;
        SendJson(res, 200, body);
      };
    }
    if (path == "/metrics") {
      return [this](const Request&, const std::string&, Response& res) {
        res.status = 200;
        res.set_content(RenderMetrics(), "text/plain; version=0.0.4; charset=utf-8");
      };
    }
    return nullptr;
  };

  // Every handler runs inside a catch-all: see the file comment.
  auto guarded = [](Logic logic) -> Logic {
    return [logic = std::move(logic)](const Request& req, const std::string& body, Response& res) {
      try {
        logic(req, body, res);
      } catch (const std::exception& e) {
        SendError(res, 500, std::string("internal error: ") + e.what());
      } catch (...) {
        SendError(res, 500, "internal error");
      }
    };
  };
  // Methods that may carry a body get a content-reader handler, so routing
  // happens before the body is read. This matters because cpp-httplib 0.11
  // otherwise reads a body without Content-Length until the client closes
  // (curl -X POST sends none), stalling for the whole read timeout; RFC 9112
  // says such a request has no body, and so do we.
  auto with_body = [](Logic logic) {
    return [logic = std::move(logic)](const Request& req, Response& res,
                                      const httplib::ContentReader& reader) {
      std::string body;
      bool has_body =
          req.has_header("Content-Length") ||
          req.get_header_value("Transfer-Encoding").find("chunked") != std::string::npos;
      if (has_body && !reader([&body](const char* data, size_t n) {
            body.append(data, n);
            return true;
          })) {
        if (res.status == 413) {
          return SendError(res, 413,
                           "request body larger than " + std::to_string(kMaxBodyBytes >> 20) +
                               " MiB; use the RESP API for large values");
        }
        return SendError(res, 400, "could not read the request body");
      }
      logic(req, body, res);
    };
  };
  auto without_body = [](Logic logic) {
    return [logic = std::move(logic)](const Request& req, Response& res) { logic(req, "", res); };
  };
  auto register_method = [&](const std::string& method, const std::string& path, Logic logic) {
    if (method == "GET") s.Get(path, without_body(logic));
    if (method == "OPTIONS") s.Options(path, without_body(logic));
    if (method == "POST") s.Post(path, with_body(logic));
    if (method == "PUT") s.Put(path, with_body(logic));
    if (method == "PATCH") s.Patch(path, with_body(logic));
    if (method == "DELETE") s.Delete(path, with_body(logic));
  };

  const char* kAllMethods[] = {"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
  for (const RouteSpec& route : kRoutes) {
    Logic logic = guarded(logic_for(route.path));
    std::string allowed = route.methods;
    std::string allowed_text = allowed;
    for (char& ch : allowed_text) {
      if (ch == ',') ch = '/';
    }
    Logic wrong_method = [allowed, allowed_text](const Request& req, const std::string&,
                                                 Response& res) {
      res.set_header("Allow", allowed);
      SendError(res, 405,
                "method " + req.method + " not allowed on " + req.path + "; use " + allowed_text);
    };
    for (const char* m : kAllMethods) {
      bool ok = ("," + allowed + ",").find(std::string(",") + m + ",") != std::string::npos;
      register_method(m, route.path, ok ? logic : wrong_method);
    }
  }
  // Unknown paths with a body-carrying method: registered last (httplib
  // tries routes in order) so they too are answered without stalling.
  Logic not_found = [](const Request& req, const std::string&, Response& res) {
    SendError(res, 404, "no such route: " + req.path);
  };
  for (const char* m : {"POST", "PUT", "PATCH", "DELETE"}) register_method(m, ".*", not_found);
}

std::string HttpApi::RenderMetrics() {
  std::string out;
  auto metric = [&out](const char* name, const char* type, const char* help, uint64_t value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
           name + " " + std::to_string(value) + "\n";
  };

  {
    std::lock_guard<std::mutex> lock(metrics_mu_);
    out +=
        "# HELP walnut_http_requests_total HTTP API requests by route, method and status.\n"
        "# TYPE walnut_http_requests_total counter\n";
    for (const auto& [k, n] : requests_) {
      const auto& [route, method, status] = k;
      out += "walnut_http_requests_total{route=\"" + route + "\",method=\"" + method +
             "\",status=\"" + std::to_string(status) + "\"} " + std::to_string(n) + "\n";
    }
  }

  std::shared_ptr<DB> db = CurrentDb(state_);
  if (db != nullptr) {
    DbStats st = db->Stats();
    out +=
        "# HELP walnut_keys Live keys per database (expired but unswept included).\n"
        "# TYPE walnut_keys gauge\n";
    for (size_t i = 0; i < st.keys_per_db.size(); ++i) {
      // Database 0 always appears, so dashboards have a series from start.
      if (i == 0 || st.keys_per_db[i] != 0) {
        out += "walnut_keys{db=\"" + std::to_string(i) + "\"} " +
               std::to_string(st.keys_per_db[i]) + "\n";
      }
    }
    out +=
        "# HELP walnut_expires Keys with an expiry per database.\n"
        "# TYPE walnut_expires gauge\n";
    for (size_t i = 0; i < st.expires_per_db.size(); ++i) {
      if (i == 0 || st.expires_per_db[i] != 0) {
        out += "walnut_expires{db=\"" + std::to_string(i) + "\"} " +
               std::to_string(st.expires_per_db[i]) + "\n";
      }
    }
    metric("walnut_log_bytes", "gauge", "Bytes of all log segment files.", st.log_bytes);
    metric("walnut_log_segments", "gauge", "Number of log segment files.", st.segments);
    metric("walnut_live_bytes", "gauge", "Key and value bytes held in the index.", st.live_bytes);
    metric("walnut_syncs_total", "counter", "fdatasync calls made on the log.", st.syncs);
    metric("walnut_writes_total", "counter", "Write batches committed.", st.writes);
    metric("walnut_log_bytes_written_total", "counter", "Log bytes written since start.",
           st.bytes_written);
    metric("walnut_compactions_total", "counter", "Compactions completed since start.",
           st.compactions);
    metric("walnut_last_seq", "gauge", "Sequence number of the newest log record.", st.last_seq);
    metric("walnut_synced_seq", "gauge", "Newest log record known to be on disk.", st.synced_seq);
    metric("walnut_write_error", "gauge", "1 while writes are refused after a log error.",
           st.write_error.empty() ? 0 : 1);
    out +=
        "# HELP walnut_recovery_seconds Wall time of the log replay at start-up.\n"
        "# TYPE walnut_recovery_seconds gauge\n"
        "walnut_recovery_seconds " +
        std::to_string(st.recovery.seconds) + "\n";
    metric("walnut_recovery_records", "gauge", "Log records replayed at start-up.",
           st.recovery.records);
    metric("walnut_recovery_bytes", "gauge", "Log bytes replayed at start-up.", st.recovery.bytes);
  }
  if (state_.server_metrics) out += state_.server_metrics();
  return out;
}

}  // namespace walnut::server
