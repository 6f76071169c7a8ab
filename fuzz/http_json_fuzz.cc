// Fuzz target: the HTTP JSON API's request handling, in process.
//
// Requests go through HttpApi::HandleRawRequest: cpp-httplib's request
// parsing, then our authentication, routing, body reading and JSON handling,
// on a real engine (in /dev/shm, fsync off), with no socket. The password
// (--requirepass) is "pw".
//
// Input: byte 0 picks raw or structured.
//   raw (byte 0 % 4 == 0): the rest is the request bytes as sent.
//   structured: bytes choose a method, a path (the routes, unknown ones,
//     fuzzed), a query, credentials (none, right, wrong), a body (none, a
//     well-formed {"key","value"} object, fuzzed text, wrong types, missing
//     fields) and its framing (Content-Length right, missing or too large;
//     chunked).
// What must hold: nothing crashes; every response is HTTP/1.1 with a status;
// every 4xx/5xx carries a JSON object {"success": "false", "message": M}
// with a non-empty M; and for structured requests the status is the one the
// API promises (401 without the password except /health, 404 for unknown
// paths, 405 for a wrong method, 400 for a body that is not the object the
// route needs) — a 200 to POST /set means POST /get returns that value.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "server/http_api.h"
#include "server/shared_state.h"
#include "walnut/db.h"

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using walnut::server::HttpApi;
using walnut::server::SharedState;

struct Reader : walnut::fuzz::FuzzInput {
  using FuzzInput::FuzzInput;
  // Printable ASCII: what a well-formed JSON body carries.
  std::string Text(size_t max) {
    std::string s = Str(max);
    for (char& c : s) c = char(0x20 + uint8_t(c) % 95);
    return s;
  }
  // Letters, digits and "-._~" only: a path or query part that needs no
  // escaping (and cannot form "key=").
  std::string UrlText(size_t max) {
    static constexpr char kSafe[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
    std::string s = Str(max);
    for (char& c : s) c = kSafe[uint8_t(c) % (sizeof(kSafe) - 1)];
    return s;
  }
};

// One engine and one API for the whole run; the engine is replaced by a
// fresh one now and then so the log does not grow without bound.
struct Fixture {
  std::string dir;
  SharedState state;
  std::unique_ptr<HttpApi> api;
  uint64_t runs = 0;

  Fixture() {
    dir = walnut::fuzz::ScratchPath("walnut-http-fuzz");
    state.requirepass = "pw";
    Reopen();
    api = std::make_unique<HttpApi>(state);
  }
  void Reopen() {
    std::lock_guard<std::mutex> lock(state.exec_mu);
    if (state.db) (void)state.db->Close();
    state.db.reset();
    fs::remove_all(dir);
    walnut::Options o;
    o.fsync = walnut::FsyncMode::kNo;
    o.auto_compact = false;
    o.logger = [](walnut::LogLevel, std::string_view) {};
    auto db = walnut::DB::Open(dir, o);
    Check(db.ok());
    state.db = std::shared_ptr<walnut::DB>(std::move(db).value());
  }
};

Fixture& F() {
  // Never destroyed (the engine may still be in use while statics die), but
  // its directory is removed at exit so runs leave nothing in /dev/shm.
  static Fixture* f = [] {
    auto* fx = new Fixture();
    std::atexit([] { fs::remove_all(F().dir); });
    return fx;
  }();
  return *f;
}

struct Response {
  int status = 0;
  std::string body;
};

// Parses the raw response; checks the invariants every response must meet.
Response Inspect(const std::string& raw, bool head) {
  Response r;
  Check(raw.rfind("HTTP/1.1 ", 0) == 0 && raw.size() >= 12);
  r.status = std::atoi(raw.c_str() + 9);
  Check(r.status >= 100 && r.status <= 599);
  size_t end = raw.find("\r\n\r\n");
  Check(end != std::string::npos);
  r.body = raw.substr(end + 4);
  if (r.status >= 400 && !head) {
    json j = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
    Check(j.is_object());
    Check(j.contains("success") && j["success"] == "false");
    Check(j.contains("message") && j["message"].is_string() &&
          !j["message"].get<std::string>().empty());
  }
  return r;
}

std::string UrlEncode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    out += '%';
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

std::string PostJson(const std::string& path, const json& body) {
  std::string text = body.dump();
  return "POST " + path +
         " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer pw\r\nContent-Type: "
         "application/json\r\nContent-Length: " +
         std::to_string(text.size()) + "\r\n\r\n" + text;
}

constexpr const char* kMethods[] = {"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"};
constexpr const char* kPaths[] = {"/set",    "/get",     "/delete", "/size/compact", "/size/get",
                                  "/health", "/metrics", "/",       "/nope"};
// Allowed methods per route, as http_api.cc's table says.
bool Allowed(std::string_view path, std::string_view method) {
  if (path == "/set" || path == "/delete" || path == "/size/compact") return method == "POST";
  if (path == "/get") return method == "GET" || method == "POST";
  return method == "GET";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  Fixture& f = F();
  if (++f.runs % 4096 == 0) f.Reopen();
  Reader in{data, size};
  const uint8_t mode = in.Byte();
  if (mode % 4 == 0) {
    std::string raw(reinterpret_cast<const char*>(in.p), in.n);
    std::string resp = f.api->HandleRawRequest(raw);
    // httplib answers nothing when the request line cannot even be read;
    // otherwise the response must meet the invariants.
    if (!resp.empty()) Inspect(resp, raw.rfind("HEAD", 0) == 0);
    return 0;
  }

  // ---- Structured request.
  std::string method = kMethods[in.Byte() % 7];
  uint8_t pick = in.Byte() % 10;
  std::string path = pick < 9 ? kPaths[pick] : "/" + in.UrlText(16);
  bool known_path = pick < 7;
  std::string query;
  switch (in.Byte() % 4) {
    case 1:
      query = "?key=" + UrlEncode(in.Str(16));
      break;
    case 2:
      query = "?" + in.UrlText(16);
      break;
  }
  uint8_t auth = in.Byte() % 4;
  std::string headers = "Host: x\r\n";
  if (auth == 1) headers += "Authorization: Bearer pw\r\n";
  if (auth == 2) headers += "Authorization: Bearer x" + in.UrlText(8) + "\r\n";
  if (auth == 3) headers += "Authorization: Basic dTpwdw==\r\n";  // "u:pw"
  const bool authorized = auth == 1 || auth == 3;

  std::string key = in.Text(16), value = in.Text(32);
  std::string body;
  switch (in.Byte() % 5) {
    case 1:
      body = json{{"key", key}, {"value", value}}.dump();
      break;
    case 2:
      body = in.Str(64);  // anything, even by chance a valid object
      break;
    case 3:
      body = json{{"key", in.Byte()}, {"value", json::array()}}.dump();
      break;
    case 4:
      body = json{{"value", value}}.dump();
      break;
  }
  uint8_t framing = in.Byte() % 4;
  bool has_body = !body.empty() || framing == 3;
  std::string framed;
  if (has_body) {
    if (framing == 0) {
      headers += "Content-Length: " + std::to_string(body.size()) + "\r\n";
      framed = body;
    } else if (framing == 1) {
      framed = "";  // no framing: the request has no body (RFC 9112)
      has_body = false;
    } else if (framing == 2) {
      // Claims more than it sends: the read ends early.
      headers += "Content-Length: " + std::to_string(body.size() + 1 + in.Byte()) + "\r\n";
      framed = body;
    } else {
      headers += "Transfer-Encoding: chunked\r\n";
      char len[32];
      std::snprintf(len, sizeof(len), "%zx", body.size());
      framed = body.empty() ? "0\r\n\r\n" : std::string(len) + "\r\n" + body + "\r\n0\r\n\r\n";
    }
  }
  const std::string request =
      method + " " + path + query + " HTTP/1.1\r\n" + headers + "\r\n" + framed;
  Response r = Inspect(f.api->HandleRawRequest(request), method == "HEAD");

  // ---- What the API promises for this request.
  if (method == "HEAD" || method == "OPTIONS") return 0;  // httplib's own handling
  if (!authorized && path != "/health") {
    Check(r.status == 401);  // authentication comes before routing and bodies
    return 0;
  }
  // Body-carrying methods read the body before their handler runs, so one
  // that ends early is a 400 whatever the route.
  const bool body_method = method != "GET";
  if (body_method && has_body && framing == 2) {
    Check(r.status == 400);
    return 0;
  }
  bool names_route = known_path;
  for (int i = 0; i < 7; i++) names_route |= path == kPaths[i];
  if (!names_route) {
    Check(r.status == 404);
    return 0;
  }
  if (!Allowed(path, method)) {
    Check(r.status == 405);
    return 0;
  }
  // What the route makes of the body the server received.
  json parsed = json::parse(has_body ? body : "", nullptr, /*allow_exceptions=*/false);
  const bool has_key = parsed.is_object() && parsed.contains("key") && parsed["key"].is_string();
  const bool has_value =
      parsed.is_object() && parsed.contains("value") && parsed["value"].is_string();
  if (path == "/set") {
    Check(r.status == (has_key && has_value ? 200 : 400));
    if (r.status == 200) {
      Response g =
          Inspect(f.api->HandleRawRequest(PostJson("/get", json{{"key", parsed["key"]}})), false);
      Check(g.status == 200);
      json j = json::parse(g.body, nullptr, false);
      Check(j.is_object() && j["value"] == parsed["value"] && j["key"] == parsed["key"]);
    }
  }
  if (path == "/delete") Check(r.status == (has_key ? 200 : 400));
  if (path == "/get" && method == "POST" && query.rfind("?key=", 0) != 0) {
    Check(has_key ? (r.status == 200 || r.status == 404) : r.status == 400);
  }
  if (path == "/get" && method == "GET" && query.rfind("?key=", 0) != 0) Check(r.status == 400);
  if (path == "/health" || path == "/size/get" || path == "/metrics") Check(r.status == 200);
  return 0;
}
