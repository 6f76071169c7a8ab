// Black-box tests of the HTTP JSON API inside the real walnut-server: every
// route and error path over curl, keys crossing between HTTP and RESP in
// both directions, WATCH seeing HTTP writes, password protection, and an
// HTTP-acknowledged write surviving SIGKILL.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "support/server_process.h"

namespace walnut::test {
namespace {

struct HttpReply {
  int status = 0;
  std::string body;
};

// curl `args` `url`; the status code is written after the body.
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

std::string Json(const std::string& body) {
  return "-H 'Content-Type: application/json' --data-binary " + ShellQuote(body);
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

class HttpApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start());
    ASSERT_GT(server_.http_port(), 0);
    base_ = server_.http_base();
  }

  ServerProcess server_;
  std::string base_;
};

TEST_F(HttpApiTest, SetGetDeleteRoundTrip) {
  HttpReply r = Curl(base_ + "/set", "-X POST " + Json(R"({"key":"name","value":"Alice"})"));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(Contains(r.body, R"("success":"true")")) << r.body;

  r = Curl(base_ + "/get?key=name");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"key":"name","success":"true","value":"Alice"})");

  r = Curl(base_ + "/get", "-X POST " + Json(R"({"key":"name"})"));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(Contains(r.body, R"("value":"Alice")")) << r.body;

  r = Curl(base_ + "/delete", "-X POST " + Json(R"({"key":"name"})"));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(Contains(r.body, R"("deleted":true)")) << r.body;

  r = Curl(base_ + "/get?key=name");
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(r.body, R"({"message":"key not found: name","success":"false"})");
}

TEST_F(HttpApiTest, ErrorPaths) {
  struct Case {
    std::string path, args;
    int status;
    std::string needle;
  };
  const std::vector<Case> cases = {
      {"/set", "-X POST " + Json("{\"key\": \"k\", "), 400, "malformed JSON"},
      {"/set", "-X POST " + Json(R"({"value":"v"})"), 400, R"(missing \"key\")"},
      {"/set", "-X POST " + Json(R"({"key":"k"})"), 400, R"(missing \"value\")"},
      {"/set", "-X POST " + Json(R"({"key":["k"],"value":"v"})"), 400, "must be a string"},
      {"/set", "-X POST", 400, "malformed JSON"},
      {"/delete", "-X POST " + Json("nope"), 400, "malformed JSON"},
      {"/delete", "-X POST " + Json("{}"), 400, R"(missing \"key\")"},
      {"/get", "", 400, "missing key"},
      {"/get?key=absent", "", 404, "key not found: absent"},
      {"/set", "", 405, "method GET not allowed on /set"},
      {"/delete", "-X GET", 405, "use POST"},
      {"/size/compact", "-X GET", 405, "use POST"},
      {"/size/get", "-X POST", 405, "use GET"},
      {"/health", "-X DELETE", 405, "use GET"},
      {"/no/such/route", "", 404, "no such route"},
  };
  for (const Case& c : cases) {
    HttpReply r = Curl(base_ + c.path, c.args);
    EXPECT_EQ(r.status, c.status) << c.path << " " << c.args << " -> " << r.body;
    EXPECT_TRUE(Contains(r.body, R"("success":"false")")) << r.body;
    EXPECT_TRUE(Contains(r.body, c.needle)) << c.path << " " << c.args << " -> " << r.body;
  }
  // Nothing was written by any of them.
  auto c = server_.Client();
  EXPECT_EQ(c.Cmd("DBSIZE"), "(integer) 0");
}

TEST_F(HttpApiTest, HttpWritesAreVisibleOverResp) {
  ASSERT_EQ(Curl(base_ + "/set", "-X POST " + Json(R"({"key":"h","value":"from http ✓"})")).status,
            200);
  auto c = server_.Client();
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c.Cmd("GET", "h"), "\"from http \\xe2\\x9c\\x93\"");
  EXPECT_EQ(c.Cmd("TTL", "h"), "(integer) -1");

  ASSERT_EQ(Curl(base_ + "/delete", "-X POST " + Json(R"({"key":"h"})")).status, 200);
  EXPECT_EQ(c.Cmd("EXISTS", "h"), "(integer) 0");
}

TEST_F(HttpApiTest, RespWritesAreVisibleOverHttp) {
  auto c = server_.Client();
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c.Cmd("SET", "r", "from resp"), "OK");
  HttpReply r = Curl(base_ + "/get?key=r");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(Contains(r.body, R"("value":"from resp")")) << r.body;

  // Only database 0 is visible over HTTP.
  EXPECT_EQ(c.Cmd("SELECT", "1"), "OK");
  EXPECT_EQ(c.Cmd("SET", "only1", "x"), "OK");
  EXPECT_EQ(Curl(base_ + "/get?key=only1").status, 404);

  EXPECT_EQ(c.Cmd("SELECT", "0"), "OK");
  EXPECT_EQ(c.Cmd("DEL", "r"), "(integer) 1");
  EXPECT_EQ(Curl(base_ + "/get?key=r").status, 404);
}

TEST_F(HttpApiTest, HttpWriteAbortsAWatchingTransaction) {
  auto c = server_.Client();
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c.Cmd("WATCH", "w"), "OK");
  ASSERT_EQ(Curl(base_ + "/set", "-X POST " + Json(R"({"key":"w","value":"http"})")).status, 200);
  EXPECT_EQ(c.Cmd("MULTI"), "OK");
  EXPECT_EQ(c.Cmd("SET", "w", "resp"), "QUEUED");
  EXPECT_EQ(c.Cmd("EXEC"), "(nil)") << "WATCH did not see the HTTP write (on_key_written)";
  EXPECT_EQ(c.Cmd("GET", "w"), "\"http\"");
}

TEST_F(HttpApiTest, SizeAndCompact) {
  auto c = server_.Client();
  ASSERT_TRUE(c.ok()) << c.error();
  std::string big(4096, 'x');
  for (int i = 0; i < 200; ++i) ASSERT_EQ(c.Cmd("SET", "k" + std::to_string(i % 5), big), "OK");

  HttpReply size = Curl(base_ + "/size/get");
  ASSERT_EQ(size.status, 200) << size.body;
  EXPECT_TRUE(Contains(size.body, R"("size":)")) << size.body;

  HttpReply r = Curl(base_ + "/size/compact", "--max-time 60 -X POST");
  ASSERT_EQ(r.status, 200) << r.body;
  for (const char* field : {"bytes_before", "bytes_after", "bytes_saved", "keys_written"}) {
    EXPECT_TRUE(Contains(r.body, std::string("\"") + field + "\":")) << r.body;
  }
  EXPECT_TRUE(Contains(r.body, R"("keys_written":5)")) << r.body;
  EXPECT_FALSE(Contains(r.body, R"("bytes_saved":0,)")) << r.body;

  // The compacted log still holds everything, across a restart.
  ASSERT_TRUE(server_.Restart());
  auto c2 = server_.Client();
  EXPECT_EQ(c2.Cmd("DBSIZE"), "(integer) 5");
  EXPECT_EQ(c2.Cmd("STRLEN", "k3"), "(integer) 4096");
}

TEST_F(HttpApiTest, HealthAndMetrics) {
  auto c = server_.Client();
  EXPECT_EQ(c.Cmd("SET", "a", "1"), "OK");
  HttpReply h = Curl(base_ + "/health");
  EXPECT_EQ(h.status, 200) << h.body;
  EXPECT_TRUE(Contains(h.body, R"("status":"ok")")) << h.body;
  EXPECT_TRUE(Contains(h.body, R"("fsync":"everysec")")) << h.body;
  EXPECT_TRUE(Contains(h.body, R"("keys":1)")) << h.body;

  Curl(base_ + "/get?key=a");
  HttpReply m = Curl(base_ + "/metrics");
  EXPECT_EQ(m.status, 200) << m.body;
  EXPECT_TRUE(Contains(m.body, "# TYPE walnut_http_requests_total counter")) << m.body;
  EXPECT_TRUE(
      Contains(m.body, R"(walnut_http_requests_total{route="/get",method="GET",status="200"} 1)"))
      << m.body;
  EXPECT_TRUE(Contains(m.body, "walnut_keys{db=\"0\"} 1\n")) << m.body;
  for (const char* name : {"walnut_log_bytes ", "walnut_log_segments ", "walnut_writes_total ",
                           "walnut_recovery_seconds "}) {
    EXPECT_TRUE(Contains(m.body, name)) << name << "\n" << m.body;
  }
}

TEST(HttpApiFsyncTest, HealthReportsTheFsyncMode) {
  ServerProcess server({"--fsync", "always"});
  ASSERT_TRUE(server.Start());
  HttpReply h = Curl(server.http_base() + "/health");
  EXPECT_TRUE(Contains(h.body, R"("fsync":"always")")) << h.body;
}

TEST(HttpApiAuthTest, PasswordGuardsEveryRouteButHealth) {
  ServerProcess server({"--requirepass", "s3cret"});
  ASSERT_TRUE(server.Start());
  std::string base = server.http_base();
  HttpReply r = Curl(base + "/get?key=a");
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_TRUE(Contains(r.body, "authentication required")) << r.body;
  EXPECT_EQ(Curl(base + "/set", "-X POST " + Json(R"({"key":"a","value":"1"})")).status, 401);
  EXPECT_EQ(Curl(base + "/metrics").status, 401);
  EXPECT_EQ(Curl(base + "/get?key=a", "-H 'Authorization: Bearer nope'").status, 401);
  EXPECT_EQ(Curl(base + "/health").status, 200);

  EXPECT_EQ(Curl(base + "/set",
                 "-H 'Authorization: Bearer s3cret' -X POST " + Json(R"({"key":"a","value":"1"})"))
                .status,
            200);
  EXPECT_EQ(Curl(base + "/get?key=a", "-u default:s3cret").status, 200);
}

TEST(HttpApiDurabilityTest, AcknowledgedHttpWritesSurviveSigkill) {
  ServerProcess server;
  ASSERT_TRUE(server.Start());
  for (int i = 0; i < 20; ++i) {
    std::string body =
        R"({"key":"k)" + std::to_string(i) + R"(","value":"v)" + std::to_string(i) + R"("})";
    ASSERT_EQ(Curl(server.http_base() + "/set", "-X POST " + Json(body)).status, 200);
  }
  // A 200 means the record reached the OS: a process crash cannot lose it.
  EXPECT_EQ(server.Kill(SIGKILL), 128 + SIGKILL);
  ASSERT_TRUE(server.Start());
  auto c = server.Client();
  EXPECT_EQ(c.Cmd("DBSIZE"), "(integer) 20");
  EXPECT_EQ(c.Cmd("GET", "k19"), "\"v19\"");
  HttpReply r = Curl(server.http_base() + "/get?key=k7");
  EXPECT_TRUE(Contains(r.body, R"("value":"v7")")) << r.body;
}

TEST(HttpApiPortTest, HttpPortZeroTurnsHttpOff) {
  ServerProcess server({"--http-port", "0"});
  ASSERT_TRUE(server.Start());
  EXPECT_EQ(server.http_port(), 0);
  EXPECT_EQ(server.Client().Cmd("PING"), "PONG");
}

TEST(HttpApiPortTest, TakenHttpPortIsAClearStartupError) {
  ServerProcess first;
  ASSERT_TRUE(first.Start());
  ServerProcess second({"--http-port", std::to_string(first.http_port())});
  auto started = second.Start();
  EXPECT_FALSE(started);
  EXPECT_TRUE(Contains(started.message(), std::to_string(first.http_port()))) << started.message();
}

}  // namespace
}  // namespace walnut::test
