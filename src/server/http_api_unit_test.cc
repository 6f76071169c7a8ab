// Unit tests of HttpApi on a real engine in a temporary directory, driven by
// curl: every route, every error path, authentication, the hooks into
// SharedState (on_key_written, server_metrics) and a port already taken.
// tests/http_api_test.cc covers the same API inside the real walnut-server
// (hence this file's _unit_test name: the two targets must differ).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "server/http_api.h"
#include "support/server_process.h"
#include "walnut/db.h"

namespace walnut::server {
namespace {

using walnut::test::RunCommand;
using walnut::test::ShellQuote;

struct HttpReply {
  int status = 0;
  std::string body;
};

// Runs curl with `args` against `url`, returning the status and body.
HttpReply Curl(const std::string& url, const std::string& args = "") {
  int code = 0;
  std::string out = RunCommand(
      "curl -sS --max-time 30 -o - -w '\\n%{http_code}' " + args + " " + ShellQuote(url), &code);
  HttpReply r;
  size_t nl = out.rfind('\n');
  if (code != 0 || nl == std::string::npos) {
    r.body = "curl failed (exit " + std::to_string(code) + "): " + out;
    return r;
  }
  r.status = std::atoi(out.c_str() + nl + 1);
  r.body = out.substr(0, nl);
  return r;
}

std::string JsonArg(const std::string& body) {
  return "-H 'Content-Type: application/json' --data-binary " + ShellQuote(body);
}

class HttpApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = DB::Open(dir_.Sub("data"), Options{});
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    state_.db = std::shared_ptr<DB>(std::move(db).value());
    state_.on_key_written = [this](uint32_t db, std::string_view key) {
      written_.push_back(std::to_string(db) + ":" + std::string(key));
    };
  }
  void TearDown() override {
    api_.reset();
    if (state_.db) (void)state_.db->Close();
  }
  void StartApi() {
    api_ = std::make_unique<HttpApi>(state_);
    Status s = api_->Start("127.0.0.1", 0);
    ASSERT_TRUE(s.ok()) << s.ToString();
    base_ = "http://127.0.0.1:" + std::to_string(api_->port());
  }

  walnut::test::TempDir dir_{"http-unit"};
  SharedState state_;
  std::unique_ptr<HttpApi> api_;
  std::string base_;
  // Keys the API reported written. The HTTP thread appends while holding
  // exec_mu; the test reads through Written(), under the same lock.
  std::vector<std::string> Written() {
    std::lock_guard<std::mutex> lock(state_.exec_mu);
    return written_;
  }
  std::vector<std::string> written_;
};

TEST_F(HttpApiTest, SetGetDelete) {
  StartApi();
  HttpReply r = Curl(base_ + "/set", "-X POST " + JsonArg(R"({"key":"name","value":"Alice"})"));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"message":"key set","success":"true"})");
  EXPECT_EQ(Written(), std::vector<std::string>{"0:name"});

  r = Curl(base_ + "/get?key=name");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"key":"name","success":"true","value":"Alice"})");
  auto v = state_.db->Get("name");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, "Alice");

  // The original design's JSON-body form: POST /get (a GET body is never
  // read, so GET with only a body is a clear 400).
  r = Curl(base_ + "/get", "-X POST " + JsonArg(R"({"key":"name"})"));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"value\":\"Alice\""), std::string::npos) << r.body;
  r = Curl(base_ + "/get", "-X GET " + JsonArg(R"({"key":"name"})"));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("POST /get"), std::string::npos) << r.body;

  r = Curl(base_ + "/delete", "-X POST " + JsonArg(R"({"key":"name"})"));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"deleted":true,"message":"key deleted","success":"true"})");
  EXPECT_TRUE(state_.db->Get("name").status().IsNotFound());

  r = Curl(base_ + "/delete", "-X POST " + JsonArg(R"({"key":"name"})"));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"deleted\":false"), std::string::npos) << r.body;

  r = Curl(base_ + "/get?key=name");
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(r.body, R"({"message":"key not found: name","success":"false"})");
}

TEST_F(HttpApiTest, GetWithABodyAsksTheClientToClose) {
  StartApi();
  ASSERT_TRUE(state_.db->Put("a", "1").ok());
  // httplib leaves a GET's body unread in the connection, where it would be
  // parsed as the next request; the reply tells the client not to reuse it.
  int code = 0;
  std::string out = RunCommand("curl -sS --max-time 10 -D - -X GET " + JsonArg(R"({"key":"a"})") +
                                   " " + ShellQuote(base_ + "/get?key=a"),
                               &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("Connection: close"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("value":"1")"), std::string::npos) << out;
  // Without a body the connection stays reusable.
  out = RunCommand("curl -sS --max-time 10 -D - " + ShellQuote(base_ + "/get?key=a"), &code);
  EXPECT_EQ(out.find("Connection: close"), std::string::npos) << out;
}

TEST_F(HttpApiTest, UnicodeAndEscapesRoundTrip) {
  StartApi();
  HttpReply r =
      Curl(base_ + "/set", "-X POST " + JsonArg(R"({"key":"ключ \"q\"","value":"värde\n✓"})"));
  ASSERT_EQ(r.status, 200) << r.body;
  auto v = state_.db->Get("ключ \"q\"");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, "värde\n✓");
  r = Curl(base_ + "/get", "-G --data-urlencode " + ShellQuote("key=ключ \"q\""));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("value":"värde\n✓")"), std::string::npos) << r.body;
}

TEST_F(HttpApiTest, BinaryValueIsShownWithReplacementCharacter) {
  StartApi();
  ASSERT_TRUE(state_.db
                  ->Put("bin", std::string("a\xff\xfe"
                                           "b",
                                           4))
                  .ok());
  HttpReply r = Curl(base_ + "/get?key=bin");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("a\xEF\xBF\xBD"), std::string::npos) << r.body;
}

TEST_F(HttpApiTest, BadRequests) {
  StartApi();
  struct Case {
    std::string path, args;
    int status;
    std::string message;
  };
  std::vector<Case> cases = {
      {"/set", "-X POST " + JsonArg("{not json"), 400, "malformed JSON"},
      {"/set", "-X POST " + JsonArg("[1,2]"), 400, "must be a JSON object"},
      {"/set", "-X POST " + JsonArg(R"({"value":"v"})"), 400, "missing \\\"key\\\""},
      {"/set", "-X POST " + JsonArg(R"({"key":"k"})"), 400, "missing \\\"value\\\""},
      {"/set", "-X POST " + JsonArg(R"({"key":1,"value":"v"})"), 400,
       "\\\"key\\\" must be a string"},
      {"/set", "-X POST " + JsonArg(R"({"key":"k","value":5})"), 400,
       "\\\"value\\\" must be a string"},
      {"/set", "-X POST", 400, "malformed JSON"},
      {"/get", "", 400, "missing key"},
      {"/get", "-X POST " + JsonArg("{oops"), 400, "malformed JSON"},
      {"/get", "-X POST -d ''", 400, "malformed JSON"},
      {"/delete", "-X POST " + JsonArg("{}"), 400, "missing \\\"key\\\""},
      {"/set", "", 405, "method GET not allowed on /set; use POST"},
      {"/get", "-X PUT " + JsonArg(R"({"key":"k"})"), 405, "use GET/POST"},
      {"/nope", "-X POST", 404, "no such route: /nope"},
      {"/delete", "-X DELETE", 405, "use POST"},
      {"/size/compact", "", 405, "use POST"},
      {"/nope", "", 404, "no such route: /nope"},
  };
  for (const Case& c : cases) {
    HttpReply r = Curl(base_ + c.path, c.args);
    EXPECT_EQ(r.status, c.status) << c.path << " " << c.args << " -> " << r.body;
    EXPECT_NE(r.body.find("\"success\":\"false\""), std::string::npos) << r.body;
    EXPECT_NE(r.body.find(c.message), std::string::npos)
        << c.path << " " << c.args << " -> " << r.body;
  }
  EXPECT_TRUE(Written().empty());
  EXPECT_EQ(state_.db->KeyCount(0), 0u);
}

TEST_F(HttpApiTest, CompactReportsSavings) {
  StartApi();
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(state_.db->Put("k", std::string(1000, static_cast<char>('a' + i % 26))).ok());
  }
  HttpReply size = Curl(base_ + "/size/get");
  ASSERT_EQ(size.status, 200) << size.body;
  uint64_t before = state_.db->Stats().log_bytes;
  EXPECT_NE(size.body.find("\"size\":" + std::to_string(before)), std::string::npos) << size.body;

  // No body and no Content-Length (what curl -X POST sends) must not stall
  // waiting for a body: --max-time 5 is well under the server's read timeout.
  HttpReply r = Curl(base_ + "/size/compact", "--max-time 5 -X POST");
  ASSERT_EQ(r.status, 200) << r.body;
  uint64_t after = state_.db->Stats().log_bytes;
  EXPECT_LT(after, before);
  EXPECT_NE(r.body.find("\"bytes_before\":" + std::to_string(before)), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"bytes_saved\":"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"keys_written\":1"), std::string::npos) << r.body;
  auto v = state_.db->Get("k");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, std::string(1000, static_cast<char>('a' + 49 % 26)));
}

TEST_F(HttpApiTest, HealthAndMetrics) {
  state_.server_metrics = [] { return std::string("walnut_test_marker 42\n"); };
  StartApi();
  ASSERT_TRUE(state_.db->Put("a", "1").ok());
  HttpReply h = Curl(base_ + "/health");
  EXPECT_EQ(h.status, 200) << h.body;
  EXPECT_NE(h.body.find("\"status\":\"ok\""), std::string::npos) << h.body;
  EXPECT_NE(h.body.find("\"fsync\":\"everysec\""), std::string::npos) << h.body;
  EXPECT_NE(h.body.find("\"keys\":1"), std::string::npos) << h.body;
  EXPECT_EQ(h.body.find("write_error"), std::string::npos) << h.body;

  Curl(base_ + "/get?key=a");
  Curl(base_ + "/get?key=missing");
  HttpReply m = Curl(base_ + "/metrics");
  EXPECT_EQ(m.status, 200) << m.body;
  EXPECT_NE(
      m.body.find("walnut_http_requests_total{route=\"/get\",method=\"GET\",status=\"200\"} 1"),
      std::string::npos)
      << m.body;
  EXPECT_NE(
      m.body.find("walnut_http_requests_total{route=\"/get\",method=\"GET\",status=\"404\"} 1"),
      std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("walnut_keys{db=\"0\"} 1\n"), std::string::npos) << m.body;
  for (const char* name : {"walnut_log_bytes ", "walnut_log_segments ", "walnut_syncs_total ",
                           "walnut_writes_total ", "walnut_log_bytes_written_total ",
                           "walnut_compactions_total ", "walnut_recovery_seconds "}) {
    EXPECT_NE(m.body.find(name), std::string::npos) << name << "\n" << m.body;
  }
  EXPECT_NE(m.body.find("walnut_test_marker 42"), std::string::npos) << m.body;
}

TEST_F(HttpApiTest, PasswordProtectsEverythingButHealth) {
  state_.requirepass = "s3cret";
  StartApi();
  HttpReply r = Curl(base_ + "/get?key=a");
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_NE(r.body.find("authentication required"), std::string::npos) << r.body;
  EXPECT_EQ(Curl(base_ + "/get?key=a", "-H 'Authorization: Bearer wrong'").status, 401);
  EXPECT_EQ(Curl(base_ + "/get?key=a", "-H 'Authorization: Bearer s3cre'").status, 401);
  EXPECT_EQ(Curl(base_ + "/get?key=a", "-u user:wrong").status, 401);
  EXPECT_EQ(Curl(base_ + "/metrics").status, 401);
  EXPECT_EQ(Curl(base_ + "/set", "-X POST " + JsonArg(R"({"key":"a","value":"1"})")).status, 401);
  EXPECT_EQ(state_.db->KeyCount(0), 0u);

  EXPECT_EQ(Curl(base_ + "/health").status, 200);
  EXPECT_EQ(Curl(base_ + "/set", "-H 'Authorization: Bearer s3cret' -X POST " +
                                     JsonArg(R"({"key":"a","value":"1"})"))
                .status,
            200);
  EXPECT_EQ(Curl(base_ + "/get?key=a", "-u default:s3cret").status, 200);
  EXPECT_EQ(Curl(base_ + "/get?key=a", "-u :s3cret").status, 200);
}

TEST_F(HttpApiTest, PortInUseIsAClearError) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  int port = ntohs(addr.sin_port);

  HttpApi api(state_);
  Status s = api.Start("127.0.0.1", port);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cannot listen for HTTP on 127.0.0.1:" + std::to_string(port)),
            std::string::npos)
      << s.ToString();
  ::close(fd);
}

TEST_F(HttpApiTest, StopRightAfterStartDoesNotHang) {
  for (int i = 0; i < 20; ++i) {
    HttpApi api(state_);
    ASSERT_TRUE(api.Start("127.0.0.1", 0).ok());
    api.Stop();
    api.Stop();  // idempotent
  }
}

TEST_F(HttpApiTest, NoDatabaseAnswers503) {
  (void)state_.db->Close();
  state_.db.reset();
  StartApi();
  EXPECT_EQ(Curl(base_ + "/health").status, 503);
  EXPECT_EQ(Curl(base_ + "/get?key=a").status, 503);
}

}  // namespace
}  // namespace walnut::server
