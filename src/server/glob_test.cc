// Unit tests for GlobMatch: Redis's pattern language, its corner cases (which
// were checked against redis-server 7.0), binary subjects, and patterns that
// would be exponential for a naive backtracking matcher.
#include "server/glob.h"

#include <gtest/gtest.h>

#include <string>

namespace walnut::server {
namespace {

using namespace std::string_literals;

TEST(GlobTest, Literals) {
  EXPECT_TRUE(GlobMatch("abc", "abc"));
  EXPECT_FALSE(GlobMatch("abc", "abd"));
  EXPECT_FALSE(GlobMatch("abc", "ab"));
  EXPECT_FALSE(GlobMatch("ab", "abc"));
  EXPECT_TRUE(GlobMatch("", ""));
  EXPECT_FALSE(GlobMatch("", "a"));
}

TEST(GlobTest, Star) {
  EXPECT_TRUE(GlobMatch("*", "anything"));
  EXPECT_TRUE(GlobMatch("a*", "a"));
  EXPECT_TRUE(GlobMatch("a*", "abc"));
  EXPECT_TRUE(GlobMatch("*c", "abc"));
  EXPECT_TRUE(GlobMatch("a*c", "ac"));
  EXPECT_TRUE(GlobMatch("a*c", "abbbc"));
  EXPECT_FALSE(GlobMatch("a*c", "abbbd"));
  EXPECT_TRUE(GlobMatch("a**c", "abc"));
  EXPECT_TRUE(GlobMatch("*a*b*", "xxaxxbxx"));
  EXPECT_FALSE(GlobMatch("*a*b*", "xxbxxaxx"));
  EXPECT_TRUE(GlobMatch("h*llo*", "hello world"));
  // Backtracking past a partial match of what follows the star.
  EXPECT_TRUE(GlobMatch("*abc", "ababc"));
  EXPECT_TRUE(GlobMatch("a*bc*d", "abcbcxd"));
}

TEST(GlobTest, EmptySubjectMatchesOnlyEmptyPattern) {
  // Redis's matcher gives up as soon as the subject is empty; KEYS/SCAN
  // special-case a bare "*" before calling it.
  EXPECT_FALSE(GlobMatch("*", ""));
  EXPECT_FALSE(GlobMatch("**", ""));
  EXPECT_FALSE(GlobMatch("?", ""));
  EXPECT_TRUE(GlobMatch("", ""));
  EXPECT_TRUE(GlobMatchesAll("*"));
  EXPECT_FALSE(GlobMatchesAll("**"));
  EXPECT_FALSE(GlobMatchesAll("a*"));
}

TEST(GlobTest, QuestionMark) {
  EXPECT_TRUE(GlobMatch("h?llo", "hello"));
  EXPECT_TRUE(GlobMatch("h?llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h?llo", "hllo"));
  EXPECT_TRUE(GlobMatch("???", "abc"));
  EXPECT_FALSE(GlobMatch("???", "ab"));
  EXPECT_TRUE(GlobMatch("?*", "a"));
}

TEST(GlobTest, Sets) {
  EXPECT_TRUE(GlobMatch("h[ae]llo", "hello"));
  EXPECT_TRUE(GlobMatch("h[ae]llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h[ae]llo", "hillo"));
  EXPECT_TRUE(GlobMatch("h[^e]llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h[^e]llo", "hello"));
  EXPECT_TRUE(GlobMatch("h[a-b]llo", "hbllo"));
  EXPECT_FALSE(GlobMatch("h[a-b]llo", "hcllo"));
  // Reversed range ends mean the same range.
  EXPECT_TRUE(GlobMatch("[z-a]", "m"));
  EXPECT_TRUE(GlobMatch("[0-9]*", "7up"));
  EXPECT_FALSE(GlobMatch("[0-9]*", "up"));
  EXPECT_TRUE(GlobMatch("[a-cx]", "x"));
  EXPECT_TRUE(GlobMatch("[^a-c]", "d"));
  EXPECT_FALSE(GlobMatch("[^a-c]", "b"));
}

TEST(GlobTest, SetCornerCasesAsRedis) {
  EXPECT_FALSE(GlobMatch("[]", "a"));   // empty set: nothing
  EXPECT_FALSE(GlobMatch("[]]", "]"));  // empty set, then a literal ]
  EXPECT_FALSE(GlobMatch("[]]", "]]"));
  EXPECT_TRUE(GlobMatch("[^]", "q"));  // empty negated set: any byte
  EXPECT_TRUE(GlobMatch("[^", "q"));   // unterminated, negated, empty
  EXPECT_FALSE(GlobMatch("[", "["));   // unterminated empty set
  EXPECT_TRUE(GlobMatch("[ab", "b"));  // unterminated: the bytes so far
  EXPECT_FALSE(GlobMatch("[ab", "c"));
  EXPECT_TRUE(GlobMatch("[a-]", "^"));  // a range from ']' to 'a'
  EXPECT_TRUE(GlobMatch("[a-]", "]"));
  EXPECT_FALSE(GlobMatch("[a-]", "b"));
  EXPECT_FALSE(GlobMatch("[a-]", "-"));
  EXPECT_TRUE(GlobMatch("[-a]", "-"));   // '-' first is a literal
  EXPECT_TRUE(GlobMatch("[\\]]", "]"));  // escaped ] inside a set
  EXPECT_TRUE(GlobMatch("[\\^a]", "^"));
  EXPECT_TRUE(GlobMatch("[a\\-z]", "-"));  // escaped '-' is not a range
  EXPECT_FALSE(GlobMatch("[a\\-z]", "m"));
}

TEST(GlobTest, Escapes) {
  EXPECT_TRUE(GlobMatch("a\\*b", "a*b"));
  EXPECT_FALSE(GlobMatch("a\\*b", "axb"));
  EXPECT_TRUE(GlobMatch("\\?", "?"));
  EXPECT_FALSE(GlobMatch("\\?", "x"));
  EXPECT_TRUE(GlobMatch("\\[a]", "[a]"));
  EXPECT_TRUE(GlobMatch("\\\\", "\\"));
  EXPECT_TRUE(GlobMatch("\\x", "x"));    // escaping an ordinary byte
  EXPECT_TRUE(GlobMatch("a\\", "a\\"));  // a lone trailing backslash is literal
  EXPECT_FALSE(GlobMatch("a\\", "a"));
}

TEST(GlobTest, BinarySafe) {
  const std::string nul_key = "a\0b"s;
  EXPECT_TRUE(GlobMatch("a?b", nul_key));
  EXPECT_TRUE(GlobMatch("a\0b"s, nul_key));
  EXPECT_FALSE(GlobMatch("a\0c"s, nul_key));
  EXPECT_TRUE(GlobMatch("*\0*"s, nul_key));
  EXPECT_TRUE(GlobMatch("[\0]"s, "\0"s));
  EXPECT_TRUE(GlobMatch("*\r\n", "line\r\n"));
  EXPECT_TRUE(GlobMatch("\xff*", "\xff\xfe"));
  EXPECT_TRUE(GlobMatch("[\x80-\xff]", "\xc3"));  // unsigned byte ranges
  EXPECT_FALSE(GlobMatch("[\x80-\xff]", "a"));
}

TEST(GlobTest, NoCase) {
  EXPECT_TRUE(GlobMatch("MaxMemory*", "maxmemory-policy", true));
  EXPECT_FALSE(GlobMatch("MaxMemory*", "maxmemory-policy", false));
  EXPECT_TRUE(GlobMatch("[A-C]", "b", true));
  EXPECT_TRUE(GlobMatch("[a-c]", "B", true));
  EXPECT_TRUE(GlobMatch("[X]", "x", true));
  EXPECT_FALSE(GlobMatch("[A-C]", "d", true));
  // Redis folds after ordering the ends, so this range is empty.
  EXPECT_FALSE(GlobMatch("[Z-a]", "m", true));
}

TEST(GlobTest, CompiledPatternIsReusable) {
  const GlobPattern p("user:[0-9]*");
  EXPECT_TRUE(p.Match("user:1"));
  EXPECT_TRUE(p.Match("user:42x"));
  EXPECT_FALSE(p.Match("user:x"));
  EXPECT_FALSE(p.Match(""));
  EXPECT_FALSE(p.matches_all());
  EXPECT_TRUE(GlobPattern("*").matches_all());
  EXPECT_TRUE(GlobPattern("").Match(""));
  const GlobPattern copy = p;
  EXPECT_TRUE(copy.Match("user:7"));
  const GlobPattern nocase("USER:*", true);
  EXPECT_TRUE(nocase.Match("user:7"));
}

TEST(GlobTest, PathologicalPatternTerminates) {
  // Exponential for a naive recursive matcher; linear backtracking answers at
  // once (a regression would hang here until ctest's timeout).
  const std::string subject(5000, 'a');
  EXPECT_FALSE(GlobMatch("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", subject));
  EXPECT_TRUE(GlobMatch("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*", subject));
}

}  // namespace
}  // namespace walnut::server
