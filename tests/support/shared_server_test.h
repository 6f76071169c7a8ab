// SharedServerTest: a fixture for black-box suites that share one
// walnut-server per test suite (starting a server per test would dominate
// the run time). Each test gets a fresh hiredis connection to an emptied
// server (FLUSHALL), so tests stay independent of each other's keys.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "support/server_process.h"

namespace walnut::test {

class SharedServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new ServerProcess({"--http-port", "0"});
    const ::testing::AssertionResult r = server_->Start();
    started_ = static_cast<bool>(r);
    if (!started_) start_error_ = r.message();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(started_) << "walnut-server did not start:\n" << start_error_;
    c_ = server_->Client();
    ASSERT_TRUE(c_.ok()) << c_.error();
    ASSERT_EQ(c_.Cmd("FLUSHALL"), "OK");
  }
  // redis-cli against the shared server; args are passed to the shell as is.
  std::string Cli(const std::string& args, int* code = nullptr) {
    return RunCommand("redis-cli -p " + std::to_string(server_->port()) + " " + args, code);
  }

  static inline ServerProcess* server_ = nullptr;
  static inline bool started_ = false;
  static inline std::string start_error_;
  RedisConn c_;
};

}  // namespace walnut::test
