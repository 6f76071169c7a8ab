// Tests of the black-box harness itself (tests/support/server_process.h):
// reply rendering, ports, temporary directories and shell commands. These
// need no server, so a broken harness is told apart from a broken server.
#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <hiredis/read.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "gtest/gtest.h"
#include "support/server_process.h"

namespace walnut::test {
namespace {

// Parses RESP bytes with hiredis's own reader and renders the reply.
std::string Render(const std::string& resp) {
  redisReader* reader = redisReaderCreate();
  redisReaderFeed(reader, resp.data(), resp.size());
  void* reply = nullptr;
  std::string out = "(parse failed)";
  if (redisReaderGetReply(reader, &reply) == REDIS_OK && reply != nullptr) {
    out = FormatReply(static_cast<redisReply*>(reply));
    freeReplyObject(reply);
  }
  redisReaderFree(reader);
  return out;
}

TEST(HarnessTest, FormatReplyRendersEveryType) {
  EXPECT_EQ(Render("+OK\r\n"), "OK");
  EXPECT_EQ(Render("-ERR unknown command\r\n"), "(error) ERR unknown command");
  EXPECT_EQ(Render(":5\r\n"), "(integer) 5");
  EXPECT_EQ(Render(":-12\r\n"), "(integer) -12");
  EXPECT_EQ(Render("$4\r\nbulk\r\n"), "\"bulk\"");
  EXPECT_EQ(Render("$0\r\n\r\n"), "\"\"");
  EXPECT_EQ(Render("$-1\r\n"), "(nil)");
  EXPECT_EQ(Render("*0\r\n"), "[]");
  EXPECT_EQ(Render("*2\r\n$1\r\na\r\n$1\r\nb\r\n"), "[\"a\", \"b\"]");
  EXPECT_EQ(Render("*2\r\n:1\r\n*2\r\n$-1\r\n+x\r\n"), "[(integer) 1, [(nil), x]]");
  EXPECT_EQ(Render(std::string("$5\r\na\"\n\x01\xff\r\n", 12)), "\"a\\\"\\n\\x01\\xff\"");
}

TEST(HarnessTest, FreePortNeverRepeats) {
  std::set<int> seen;
  for (int i = 0; i < 50; ++i) {
    int port = FreePort();
    EXPECT_GT(port, 0);
    EXPECT_TRUE(seen.insert(port).second) << "port " << port << " handed out twice";
  }
}

TEST(HarnessTest, TempDirIsUniqueAndRemoved) {
  std::string kept;
  {
    TempDir a("harness");
    TempDir b("harness");
    EXPECT_NE(a.path(), b.path());
    EXPECT_TRUE(std::filesystem::is_directory(a.path()));
    ASSERT_TRUE(std::filesystem::create_directory(a.Sub("inner")));
    kept = a.path();
  }
  EXPECT_FALSE(std::filesystem::exists(kept));
}

TEST(HarnessTest, RunCommandCapturesOutputAndExitCode) {
  int code = -7;
  EXPECT_EQ(RunCommand("echo out; echo err >&2; exit 3", &code), "out\nerr\n");
  EXPECT_EQ(code, 3);
  EXPECT_EQ(RunCommand("printf %s " + ShellQuote("it's \"quoted\" $HOME"), &code),
            "it's \"quoted\" $HOME");
  EXPECT_EQ(code, 0);
}

TEST(HarnessTest, SeedIsStable) { EXPECT_EQ(TestSeed(), TestSeed()); }

TEST(HarnessTest, StartFailsWithLogTailWhenBinaryIsMissing) {
  ServerProcess server;
  server.set_binary("/nonexistent/walnut-server");
  auto result = server.Start();
  EXPECT_FALSE(result);
  EXPECT_NE(std::string(result.message()).find("execv failed"), std::string::npos)
      << result.message();
}

// The process lifecycle, exercised on redis-server (always installed for the
// tests) behind a wrapper that drops the Walnut-only --http-port flag, so the
// harness can be trusted before walnut-server exists.
TEST(HarnessTest, LifecycleOnRedisServer) {
  if (RunCommand("command -v redis-server").empty()) GTEST_SKIP() << "redis-server not installed";
  TempDir tmp("harness-redis");
  std::string wrapper = tmp.Sub("fake-server.sh");
  {
    std::ofstream out(wrapper);
    out << "#!/bin/sh\n"
           "args=\"\"; while [ $# -gt 0 ]; do\n"
           "  case \"$1\" in --http-port) shift 2;; --dir) mkdir -p \"$2\"; args=\"$args $1 $2\"; "
           "shift 2;;\n"
           "  *) args=\"$args $1\"; shift;; esac; done\n"
           "exec redis-server --save '' --appendonly no $args\n";
  }
  ::chmod(wrapper.c_str(), 0755);
  ServerProcess server;
  server.set_binary(wrapper);
  ASSERT_TRUE(server.Start());
  EXPECT_TRUE(server.running());
  auto c = server.Client();
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c.Cmd("SET", "k", "v"), "OK");
  EXPECT_EQ(c.Cmd("GET", "k"), "\"v\"");
  EXPECT_EQ(c.Cmd("RPUSH", "l", "a", "b"), "(integer) 2");
  EXPECT_EQ(c.Cmd("LRANGE", "l", "0", "-1"), "[\"a\", \"b\"]");
  int port = server.port();
  ASSERT_TRUE(server.Restart());
  EXPECT_EQ(server.port(), port);
  EXPECT_EQ(server.Kill(), 128 + SIGKILL);
  EXPECT_FALSE(server.running());
  auto dead = ConnectTo(port, std::chrono::milliseconds(500));
  EXPECT_FALSE(dead.ok());
  ASSERT_TRUE(server.Start());
  EXPECT_EQ(server.Stop(), 0);
  EXPECT_NE(server.log().find("harness: starting"), std::string::npos);
}

TEST(HarnessTest, RetriesWhenAChosenPortIsTaken) {
  if (!std::filesystem::exists(WALNUT_BUILD_DIR "/walnut-server")) {
    GTEST_SKIP() << "walnut-server not built";
  }
  ServerProcess server;
  int chosen = server.port();
  // Take the chosen port, as a test running in parallel might.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(chosen));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd, 1) != 0) {
    ::close(fd);
    GTEST_SKIP() << "could not take port " << chosen;
  }
  ASSERT_TRUE(server.Start());
  EXPECT_NE(server.port(), chosen);
  EXPECT_EQ(server.Client().Cmd("PING"), "PONG");
  ::close(fd);
}

}  // namespace
}  // namespace walnut::test
