// Black-box tests of authentication and network exposure: --requirepass,
// AUTH / HELLO AUTH, NOAUTH before authenticating (only AUTH, HELLO and QUIT
// are allowed), Redis's exact error texts, the stricter request limits for
// unauthenticated clients, and protected mode refusing to expose a server
// without a password.
#include <gtest/gtest.h>

#include <string>

#include "server_raw_client.h"
#include "support/server_process.h"

namespace walnut::test {
namespace {

class ServerAuthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new ServerProcess({"--http-port", "0", "--requirepass", "s3cret pass"});
    ASSERT_TRUE(server_->Start());
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static ServerProcess* server_;
};
ServerProcess* ServerAuthTest::server_ = nullptr;

TEST_F(ServerAuthTest, CommandsNeedAuth) {
  RedisConn c = server_->Client();
  EXPECT_EQ(c.Cmd("GET", "k"), "(error) NOAUTH Authentication required.");
  EXPECT_EQ(c.Cmd("PING"), "(error) NOAUTH Authentication required.");
  EXPECT_EQ(c.Cmd("SELECT", "1"), "(error) NOAUTH Authentication required.");
  // Unknown commands and arity are reported first, as Redis does.
  EXPECT_EQ(c.Cmd("NOPE"), "(error) ERR unknown command 'NOPE', with args beginning with: ");
}

TEST_F(ServerAuthTest, WrongPassword) {
  RedisConn c = server_->Client();
  EXPECT_EQ(c.Cmd("AUTH", "nope"),
            "(error) WRONGPASS invalid username-password pair or user is disabled.");
  EXPECT_EQ(c.Cmd("AUTH", "other", "s3cret pass"),
            "(error) WRONGPASS invalid username-password pair or user is disabled.");
  EXPECT_EQ(c.Cmd("AUTH", "s3cret pas"),
            "(error) WRONGPASS invalid username-password pair or user is disabled.");
  EXPECT_EQ(c.Cmd("AUTH", "s3cret pass!"),
            "(error) WRONGPASS invalid username-password pair or user is disabled.");
  EXPECT_EQ(c.Cmd("AUTH", "a", "b", "c"), "(error) ERR syntax error");
  EXPECT_EQ(c.Cmd("GET", "k"), "(error) NOAUTH Authentication required.");
}

TEST_F(ServerAuthTest, AuthThenWork) {
  RedisConn c = server_->Client();
  EXPECT_EQ(c.Cmd("AUTH", "s3cret pass"), "OK");
  EXPECT_EQ(c.Cmd("SET", "k", "v"), "OK");
  RedisConn d = server_->Client();
  EXPECT_EQ(d.Cmd("AUTH", "default", "s3cret pass"), "OK");
  EXPECT_EQ(d.Cmd("GET", "k"), "\"v\"");
}

TEST_F(ServerAuthTest, HelloNeedsAuth) {
  RedisConn c = server_->Client();
  std::string r = c.Cmd("HELLO", "3");
  EXPECT_EQ(r.rfind("(error) NOAUTH HELLO must be called with the client already authenticated", 0),
            0u)
      << r;
  r = c.Cmd("HELLO", "2", "AUTH", "default", "wrong");
  EXPECT_EQ(r, "(error) WRONGPASS invalid username-password pair or user is disabled.");
  r = c.Cmd("HELLO", "2", "AUTH", "default", "s3cret pass", "SETNAME", "me");
  EXPECT_NE(r.find("\"server\", \"redis\""), std::string::npos) << r;
  EXPECT_EQ(c.Cmd("CLIENT", "GETNAME"), "\"me\"");
}

TEST_F(ServerAuthTest, QuitAllowedBeforeAuth) {
  RawClient c(server_->port());
  ASSERT_TRUE(c.Send("QUIT\r\n"));
  EXPECT_EQ(c.ReadUntil("\r\n"), "+OK\r\n");
  EXPECT_TRUE(c.WaitClosed());
}

TEST_F(ServerAuthTest, UnauthenticatedClientsGetSmallRequestLimits) {
  RawClient c(server_->port());
  ASSERT_TRUE(c.Send("*20\r\n"));
  EXPECT_EQ(c.ReadUntil("\r\n"), "-ERR Protocol error: unauthenticated multibulk length\r\n");
  EXPECT_TRUE(c.WaitClosed());
  RawClient d(server_->port());
  ASSERT_TRUE(d.Send("*2\r\n$4\r\nAUTH\r\n$100000\r\n"));
  EXPECT_EQ(d.ReadUntil("\r\n"), "-ERR Protocol error: unauthenticated bulk length\r\n");
  EXPECT_TRUE(d.WaitClosed());
}

TEST_F(ServerAuthTest, ResetDropsAuthentication) {
  RedisConn c = server_->Client();
  EXPECT_EQ(c.Cmd("AUTH", "s3cret pass"), "OK");
  EXPECT_EQ(c.Cmd("RESET"), "RESET");
  EXPECT_EQ(c.Cmd("GET", "k"), "(error) NOAUTH Authentication required.");
}

TEST(ServerNoPassword, AuthWithoutPasswordConfigured) {
  ServerProcess server({"--http-port", "0"});
  ASSERT_TRUE(server.Start());
  RedisConn c = server.Client();
  EXPECT_EQ(c.Cmd("AUTH", "x"),
            "(error) ERR AUTH <password> called without any password configured for the default "
            "user. Are you sure your configuration is correct?");
  // The default user has no password: any password works for it by name.
  EXPECT_EQ(c.Cmd("AUTH", "default", "anything"), "OK");
  EXPECT_EQ(c.Cmd("AUTH", "someone", "anything"),
            "(error) WRONGPASS invalid username-password pair or user is disabled.");
}

TEST(ServerProtectedMode, RefusesPublicBindWithoutPassword) {
  ServerProcess server({"--http-port", "0", "--bind", "0.0.0.0"});
  server.set_start_timeout(std::chrono::seconds(5));
  EXPECT_FALSE(server.Start());
  EXPECT_NE(server.log().find("protected mode"), std::string::npos) << server.log();
}

TEST(ServerProtectedMode, PublicBindAllowedWithPasswordOrWhenOff) {
  ServerProcess with_pass({"--http-port", "0", "--bind", "0.0.0.0", "--requirepass", "pw"});
  EXPECT_TRUE(with_pass.Start());
  ServerProcess off({"--http-port", "0", "--bind", "0.0.0.0", "--protected-mode", "no"});
  EXPECT_TRUE(off.Start());
}

}  // namespace
}  // namespace walnut::test
