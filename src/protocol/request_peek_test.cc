// Unit tests for PeekSecondArgs and PeekFirstKey: what they step over, where
// they stop, and that what they find is what RequestParser finds.
#include "protocol/request_peek.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "protocol/resp_parser.h"

namespace walnut::protocol {
namespace {

std::string Req(const std::vector<std::string>& args) {
  std::string s = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) s += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return s;
}

struct Result {
  Peeked pk;
  std::vector<std::string> keys;
};

Result Peek(std::string_view in, size_t max = 16) {
  std::vector<std::string_view> keys(max);
  Result r;
  r.pk = PeekSecondArgs(in, keys);
  for (size_t i = 0; i < r.pk.keys; i++) r.keys.emplace_back(keys[i]);
  return r;
}

TEST(RequestPeek, PipelineOfKeyedRequests) {
  std::string in = Req({"GET", "a"}) + Req({"SET", "bb", "v"}) + Req({"INCR", "c\r\nc"});
  Result r = Peek(in);
  EXPECT_EQ(r.pk.requests, 3u);
  EXPECT_EQ(r.pk.bytes, in.size());
  EXPECT_EQ(r.keys, (std::vector<std::string>{"a", "bb", "c\r\nc"}));
}

TEST(RequestPeek, RequestsWithOneArgumentGiveNoKey) {
  std::string in = Req({"PING"}) + Req({"GET", "k"}) + Req({"MULTI"});
  Result r = Peek(in);
  EXPECT_EQ(r.pk.requests, 3u);
  EXPECT_EQ(r.keys, (std::vector<std::string>{"k"}));
}

TEST(RequestPeek, StopsAtAnIncompleteRequest) {
  std::string first = Req({"GET", "a"});
  std::string second = Req({"SET", "b", "value"});
  for (size_t cut = 0; cut < second.size(); cut++) {
    Result r = Peek(first + second.substr(0, cut));
    EXPECT_EQ(r.pk.requests, 1u) << "cut " << cut;
    EXPECT_EQ(r.pk.bytes, first.size()) << "cut " << cut;
  }
}

TEST(RequestPeek, StopsAtWhatOnlyTheParserMayJudge) {
  const std::string ok = Req({"GET", "a"});
  for (std::string bad : {
           std::string("GET a\r\n"),                       // inline
           std::string("*-1\r\n"),                         // signed count
           std::string("*0\r\n"),                          // empty request
           std::string("*2\r\n$3\r\nGET\r\n$-1\r\n"),      // signed length
           std::string("*2\r\n$3\r\nGETx\n$1\r\na\r\n"),   // bytes not ended by CRLF
           std::string("*2\r\n:3\r\nGET\r\n$1\r\na\r\n"),  // not a bulk
           std::string("*2\n$3\r\nGET\r\n$1\r\na\r\n"),    // header without CR
           std::string("*2\r\n$12345678901\r\nGET\r\n"),   // absurd length
       }) {
    Result r = Peek(ok + bad + ok);
    EXPECT_EQ(r.pk.requests, 1u) << bad;
    EXPECT_EQ(r.pk.bytes, ok.size()) << bad;
  }
}

TEST(RequestPeek, StopsAtRequestsWithManyArguments) {
  std::vector<std::string> mset = {"MSET"};
  for (size_t i = 0; i < kMaxPeekArgs; i++) mset.push_back("k" + std::to_string(i));
  ASSERT_GT(mset.size(), kMaxPeekArgs);
  Result r = Peek(Req({"GET", "a"}) + Req(mset));
  EXPECT_EQ(r.pk.requests, 1u);
  mset.pop_back();
  r = Peek(Req(mset) + Req({"GET", "a"}));
  EXPECT_EQ(r.pk.requests, 2u);
  EXPECT_EQ(r.keys, (std::vector<std::string>{"k0", "a"}));
}

TEST(RequestPeek, AtMostAsManyRequestsAsKeySlots) {
  std::string in;
  for (int i = 0; i < 10; i++) in += Req({"GET", std::to_string(i)});
  Result r = Peek(in, 4);
  EXPECT_EQ(r.pk.requests, 4u);
  EXPECT_EQ(r.pk.bytes, 4 * Req({"GET", "0"}).size());
  EXPECT_EQ(r.keys, (std::vector<std::string>{"0", "1", "2", "3"}));
  EXPECT_EQ(Peek("", 4).pk.requests, 0u);
}

// Random pipelines, cut at a random byte: every request the peek steps over
// must be one the parser parses to the same length and second argument.
TEST(RequestPeek, AgreesWithTheParser) {
  unsigned seed = std::random_device{}();
  std::printf("seed=%u\n", seed);
  std::mt19937 rng(seed);
  for (int round = 0; round < 2000; round++) {
    std::string in;
    int n = 1 + int(rng() % 20);
    for (int i = 0; i < n; i++) {
      std::vector<std::string> args(1 + rng() % 5);
      for (auto& a : args) {
        size_t len = rng() % 4 == 0 ? rng() % 300 : rng() % 12;
        for (size_t k = 0; k < len; k++) a += char(rng() % 256);
      }
      in += Req(args);
    }
    in.resize(rng() % (in.size() + 1));
    Result r = Peek(in);
    RequestParser p;
    std::string_view rest = in;
    size_t keys = 0, bytes = 0;
    for (size_t i = 0; i < r.pk.requests; i++) {
      ASSERT_EQ(p.Parse(rest), RequestParser::Result::kOk) << "seed " << seed;
      if (p.args().size() >= 2) {
        ASSERT_LT(keys, r.keys.size()) << "seed " << seed;
        ASSERT_EQ(p.args()[1], r.keys[keys++]) << "seed " << seed;
      }
      bytes += p.consumed();
      rest.remove_prefix(p.consumed());
    }
    ASSERT_EQ(keys, r.pk.keys) << "seed " << seed;
    ASSERT_EQ(bytes, r.pk.bytes) << "seed " << seed;
    // And it stopped only where the parser needs more (at most 16 peeked).
    if (r.pk.requests < 16) {
      ASSERT_EQ(p.Parse(rest), RequestParser::Result::kNeedMore) << "seed " << seed;
    }
  }
}

TEST(RequestPeek, FirstKeyReadsNoFurtherThanItsArgument) {
  std::vector<std::string> mset = {"MSET"};
  for (size_t i = 0; i <= kMaxPeekArgs; i++) mset.push_back("k" + std::to_string(i));
  EXPECT_EQ(PeekFirstKey(Req(mset)), "k0");  // more arguments than PeekSecondArgs steps over
  const std::string get = Req({"GET", "key\r\n1"});
  const size_t key_end = get.size();  // the key's CRLF ends the request
  for (size_t cut = 0; cut <= get.size(); cut++) {
    std::string_view k = PeekFirstKey(std::string_view(get).substr(0, cut));
    EXPECT_EQ(k, cut == key_end ? "key\r\n1" : "") << "cut " << cut;
  }
  // The rest of the request need not have arrived.
  const std::string set = Req({"SET", "kk", std::string(100, 'v')});
  EXPECT_EQ(PeekFirstKey(std::string_view(set).substr(0, set.size() - 50)), "kk");
}

TEST(RequestPeek, FirstKeyIsEmptyForWhatOnlyTheParserMayJudge) {
  for (std::string bad : {
           std::string(""), Req({"PING"}),                  // no second argument
           std::string("GET a\r\n"),                        // inline
           std::string("*-1\r\n"),                          // signed count
           std::string("*2\r\n$3\r\nGET\r\n$-1\r\n"),       // signed length
           std::string("*2\r\n$3\r\nGETx\n$1\r\na\r\n"),    // bytes not ended by CRLF
           std::string("*2\r\n$3\r\nGET\r\n$1\r\nab\r\n"),  // key longer than announced
           std::string("*2\r\n:3\r\nGET\r\n$1\r\na\r\n"),   // not a bulk
           std::string("*2\r\n$12345678901\r\nGET\r\n"),    // absurd length
       }) {
    EXPECT_EQ(PeekFirstKey(bad), "") << bad;
  }
}

// Random requests cut at every byte: the peek finds either nothing or the
// second argument the parser finds in the whole request.
TEST(RequestPeek, FirstKeyAgreesWithTheParser) {
  unsigned seed = std::random_device{}();
  std::printf("seed=%u\n", seed);
  std::mt19937 rng(seed);
  for (int round = 0; round < 500; round++) {
    std::vector<std::string> args(1 + rng() % 5);
    for (auto& a : args) {
      size_t len = rng() % 4 == 0 ? rng() % 300 : rng() % 12;
      for (size_t k = 0; k < len; k++) a += char(rng() % 256);
    }
    const std::string in = Req(args);
    RequestParser p;
    ASSERT_EQ(p.Parse(in), RequestParser::Result::kOk) << "seed " << seed;
    const std::string key = args.size() >= 2 ? args[1] : "";
    ASSERT_EQ(PeekFirstKey(in), key) << "seed " << seed;
    for (size_t cut = 0; cut < in.size(); cut++) {
      std::string_view k = PeekFirstKey(std::string_view(in).substr(0, cut));
      ASSERT_TRUE(k.empty() || k == key) << "seed " << seed << " cut " << cut;
    }
  }
}

}  // namespace
}  // namespace walnut::protocol
