// Unit tests for RespWriter: every reply type in RESP2 and RESP3.
#include "protocol/resp_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace walnut::protocol {
namespace {

std::string Write2(void (*f)(RespWriter&)) {
  std::string out;
  RespWriter w(&out, 2);
  f(w);
  return out;
}
std::string Write3(void (*f)(RespWriter&)) {
  std::string out;
  RespWriter w(&out, 3);
  f(w);
  return out;
}

TEST(RespWriter, Basics) {
  EXPECT_EQ(Write2([](RespWriter& w) { w.Ok(); }), "+OK\r\n");
  EXPECT_EQ(Write2([](RespWriter& w) { w.SimpleString("PONG"); }), "+PONG\r\n");
  EXPECT_EQ(Write2([](RespWriter& w) { w.Integer(-42); }), ":-42\r\n");
  EXPECT_EQ(Write2([](RespWriter& w) { w.Integer(std::numeric_limits<int64_t>::min()); }),
            ":-9223372036854775808\r\n");
  EXPECT_EQ(Write2([](RespWriter& w) { w.Bulk(std::string_view("a\0b", 3)); }),
            std::string("$3\r\na\0b\r\n", 9));
  EXPECT_EQ(Write2([](RespWriter& w) { w.Bulk(""); }), "$0\r\n\r\n");
  EXPECT_EQ(Write2([](RespWriter& w) { w.ArrayHeader(2); }), "*2\r\n");
}

TEST(RespWriter, ErrorsGetCodeAndLoseNewlines) {
  EXPECT_EQ(Write2([](RespWriter& w) { w.Error("ERR syntax error"); }), "-ERR syntax error\r\n");
  EXPECT_EQ(Write2([](RespWriter& w) { w.Error("WRONGTYPE Operation"); }),
            "-WRONGTYPE Operation\r\n");
  EXPECT_EQ(Write2([](RespWriter& w) { w.Error("bad thing"); }), "-ERR bad thing\r\n");
  EXPECT_EQ(Write2([](RespWriter& w) { w.Error("ERR a\r\nb"); }), "-ERR a  b\r\n");
  EXPECT_EQ(Write2([](RespWriter& w) { w.SimpleString("a\nb"); }), "+a b\r\n");
}

TEST(RespWriter, NullsPerProtocol) {
  EXPECT_EQ(Write2([](RespWriter& w) { w.NullBulk(); }), "$-1\r\n");
  EXPECT_EQ(Write2([](RespWriter& w) { w.NullArray(); }), "*-1\r\n");
  EXPECT_EQ(Write3([](RespWriter& w) { w.NullBulk(); }), "_\r\n");
  EXPECT_EQ(Write3([](RespWriter& w) { w.NullArray(); }), "_\r\n");
}

TEST(RespWriter, AggregatesPerProtocol) {
  EXPECT_EQ(Write2([](RespWriter& w) { w.MapHeader(2); }), "*4\r\n");
  EXPECT_EQ(Write3([](RespWriter& w) { w.MapHeader(2); }), "%2\r\n");
  EXPECT_EQ(Write2([](RespWriter& w) { w.SetHeader(3); }), "*3\r\n");
  EXPECT_EQ(Write3([](RespWriter& w) { w.SetHeader(3); }), "~3\r\n");
  EXPECT_EQ(Write2([](RespWriter& w) { w.PushHeader(1); }), "*1\r\n");
  EXPECT_EQ(Write3([](RespWriter& w) { w.PushHeader(1); }), ">1\r\n");
}

TEST(RespWriter, ScalarsPerProtocol) {
  EXPECT_EQ(Write2([](RespWriter& w) { w.Double(1.5); }), "$3\r\n1.5\r\n");
  EXPECT_EQ(Write3([](RespWriter& w) { w.Double(1.5); }), ",1.5\r\n");
  EXPECT_EQ(Write3([](RespWriter& w) { w.Double(std::numeric_limits<double>::infinity()); }),
            ",inf\r\n");
  EXPECT_EQ(Write3([](RespWriter& w) { w.Double(-std::numeric_limits<double>::infinity()); }),
            ",-inf\r\n");
  EXPECT_EQ(Write3([](RespWriter& w) { w.Double(std::nan("")); }), ",nan\r\n");
  EXPECT_EQ(Write2([](RespWriter& w) { w.Boolean(true); }), ":1\r\n");
  EXPECT_EQ(Write3([](RespWriter& w) { w.Boolean(false); }), "#f\r\n");
  EXPECT_EQ(Write2([](RespWriter& w) { w.Verbatim("hi"); }), "$2\r\nhi\r\n");
  EXPECT_EQ(Write3([](RespWriter& w) { w.Verbatim("hi"); }), "=6\r\ntxt:hi\r\n");
  EXPECT_EQ(Write2([](RespWriter& w) { w.BigNumber("123"); }), "$3\r\n123\r\n");
  EXPECT_EQ(Write3([](RespWriter& w) { w.BigNumber("123"); }), "(123\r\n");
}

TEST(RespWriter, FormatDouble) {
  EXPECT_EQ(FormatDouble(3), "3");
  EXPECT_EQ(FormatDouble(0.1), "0.10000000000000001");
  EXPECT_EQ(FormatDouble(-2.5e100), "-2.4999999999999999e+100");
}

}  // namespace
}  // namespace walnut::protocol
