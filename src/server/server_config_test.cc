// Unit tests for ServerConfig: directive parsing (Redis units, aliases),
// config files with line numbers in errors, and validation (protected mode).
#include "server/server_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace walnut::server {
namespace {

TEST(ServerConfig, ParseMemoryUsesRedisUnits) {
  int64_t v;
  ASSERT_TRUE(ParseMemory("100", &v));
  EXPECT_EQ(v, 100);
  ASSERT_TRUE(ParseMemory("1k", &v));
  EXPECT_EQ(v, 1000);
  ASSERT_TRUE(ParseMemory("1kb", &v));
  EXPECT_EQ(v, 1024);
  ASSERT_TRUE(ParseMemory("2MB", &v));
  EXPECT_EQ(v, 2 << 20);
  ASSERT_TRUE(ParseMemory("3g", &v));
  EXPECT_EQ(v, 3000000000ll);
  EXPECT_FALSE(ParseMemory("", &v));
  EXPECT_FALSE(ParseMemory("kb", &v));
  EXPECT_FALSE(ParseMemory("1x", &v));
  EXPECT_FALSE(ParseMemory("99999999999gb", &v));
}

TEST(ServerConfig, DirectivesAndAliases) {
  ServerConfig c;
  ASSERT_TRUE(ApplyDirective("PORT", {"7000"}, &c).ok());
  EXPECT_EQ(c.port, 7000);
  ASSERT_TRUE(ApplyDirective("appendfsync", {"always"}, &c).ok());
  EXPECT_EQ(c.fsync, walnut::FsyncMode::kAlways);
  ASSERT_TRUE(ApplyDirective("loglevel", {"notice"}, &c).ok());
  EXPECT_EQ(c.log_level, "info");
  ASSERT_TRUE(ApplyDirective("bind", {"127.0.0.1 ::1"}, &c).ok());
  EXPECT_EQ(c.bind, (std::vector<std::string>{"127.0.0.1", "::1"}));
  ASSERT_TRUE(ApplyDirective("segment-size", {"1mb"}, &c).ok());
  EXPECT_EQ(c.segment_size, 1u << 20);
  EXPECT_EQ(c.partitions, 0u);  // auto
  ASSERT_TRUE(ApplyDirective("partitions", {"4"}, &c).ok());
  EXPECT_EQ(c.partitions, 4u);
  ASSERT_TRUE(ApplyDirective("partitions", {"auto"}, &c).ok());
  EXPECT_EQ(c.partitions, 0u);
  EXPECT_FALSE(ApplyDirective("partitions", {"0"}, &c).ok());
  EXPECT_FALSE(ApplyDirective("partitions", {"257"}, &c).ok());
  ASSERT_TRUE(ApplyDirective("recovery", {"point-in-time"}, &c).ok());
  EXPECT_EQ(c.recovery, walnut::RecoveryMode::kPointInTime);
  ASSERT_TRUE(ApplyDirective("auto-compact", {"no"}, &c).ok());
  EXPECT_FALSE(c.auto_compact);
  ASSERT_TRUE(ApplyDirective("compact-garbage-ratio", {"0.25"}, &c).ok());
  EXPECT_DOUBLE_EQ(c.compact_garbage_ratio, 0.25);
  EXPECT_FALSE(ApplyDirective("compact-garbage-ratio", {"1.5"}, &c).ok());
  EXPECT_FALSE(ApplyDirective("compact-garbage-ratio", {"x"}, &c).ok());
  EXPECT_EQ(c.log_prefill, walnut::LogPrefill::kAuto);
  ASSERT_TRUE(ApplyDirective("log-prefill", {"zeros"}, &c).ok());
  EXPECT_EQ(c.log_prefill, walnut::LogPrefill::kZeros);
  ASSERT_TRUE(ApplyDirective("log-prefill", {"FALLOCATE"}, &c).ok());
  EXPECT_EQ(c.log_prefill, walnut::LogPrefill::kFallocate);
  EXPECT_FALSE(ApplyDirective("log-prefill", {"ones"}, &c).ok());
  EXPECT_EQ(c.log_prefill, walnut::LogPrefill::kFallocate);  // a refused value changes nothing
  EXPECT_EQ(c.background_nice, 10);
  ASSERT_TRUE(ApplyDirective("background-nice", {"0"}, &c).ok());
  EXPECT_EQ(c.background_nice, 0);
  ASSERT_TRUE(ApplyDirective("background-nice", {"19"}, &c).ok());
  EXPECT_EQ(c.background_nice, 19);
  EXPECT_FALSE(ApplyDirective("background-nice", {"20"}, &c).ok());
  EXPECT_FALSE(ApplyDirective("background-nice", {"-1"}, &c).ok());
  EXPECT_EQ(c.background_nice, 19);  // a refused value changes nothing
  ASSERT_TRUE(ApplyDirective("compact-min-log-bytes", {"1mb"}, &c).ok());
  EXPECT_EQ(c.compact_min_log_bytes, 1u << 20);
  EXPECT_EQ(c.max_memory, 0u);  // off
  ASSERT_TRUE(ApplyDirective("max-memory", {"100mb"}, &c).ok());
  EXPECT_EQ(c.max_memory, 100u << 20);
  ASSERT_TRUE(ApplyDirective("maxmemory", {"1gb"}, &c).ok());  // Redis's spelling
  EXPECT_EQ(c.max_memory, 1u << 30);
  ASSERT_TRUE(ApplyDirective("max-memory", {"0"}, &c).ok());
  EXPECT_EQ(c.max_memory, 0u);
  EXPECT_FALSE(ApplyDirective("max-memory", {"-1"}, &c).ok());
  EXPECT_FALSE(ApplyDirective("max-memory", {"lots"}, &c).ok());
  EXPECT_FALSE(ApplyDirective("port", {"70000"}, &c).ok());
  EXPECT_FALSE(ApplyDirective("port", {"1", "2"}, &c).ok());
  EXPECT_FALSE(ApplyDirective("fsync", {"sometimes"}, &c).ok());
  EXPECT_FALSE(ApplyDirective("databases", {"0"}, &c).ok());
  EXPECT_TRUE(ApplyDirective("nosuch", {"1"}, &c).IsNotFound());
}

TEST(ServerConfig, ProtectedMode) {
  ServerConfig c;
  EXPECT_TRUE(ValidateConfig(c).ok());
  c.bind = {"0.0.0.0"};
  walnut::Status s = ValidateConfig(c);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("protected mode"), std::string::npos);
  c.requirepass = "pw";
  EXPECT_TRUE(ValidateConfig(c).ok());
  c.requirepass.clear();
  c.protected_mode = false;
  EXPECT_TRUE(ValidateConfig(c).ok());
  c.protected_mode = true;
  c.bind = {"127.0.0.1", "::1", "localhost"};
  EXPECT_TRUE(ValidateConfig(c).ok());
}

TEST(ServerConfig, TlsDirectivesAndValidation) {
  ServerConfig c;
  ASSERT_TRUE(ApplyDirective("tls-port", {"6380"}, &c).ok());
  EXPECT_EQ(c.tls_port, 6380);
  // A TLS port needs a certificate and its key.
  EXPECT_FALSE(ValidateConfig(c).ok());
  ASSERT_TRUE(ApplyDirective("tls-cert-file", {"/x/server.crt"}, &c).ok());
  EXPECT_FALSE(ValidateConfig(c).ok());
  ASSERT_TRUE(ApplyDirective("tls-key-file", {"/x/server.key"}, &c).ok());
  // Default tls-auth-clients without a CA: no client certificates asked for.
  EXPECT_TRUE(ValidateConfig(c).ok()) << ValidateConfig(c).ToString();
  EXPECT_EQ(c.tls_auth_clients, TlsAuthClients::kYes);
  EXPECT_FALSE(c.tls_auth_clients_set);
  // Asking for client certificates without a CA is refused, as in Redis.
  ASSERT_TRUE(ApplyDirective("tls-auth-clients", {"optional"}, &c).ok());
  EXPECT_EQ(c.tls_auth_clients, TlsAuthClients::kOptional);
  EXPECT_FALSE(ValidateConfig(c).ok());
  ASSERT_TRUE(ApplyDirective("tls-ca-cert-file", {"/x/ca.crt"}, &c).ok());
  EXPECT_TRUE(ValidateConfig(c).ok());
  ASSERT_TRUE(ApplyDirective("tls-auth-clients", {"NO"}, &c).ok());
  EXPECT_EQ(c.tls_auth_clients, TlsAuthClients::kNo);
  EXPECT_FALSE(ApplyDirective("tls-auth-clients", {"maybe"}, &c).ok());
  EXPECT_EQ(c.tls_auth_clients, TlsAuthClients::kNo);  // unchanged
  // --port 0 turns plain TCP off when TLS is on, and only then.
  ASSERT_TRUE(ApplyDirective("port", {"0"}, &c).ok());
  EXPECT_TRUE(ValidateConfig(c).ok());
  ASSERT_TRUE(ApplyDirective("tls-port", {"0"}, &c).ok());
  EXPECT_FALSE(ValidateConfig(c).ok());
  // The two ports must differ.
  ASSERT_TRUE(ApplyDirective("port", {"6380"}, &c).ok());
  ASSERT_TRUE(ApplyDirective("tls-port", {"6380"}, &c).ok());
  EXPECT_FALSE(ValidateConfig(c).ok());
  EXPECT_FALSE(ApplyDirective("tls-port", {"65536"}, &c).ok());
}

TEST(ServerConfig, LoadFileReportsLine) {
  char path[] = "/tmp/walnut-conf-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  std::string text = "# a comment\n\n  port 7001\nrequirepass \"with space\"\nmaxclients nope\n";
  ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  ServerConfig c;
  walnut::Status s = LoadConfigFile(path, &c);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(std::string(path) + ":5:"), std::string::npos) << s.message();
  EXPECT_EQ(c.port, 7001);
  EXPECT_EQ(c.requirepass, "with space");
  unlink(path);
  EXPECT_FALSE(LoadConfigFile("/nonexistent/walnut.conf", &c).ok());
}

}  // namespace
}  // namespace walnut::server
