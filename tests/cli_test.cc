// Black-box tests of the `walnut` command: start/status/stop/restart of a
// real walnut-server on free ports and temporary directories (with their
// exit codes), the client subcommands, the interactive prompt fed on stdin,
// and the offline check on a clean and on a damaged directory.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "support/server_process.h"

namespace walnut::test {
namespace {

struct CmdResult {
  int code = -1;
  std::string out;
};

// Runs build/walnut with `args` (already shell-quoted where needed).
CmdResult Walnut(const std::string& args, const std::string& stdin_text = "") {
  std::string cmd = std::string(WALNUT_BUILD_DIR) + "/walnut " + args;
  if (!stdin_text.empty()) cmd = "printf %s " + ShellQuote(stdin_text) + " | " + cmd;
  CmdResult r;
  r.out = RunCommand(cmd, &r.code);
  return r;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// True once `pid` has exited (a zombie counts as exited: nobody but init may
// reap a daemon whose starter has gone).
bool ProcessGone(int pid) {
  if (::kill(pid, 0) != 0) return true;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string s;
  std::getline(stat, s);
  size_t paren = s.rfind(')');
  return paren != std::string::npos && paren + 2 < s.size() && s[paren + 2] == 'Z';
}

int PidFromPidFile(const std::string& dir) {
  std::ifstream in(dir + "/walnut-server.pid");
  int pid = -1;
  in >> pid;
  return pid;
}

// A server started with `walnut start` lives in its own session, beyond the
// harness's reach: kill it if a test ends early.
class DaemonGuard {
 public:
  explicit DaemonGuard(std::string dir) : dir_(std::move(dir)) {}
  ~DaemonGuard() {
    int pid = PidFromPidFile(dir_);
    if (pid > 0 && !ProcessGone(pid)) {
      ::kill(pid, SIGKILL);
      WaitUntil([pid] { return ProcessGone(pid); }, std::chrono::seconds(10));
    }
  }

 private:
  std::string dir_;
};

class CliLifecycleTest : public ::testing::Test {
 protected:
  std::string Flags() const {
    return "--port " + std::to_string(port_) + " --http-port " + std::to_string(http_port_) +
           " --dir " + ShellQuote(dir_);
  }

  TempDir tmp_{"cli"};
  std::string dir_ = tmp_.Sub("data");
  int port_ = FreePort();
  int http_port_ = FreePort();
  DaemonGuard guard_{dir_};
};

TEST_F(CliLifecycleTest, StartStatusStop) {
  std::string p = "-p " + std::to_string(port_);
  CmdResult r = Walnut("status " + p);
  EXPECT_EQ(r.code, 3) << r.out;
  EXPECT_TRUE(Contains(r.out, "not running")) << r.out;

  r = Walnut("start " + Flags());
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(Contains(r.out, "port " + std::to_string(port_))) << r.out;
  EXPECT_TRUE(Contains(r.out, dir_)) << r.out;
  int pid = PidFromPidFile(dir_);
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(Contains(r.out, "pid " + std::to_string(pid))) << r.out;
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/walnut-server.log"));

  // The server answers at once: start waited for PING.
  auto c = ConnectTo(port_);
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c.Cmd("SET", "a", "1"), "OK");

  r = Walnut("status " + p);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(Contains(r.out, "pid:       " + std::to_string(pid))) << r.out;
  EXPECT_TRUE(Contains(r.out, "keys:      1")) << r.out;
  EXPECT_TRUE(Contains(r.out, "uptime:")) << r.out;
  EXPECT_TRUE(Contains(r.out, "log size:")) << r.out;
  r = Walnut("status --dir " + ShellQuote(dir_));
  EXPECT_EQ(r.code, 0) << r.out;

  // A second server on the same directory is refused, also on another port.
  r = Walnut("start " + Flags());
  EXPECT_EQ(r.code, 5) << r.out;
  EXPECT_TRUE(Contains(r.out, "already running")) << r.out;
  r = Walnut("start --port " + std::to_string(FreePort()) + " --http-port 0 --dir " +
             ShellQuote(dir_));
  EXPECT_EQ(r.code, 5) << r.out;

  // stop returns only once the process is gone.
  r = Walnut("stop --dir " + ShellQuote(dir_));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(Contains(r.out, "stopped")) << r.out;
  EXPECT_TRUE(ProcessGone(pid)) << "walnut stop returned while pid " << pid << " still runs";
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/walnut-server.pid"));

  r = Walnut("status " + p);
  EXPECT_EQ(r.code, 3) << r.out;
  r = Walnut("stop " + p);
  EXPECT_EQ(r.code, 3) << r.out;

  // The data survived the stop; restart starts it again.
  r = Walnut("restart " + Flags());
  ASSERT_EQ(r.code, 0) << r.out;
  auto c2 = ConnectTo(port_);
  EXPECT_EQ(c2.Cmd("GET", "a"), "\"1\"");
  int pid2 = PidFromPidFile(dir_);
  r = Walnut("restart " + Flags());
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(ProcessGone(pid2));
  EXPECT_NE(PidFromPidFile(dir_), pid2);
  r = Walnut("stop -p " + std::to_string(port_));
  EXPECT_EQ(r.code, 0) << r.out;
}

TEST_F(CliLifecycleTest, StartRefusesATakenPort) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  int taken = ntohs(addr.sin_port);

  CmdResult r =
      Walnut("start --port " + std::to_string(taken) + " --http-port 0 --dir " + ShellQuote(dir_));
  EXPECT_EQ(r.code, 5) << r.out;
  EXPECT_TRUE(Contains(r.out, "port " + std::to_string(taken) + " is already in use")) << r.out;

  r = Walnut("start --port " + std::to_string(port_) + " --http-port " + std::to_string(taken) +
             " --dir " + ShellQuote(dir_));
  EXPECT_EQ(r.code, 5) << r.out;
  EXPECT_TRUE(Contains(r.out, "--http-port 0")) << r.out;
  ::close(fd);
}

TEST_F(CliLifecycleTest, StartShowsWhyTheServerDied) {
  CmdResult r = Walnut("start " + Flags() + " --fsync sometimes");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_TRUE(Contains(r.out, "exited during start-up")) << r.out;
  EXPECT_TRUE(Contains(r.out, "--fsync")) << r.out;  // the server's own complaint
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/walnut-server.pid"));
}

TEST_F(CliLifecycleTest, StopWithPassword) {
  CmdResult r = Walnut("start " + Flags() + " --requirepass hunter2");
  ASSERT_EQ(r.code, 0) << r.out;
  int pid = PidFromPidFile(dir_);
  std::string p = " -p " + std::to_string(port_);
  r = Walnut("status" + p);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(Contains(r.out, "-a PASSWORD")) << r.out;
  // An error reply (here NOAUTH) is exit 1 with the server's message.
  r = Walnut("get k" + p);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_TRUE(Contains(r.out, "(error) NOAUTH")) << r.out;
  r = Walnut("get k -a wrong" + p);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_TRUE(Contains(r.out, "authentication failed")) << r.out;
  r = Walnut("set k v -a hunter2" + p);
  EXPECT_EQ(r.code, 0) << r.out;
  r = Walnut("stop -a hunter2" + p);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(ProcessGone(pid));
}

TEST_F(CliLifecycleTest, StopFallsBackToSigtermWithoutThePassword) {
  CmdResult r = Walnut("start " + Flags() + " --requirepass hunter2");
  ASSERT_EQ(r.code, 0) << r.out;
  int pid = PidFromPidFile(dir_);
  // No -a: SHUTDOWN is refused (NOAUTH), so stop uses the pid file's pid.
  r = Walnut("stop --dir " + ShellQuote(dir_));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(Contains(r.out, "SIGTERM")) << r.out;
  EXPECT_TRUE(ProcessGone(pid));
  // The graceful path: the log was flushed, the data is there.
  r = Walnut("check " + ShellQuote(dir_));
  EXPECT_EQ(r.code, 0) << r.out;
}

TEST_F(CliLifecycleTest, StopKillsOnlyWithForce) {
  CmdResult r = Walnut("start " + Flags());
  ASSERT_EQ(r.code, 0) << r.out;
  int pid = PidFromPidFile(dir_);
  // A stopped process answers nothing and handles no signal but SIGKILL:
  // the stand-in for a server that hangs.
  ASSERT_EQ(::kill(pid, SIGSTOP), 0);
  r = Walnut("stop --timeout 1 --dir " + ShellQuote(dir_));
  EXPECT_EQ(r.code, 6) << r.out;
  EXPECT_TRUE(Contains(r.out, "--force")) << r.out;
  EXPECT_FALSE(ProcessGone(pid));

  r = Walnut("stop --timeout 1 --force --dir " + ShellQuote(dir_));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(Contains(r.out, "SIGKILL")) << r.out;
  EXPECT_TRUE(ProcessGone(pid));
}

TEST_F(CliLifecycleTest, CheckRefusesADirectoryInUse) {
  CmdResult r = Walnut("start " + Flags());
  ASSERT_EQ(r.code, 0) << r.out;
  r = Walnut("check " + ShellQuote(dir_));
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_TRUE(Contains(r.out, "Stop the server first")) << r.out;
  r = Walnut("stop --dir " + ShellQuote(dir_));
  EXPECT_EQ(r.code, 0) << r.out;
}

TEST(CliUsageTest, HelpAndUsageErrors) {
  CmdResult r = Walnut("--help");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(Contains(r.out, "Exit codes:")) << r.out;
  for (const char* sub : {"start", "stop", "restart", "status", "get", "set", "del", "compact",
                          "info", "cli", "check"}) {
    r = Walnut(std::string(sub) + " --help");
    EXPECT_EQ(r.code, 0) << sub << ": " << r.out;
    EXPECT_TRUE(Contains(r.out, "sage")) << sub << ": " << r.out;  // "Usage"/"usage"
  }
  r = Walnut("frobnicate");
  EXPECT_EQ(r.code, 2) << r.out;
  r = Walnut("get");
  EXPECT_EQ(r.code, 2) << r.out;
  r = Walnut("set onlykey");
  EXPECT_EQ(r.code, 2) << r.out;
  r = Walnut("get k -p " + std::to_string(FreePort()));
  EXPECT_EQ(r.code, 3) << r.out;
  EXPECT_TRUE(Contains(r.out, "walnut start")) << r.out;
}

class CliClientTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start()); }
  std::string P() const { return " -p " + std::to_string(server_.port()); }

  ServerProcess server_;
};

TEST_F(CliClientTest, GetSetDel) {
  CmdResult r = Walnut("set greeting " + ShellQuote("hello world") + P());
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out, "OK\n");
  r = Walnut("get greeting" + P());
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out, "hello world\n");
  r = Walnut("get nothing" + P());
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_TRUE(Contains(r.out, "not found")) << r.out;

  r = Walnut("set temp v --ex 100" + P());
  EXPECT_EQ(r.code, 0) << r.out;
  auto c = server_.Client();
  std::string ttl = c.Cmd("TTL", "temp");
  EXPECT_TRUE(ttl == "(integer) 100" || ttl == "(integer) 99") << ttl;

  r = Walnut("del greeting temp nothing" + P());
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out, "2\n");
  EXPECT_EQ(c.Cmd("DBSIZE"), "(integer) 0");
}

TEST_F(CliClientTest, InfoAndCompact) {
  CmdResult r = Walnut("info server" + P());
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(Contains(r.out, "process_id:" + std::to_string(server_.pid()))) << r.out;
  EXPECT_FALSE(Contains(r.out, "\r")) << r.out;

  auto c = server_.Client();
  std::string value(2048, 'v');
  for (int i = 0; i < 100; ++i) ASSERT_EQ(c.Cmd("SET", "k" + std::to_string(i % 3), value), "OK");
  r = Walnut("compact" + P());
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(Contains(r.out, "compacted: log")) << r.out;
  EXPECT_TRUE(Contains(r.out, "3 keys written")) << r.out;
  EXPECT_TRUE(Contains(r.out, "bytes_saved: ")) << r.out;
  EXPECT_FALSE(Contains(r.out, "bytes_saved: 0\n")) << r.out;
  EXPECT_EQ(c.Cmd("DBSIZE"), "(integer) 3");
}

TEST_F(CliClientTest, InteractivePromptFedOnStdin) {
  CmdResult r = Walnut("cli" + P(),
                       "SET k \"a b\"\n"
                       "get k\n"
                       "\n"
                       "incr n\n"
                       "mget k missing\n"
                       "keys nomatch*\n"
                       "set 'quoted\\'s' \"x\\ty\"\n"
                       "get \"quoted's\"\n"
                       "nosuchcommand\n"
                       "get \"unbalanced\n"
                       "quit\n"
                       "get k\n");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out,
            "OK\n"
            "\"a b\"\n"
            "(integer) 1\n"
            "1) \"a b\"\n"
            "2) (nil)\n"
            "(empty array)\n"
            "OK\n"
            "\"x\\ty\"\n"
            "(error) ERR unknown command 'nosuchcommand', with args beginning with: \n"
            "Invalid argument(s): unbalanced quotes\n");

  // `walnut` alone is the same prompt; --raw prints bare values.
  r = Walnut("--raw cli" + P(), "get k\n");
  EXPECT_EQ(r.code, 2) << "--raw belongs to the cli subcommand: " << r.out;
  r = Walnut("cli --raw" + P(), "get k\nincr n\n");
  EXPECT_EQ(r.out, "a b\n2\n");
  r = Walnut(P().substr(1), "get k\n");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out, "\"a b\"\n");
}

TEST_F(CliClientTest, OneShotCommand) {
  CmdResult r = Walnut("cli" + P() + " SET k " + ShellQuote("a b"));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out, "OK\n");
  // Words after the command are not options, even when they look like one.
  r = Walnut("cli" + P() + " GETRANGE k 0 -1");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out, "\"a b\"\n");
  r = Walnut("cli --raw" + P() + " GET k");
  EXPECT_EQ(r.out, "a b\n");
  r = Walnut("cli" + P() + " NOSUCHCOMMAND");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_TRUE(Contains(r.out, "(error) ERR unknown command")) << r.out;
}

// ---- check

// The newest segment of the directory, or of its last partition when it is
// partitioned (docs/partitions.md).
std::string NewestSegment(const std::string& dir) {
  std::string best;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    if (name.rfind("wal-", 0) == 0 && e.path().string() > best) best = e.path().string();
  }
  return best;
}

TEST(CliCheckTest, CleanThenTornTailThenFixed) {
  TempDir tmp("cli-check");
  std::string dir = tmp.Sub("data");
  {
    ServerProcess server({}, dir);
    ASSERT_TRUE(server.Start());
    auto c = server.Client();
    for (int i = 0; i < 10; ++i) {
      ASSERT_EQ(c.Cmd("SET", "k" + std::to_string(i), "v"), "OK");
    }
    EXPECT_EQ(c.Cmd("DEL", "k0"), "(integer) 1");
    EXPECT_EQ(server.Stop(), 0);
  }
  CmdResult r = Walnut("check " + ShellQuote(dir));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(Contains(r.out, "result: clean")) << r.out;
  EXPECT_TRUE(Contains(r.out, "live keys:   9")) << r.out;

  // A crash mid-write leaves a partial record at the end of the newest
  // segment: a torn tail.
  std::string segment = NewestSegment(dir);
  ASSERT_FALSE(segment.empty());
  {
    std::ofstream out(segment, std::ios::binary | std::ios::app);
    out << std::string("\x13\x37garbage-partial-record", 24);
  }
  r = Walnut("check " + ShellQuote(dir));
  EXPECT_EQ(r.code, 4) << r.out;
  EXPECT_TRUE(Contains(r.out, "DAMAGED")) << r.out;
  EXPECT_TRUE(Contains(r.out, std::filesystem::path(segment).filename().string())) << r.out;

  r = Walnut("check " + ShellQuote(dir) + " --fix");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(Contains(r.out, "repaired")) << r.out;
  r = Walnut("check " + ShellQuote(dir));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(Contains(r.out, "live keys:   9")) << r.out;

  r = Walnut("check " + ShellQuote(tmp.Sub("does-not-exist")));
  EXPECT_NE(r.code, 0) << r.out;
}

}  // namespace
}  // namespace walnut::test
