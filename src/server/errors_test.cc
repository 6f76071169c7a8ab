// Unit tests for the error texts that carry names (Redis 7's exact forms,
// including its 128-byte cuts) and for StatusToError.
#include "server/errors.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace walnut::server {
namespace {

TEST(Errors, WrongArity) {
  EXPECT_EQ(WrongArityError("get"), "ERR wrong number of arguments for 'get' command");
  EXPECT_EQ(WrongArityError("client|setname"),
            "ERR wrong number of arguments for 'client|setname' command");
}

TEST(Errors, UnknownCommandListsArgsUpTo128Bytes) {
  std::vector<std::string_view> args = {"foo", "a", "b"};
  EXPECT_EQ(UnknownCommandError("foo", args),
            "ERR unknown command 'foo', with args beginning with: 'a' 'b' ");
  std::vector<std::string_view> none = {"foo"};
  EXPECT_EQ(UnknownCommandError("foo", none),
            "ERR unknown command 'foo', with args beginning with: ");
  std::string long_arg(200, 'x');
  std::vector<std::string_view> big = {"foo", long_arg, "next"};
  std::string e = UnknownCommandError("foo", big);
  // The first argument is cut to 128 bytes and the list stops there.
  EXPECT_EQ(
      e, "ERR unknown command 'foo', with args beginning with: '" + std::string(128, 'x') + "' ");
  std::string long_name(300, 'n');
  std::vector<std::string_view> named = {long_name};
  EXPECT_EQ(UnknownCommandError(long_name, named),
            "ERR unknown command '" + std::string(128, 'n') + "', with args beginning with: ");
}

TEST(Errors, UnknownSubcommand) {
  EXPECT_EQ(UnknownSubcommandError("client", "nope"),
            "ERR unknown subcommand 'nope'. Try CLIENT HELP.");
}

TEST(Errors, InvalidExpire) {
  EXPECT_EQ(InvalidExpireError("set"), "ERR invalid expire time in 'set' command");
}

TEST(Errors, StatusToError) {
  EXPECT_EQ(StatusToError(walnut::Status::InvalidArgument("value is too big")),
            "ERR value is too big");
  std::string io = StatusToError(walnut::Status::IOError("disk gone"));
  EXPECT_EQ(io.rfind("MISCONF ", 0), 0u) << io;
  EXPECT_NE(io.find("disk gone"), std::string::npos) << io;
  std::string full = StatusToError(walnut::Status::NoSpace("ENOSPC"));
  EXPECT_EQ(full.rfind("MISCONF ", 0), 0u) << full;
  // A full disk is not sticky, and the client is told so.
  EXPECT_NE(full.find("resume automatically once space is freed"), std::string::npos) << full;
  EXPECT_EQ(full.find("restarted"), std::string::npos) << full;
  EXPECT_EQ(StatusToError(walnut::Status::Closed()), "ERR Closed: database is closed");
}

}  // namespace
}  // namespace walnut::server
