// Unit tests for RequestParser: complete, partial and malformed requests,
// one error path per test, with Redis's exact error texts.
#include "protocol/resp_parser.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace walnut::protocol {
namespace {

using R = RequestParser::Result;

std::vector<std::string> Args(const RequestParser& p) {
  return std::vector<std::string>(p.args().begin(), p.args().end());
}

TEST(RespParser, Multibulk) {
  RequestParser p;
  std::string in = std::string("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nva") + '\0' + "ue\r\n";
  ASSERT_EQ(p.Parse(in), R::kOk);
  EXPECT_EQ(p.consumed(), in.size());
  EXPECT_EQ(Args(p), (std::vector<std::string>{"SET", "k", std::string("va\0ue", 5)}));
}

TEST(RespParser, ArgsAreViewsIntoInput) {
  RequestParser p;
  std::string in = "*1\r\n$4\r\nPING\r\n";
  ASSERT_EQ(p.Parse(in), R::kOk);
  EXPECT_GE(p.args()[0].data(), in.data());
  EXPECT_LT(p.args()[0].data(), in.data() + in.size());
}

TEST(RespParser, PipelinedRequestsOneAtATime) {
  RequestParser p;
  std::string in = "*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\nPING\r\n";
  std::string_view rest = in;
  ASSERT_EQ(p.Parse(rest), R::kOk);
  EXPECT_EQ(Args(p), (std::vector<std::string>{"PING"}));
  rest.remove_prefix(p.consumed());
  ASSERT_EQ(p.Parse(rest), R::kOk);
  EXPECT_EQ(Args(p), (std::vector<std::string>{"ECHO", "hi"}));
  rest.remove_prefix(p.consumed());
  ASSERT_EQ(p.Parse(rest), R::kOk);
  EXPECT_EQ(Args(p), (std::vector<std::string>{"PING"}));
  rest.remove_prefix(p.consumed());
  EXPECT_TRUE(rest.empty());
  EXPECT_EQ(p.Parse(rest), R::kNeedMore);
}

// Feeding a request one byte at a time, with the buffer moving between calls,
// must give the same result as feeding it whole.
TEST(RespParser, ByteByByteWithMovingBuffer) {
  std::string req = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$10\r\n0123456789\r\n";
  RequestParser p;
  for (size_t n = 1; n < req.size(); n++) {
    std::string copy = req.substr(0, n);  // a fresh allocation each time
    ASSERT_EQ(p.Parse(copy), R::kNeedMore) << "at " << n;
  }
  std::string whole = req;
  ASSERT_EQ(p.Parse(whole), R::kOk);
  EXPECT_EQ(Args(p), (std::vector<std::string>{"SET", "key", "0123456789"}));
  EXPECT_EQ(p.consumed(), req.size());
}

TEST(RespParser, RandomSplitsAgreeWithWhole) {
  unsigned seed = std::random_device{}();
  std::printf("seed=%u\n", seed);
  std::mt19937 rng(seed);
  for (int iter = 0; iter < 200; iter++) {
    std::vector<std::string> want;
    std::string req;
    int argc = 1 + static_cast<int>(rng() % 6);
    req += "*" + std::to_string(argc) + "\r\n";
    for (int i = 0; i < argc; i++) {
      std::string a(rng() % 40, 'x');
      for (char& c : a) c = static_cast<char>(rng());
      want.push_back(a);
      req += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
    }
    RequestParser p;
    size_t fed = 0;
    R r = R::kNeedMore;
    while (r == R::kNeedMore) {
      fed = std::min(req.size(), fed + 1 + rng() % 7);
      std::string part = req.substr(0, fed);
      r = p.Parse(part);
      if (r == R::kOk) {
        ASSERT_EQ(Args(p), want) << "seed " << seed;
        ASSERT_EQ(p.consumed(), req.size());
      }
    }
    ASSERT_EQ(r, R::kOk) << "seed " << seed;
  }
}

TEST(RespParser, BytesMissingHint) {
  RequestParser p;
  std::string in = "*1\r\n$100\r\nabc";
  ASSERT_EQ(p.Parse(in), R::kNeedMore);
  EXPECT_EQ(p.bytes_missing(), 100u - 3 + 2);
  EXPECT_TRUE(p.in_request());
}

TEST(RespParser, EmptyMultibulkIsSkipped) {
  RequestParser p;
  ASSERT_EQ(p.Parse("*0\r\n*1\r\n$4\r\nPING\r\n"), R::kEmpty);
  EXPECT_EQ(p.consumed(), 4u);
  ASSERT_EQ(p.Parse("*-1\r\n"), R::kEmpty);
  EXPECT_EQ(p.consumed(), 5u);
}

TEST(RespParser, CountLineWaitsForLineFeed) {
  RequestParser p;
  EXPECT_EQ(p.Parse("*1\r"), R::kNeedMore);
  EXPECT_EQ(p.Parse("*1\r\n$4\r"), R::kNeedMore);
  EXPECT_EQ(p.Parse("*1\r\n$4\r\nPING\r"), R::kNeedMore);
  EXPECT_EQ(p.Parse("*1\r\n$4\r\nPING\r\n"), R::kOk);
}

TEST(RespParser, EmptyBulkArgument) {
  RequestParser p;
  ASSERT_EQ(p.Parse("*2\r\n$4\r\nECHO\r\n$0\r\n\r\n"), R::kOk);
  EXPECT_EQ(Args(p), (std::vector<std::string>{"ECHO", ""}));
}

// ---- Inline requests.

TEST(RespParser, Inline) {
  RequestParser p;
  ASSERT_EQ(p.Parse("SET key value\r\n"), R::kOk);
  EXPECT_EQ(Args(p), (std::vector<std::string>{"SET", "key", "value"}));
  EXPECT_EQ(p.consumed(), 15u);
}

TEST(RespParser, InlineBareLineFeedAndExtraSpaces) {
  RequestParser p;
  ASSERT_EQ(p.Parse("  PING   \t  hello \n"), R::kOk);
  EXPECT_EQ(Args(p), (std::vector<std::string>{"PING", "hello"}));
}

TEST(RespParser, InlineQuotes) {
  RequestParser p;
  ASSERT_EQ(p.Parse("SET \"a b\\n\\x41\" 'it\\'s' \"\"\r\n"), R::kOk);
  EXPECT_EQ(Args(p), (std::vector<std::string>{"SET", "a b\nA", "it's", ""}));
}

TEST(RespParser, InlineEmptyLineIsSkipped) {
  RequestParser p;
  ASSERT_EQ(p.Parse("\r\n"), R::kEmpty);
  EXPECT_EQ(p.consumed(), 2u);
  ASSERT_EQ(p.Parse("   \n"), R::kEmpty);
}

TEST(RespParser, InlineNeedsNewline) {
  RequestParser p;
  EXPECT_EQ(p.Parse("PING"), R::kNeedMore);
}

// ---- Error paths, each with Redis's text.

TEST(RespParser, ErrorUnbalancedDoubleQuote) {
  RequestParser p;
  ASSERT_EQ(p.Parse("SET \"abc\r\n"), R::kError);
  EXPECT_EQ(p.error(), "Protocol error: unbalanced quotes in request");
}

TEST(RespParser, ErrorUnbalancedSingleQuote) {
  RequestParser p;
  ASSERT_EQ(p.Parse("SET 'abc\r\n"), R::kError);
  EXPECT_EQ(p.error(), "Protocol error: unbalanced quotes in request");
}

TEST(RespParser, ErrorClosingQuoteNotFollowedBySpace) {
  RequestParser p;
  ASSERT_EQ(p.Parse("SET \"a\"b\r\n"), R::kError);
  EXPECT_EQ(p.error(), "Protocol error: unbalanced quotes in request");
}

TEST(RespParser, ErrorTooBigInlineWithoutNewline) {
  RequestParser p;
  std::string in(64 * 1024 + 1, 'a');
  ASSERT_EQ(p.Parse(in), R::kError);
  EXPECT_EQ(p.error(), "Protocol error: too big inline request");
}

TEST(RespParser, ErrorTooBigInlineWithNewline) {
  RequestParser p;
  std::string in(64 * 1024 + 1, 'a');
  in += "\r\n";
  ASSERT_EQ(p.Parse(in), R::kError);
  EXPECT_EQ(p.error(), "Protocol error: too big inline request");
}

TEST(RespParser, InlineAtLimitIsAccepted) {
  RequestParser p;
  std::string in(64 * 1024, 'a');
  ASSERT_EQ(p.Parse(in), R::kNeedMore);
  in += "\n";
  ASSERT_EQ(p.Parse(in), R::kOk);
}

TEST(RespParser, ErrorInvalidMultibulkLength) {
  for (std::string bad : {"*x\r\n", "*\r\n", "*1x\r\n", "*01\r\n", "*+1\r\n", "*1048577\r\n",
                          "*99999999999999999999999\r\n"}) {
    RequestParser p;
    ASSERT_EQ(p.Parse(bad), R::kError) << bad;
    EXPECT_EQ(p.error(), "Protocol error: invalid multibulk length") << bad;
  }
}

TEST(RespParser, MultibulkAtLimitIsAcceptedWithoutReservingIt) {
  RequestParser p;
  EXPECT_EQ(p.Parse("*1048576\r\n"), R::kNeedMore);
}

TEST(RespParser, ErrorTooBigMbulkCountString) {
  RequestParser p;
  std::string in = "*" + std::string(64 * 1024 + 1, '1');
  ASSERT_EQ(p.Parse(in), R::kError);
  EXPECT_EQ(p.error(), "Protocol error: too big mbulk count string");
}

TEST(RespParser, ErrorExpectedDollar) {
  RequestParser p;
  ASSERT_EQ(p.Parse("*1\r\n:4\r\nPING\r\n"), R::kError);
  EXPECT_EQ(p.error(), "Protocol error: expected '$', got ':'");
}

TEST(RespParser, ErrorInvalidBulkLength) {
  for (std::string bad :
       {"*1\r\n$x\r\n", "*1\r\n$-1\r\n", "*1\r\n$\r\n", "*1\r\n$536870913\r\n", "*1\r\n$1 \r\n"}) {
    RequestParser p;
    ASSERT_EQ(p.Parse(bad), R::kError) << bad;
    EXPECT_EQ(p.error(), "Protocol error: invalid bulk length") << bad;
  }
}

TEST(RespParser, BulkAtLimitIsAcceptedWithoutAllocating) {
  RequestParser p;
  ASSERT_EQ(p.Parse("*1\r\n$536870912\r\n"), R::kNeedMore);
  EXPECT_EQ(p.bytes_missing(), 536870912u + 2);
}

TEST(RespParser, ConfiguredBulkLimit) {
  ParserLimits lim;
  lim.max_bulk_len = 10;
  RequestParser p(lim);
  ASSERT_EQ(p.Parse("*1\r\n$11\r\n"), R::kError);
  EXPECT_EQ(p.error(), "Protocol error: invalid bulk length");
}

TEST(RespParser, ErrorTooBigBulkCountString) {
  RequestParser p;
  std::string in = "*1\r\n$" + std::string(64 * 1024 + 1, '1');
  ASSERT_EQ(p.Parse(in), R::kError);
  EXPECT_EQ(p.error(), "Protocol error: too big bulk count string");
}

TEST(RespParser, ErrorUnauthenticatedMultibulkLength) {
  ParserLimits lim;
  lim.unauthenticated = true;
  RequestParser p(lim);
  ASSERT_EQ(p.Parse("*11\r\n"), R::kError);
  EXPECT_EQ(p.error(), "Protocol error: unauthenticated multibulk length");
  RequestParser q(lim);
  EXPECT_EQ(q.Parse("*10\r\n"), R::kNeedMore);
}

TEST(RespParser, ErrorUnauthenticatedInlineLength) {
  ParserLimits lim;
  lim.unauthenticated = true;
  RequestParser p(lim);
  ASSERT_EQ(p.Parse("a b c d e f g h i j k\r\n"), R::kError);
  EXPECT_EQ(p.error(), "Protocol error: unauthenticated multibulk length");
}

TEST(RespParser, ErrorUnauthenticatedBulkLength) {
  ParserLimits lim;
  lim.unauthenticated = true;
  RequestParser p(lim);
  ASSERT_EQ(p.Parse("*2\r\n$4\r\nAUTH\r\n$16385\r\n"), R::kError);
  EXPECT_EQ(p.error(), "Protocol error: unauthenticated bulk length");
}

TEST(RespParser, ParserIsReusableAfterError) {
  RequestParser p;
  ASSERT_EQ(p.Parse("*1\r\n$x\r\n"), R::kError);
  EXPECT_FALSE(p.in_request());
  ASSERT_EQ(p.Parse("*1\r\n$4\r\nPING\r\n"), R::kOk);
}

// Headers the fast path ("<digits>\r") handles and the ones it leaves to the
// general path must both give Redis's outcome.
TEST(RespParser, HeaderEdgeCases) {
  struct Case {
    std::string in;
    R want;
    std::string error;  // for kError
  };
  const std::vector<Case> cases = {
      {"*1\r\n$3\r\nGET\r\n", R::kOk, ""},
      {"*1\r\n$0\r\n\r\n", R::kOk, ""},
      {"*0\r\n", R::kEmpty, ""},
      {"*-1\r\n", R::kEmpty, ""},
      {"*1\r", R::kNeedMore, ""},
      {"*1\r\n$3\r", R::kNeedMore, ""},
      {"*1\r\n$3", R::kNeedMore, ""},
      {"*1\r\n$3\rXGET\r\n", R::kOk, ""},  // the byte after CR is not checked
      {"*01\r\n", R::kError, "Protocol error: invalid multibulk length"},
      {"*+1\r\n", R::kError, "Protocol error: invalid multibulk length"},
      {"*1x\r\n", R::kError, "Protocol error: invalid multibulk length"},
      {"*1048577\r\n", R::kError, "Protocol error: invalid multibulk length"},
      {"*1\r\n$03\r\nGET\r\n", R::kError, "Protocol error: invalid bulk length"},
      {"*1\r\n$-1\r\n", R::kError, "Protocol error: invalid bulk length"},
      {"*1\r\n$+3\r\nGET\r\n", R::kError, "Protocol error: invalid bulk length"},
      {"*1\r\n$3x\r\nGET\r\n", R::kError, "Protocol error: invalid bulk length"},
      {"*1\r\n$536870913\r\n", R::kError, "Protocol error: invalid bulk length"},
      {"*1\r\n$999999999999999999\r\n", R::kError, "Protocol error: invalid bulk length"},
      {"*1\r\n$9999999999999999999\r\n", R::kError, "Protocol error: invalid bulk length"},
      {"*1\r\n$99999999999999999999\r\n", R::kError, "Protocol error: invalid bulk length"},
      {"*1\r\n:3\r\nGET\r\n", R::kError, "Protocol error: expected '$', got ':'"},
  };
  for (const Case& c : cases) {
    RequestParser p;
    EXPECT_EQ(p.Parse(c.in), c.want) << c.in;
    if (c.want == R::kError) {
      EXPECT_EQ(p.error(), c.error) << c.in;
    }
    if (c.want == R::kOk) {
      EXPECT_EQ(p.consumed(), c.in.size()) << c.in;
    }
  }
}

TEST(SplitInlineArgs, RedisRules) {
  std::vector<std::string> out;
  ASSERT_TRUE(SplitInlineArgs("a\"b c\"d", &out) == false);  // closing quote followed by 'd'
  ASSERT_TRUE(SplitInlineArgs("a\"b c\" d", &out));
  EXPECT_EQ(out, (std::vector<std::string>{"ab c", "d"}));
  ASSERT_TRUE(SplitInlineArgs("\"\\t\\r\\a\\b\\q\"", &out));
  EXPECT_EQ(out, (std::vector<std::string>{"\t\r\a\bq"}));
  ASSERT_TRUE(SplitInlineArgs("", &out));
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace walnut::protocol
