// Unit tests of SplitArgs: the quoting rules of the `walnut cli` prompt.
#include "cli/split_args.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace walnut::cli {
namespace {

std::vector<std::string> Split(const std::string& line) {
  std::vector<std::string> out;
  EXPECT_TRUE(SplitArgs(line, &out)) << line;
  return out;
}

using V = std::vector<std::string>;

TEST(SplitArgsTest, PlainWords) {
  EXPECT_EQ(Split("SET k v"), (V{"SET", "k", "v"}));
  EXPECT_EQ(Split("   get\tk  "), (V{"get", "k"}));
  EXPECT_EQ(Split(""), V{});
  EXPECT_EQ(Split("   "), V{});
}

TEST(SplitArgsTest, DoubleQuotesWithEscapes) {
  EXPECT_EQ(Split(R"(set k "a b")"), (V{"set", "k", "a b"}));
  EXPECT_EQ(Split(R"(set k "line\nnext\t\"q\"\\")"), (V{"set", "k", "line\nnext\t\"q\"\\"}));
  EXPECT_EQ(Split(R"(set k "\x00\xff\x41")"), (V{"set", "k",
                                                 std::string("\x00\xff"
                                                             "A",
                                                             3)}));
  EXPECT_EQ(Split(R"(set "" "")"), (V{"set", "", ""}));
  // An incomplete \x escape is taken literally.
  EXPECT_EQ(Split(R"("\xZZ")"), (V{"xZZ"}));
}

TEST(SplitArgsTest, SingleQuotes) {
  EXPECT_EQ(Split(R"(set 'a b' 'it\'s' 'no\nescape')"), (V{"set", "a b", "it's", "no\\nescape"}));
}

TEST(SplitArgsTest, QuotesInsideAWordAreLiteral) {
  EXPECT_EQ(Split(R"(set k it's)"), (V{"set", "k", "it's"}));
  EXPECT_EQ(Split(R"(a"b)"), (V{"a\"b"}));
}

TEST(SplitArgsTest, Malformed) {
  std::vector<std::string> out;
  EXPECT_FALSE(SplitArgs(R"(set k "open)", &out));
  EXPECT_FALSE(SplitArgs(R"(set k 'open)", &out));
  EXPECT_FALSE(SplitArgs(R"(set k "a"b)", &out));
  EXPECT_FALSE(SplitArgs(R"(set k 'a'b)", &out));
}

}  // namespace
}  // namespace walnut::cli
