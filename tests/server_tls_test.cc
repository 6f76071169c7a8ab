// Black-box tests of TLS on --tls-port, driven with `redis-cli --tls` and
// `walnut --tls`.
//
// The suite makes its own throw-away PKI with the `openssl` command: a CA, a
// server certificate for 127.0.0.1 signed by it, a client certificate signed
// by it, and a second ("rogue") CA with a client certificate of its own.
// It checks: SET/GET over TLS next to the plain port; a long pipeline and a
// 5 MB value (partial TLS reads and writes, plaintext buffered inside
// OpenSSL); a plain-text client on the TLS port is dropped while others are
// served; a handshake that never finishes does not stall the loop; client
// certificates with tls-auth-clients yes / optional / no; AUTH over TLS;
// TLS only (--port 0); the TLS settings from a --config file; the walnut
// CLI over TLS; and the start-up errors for missing, mismatched, encrypted
// or unusable certificates and keys.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "server_raw_client.h"
#include "support/server_process.h"

namespace walnut::test {
namespace {

// The PKI, made once for the whole suite.
class Pki {
 public:
  Pki() : dir_("tls-pki") {}

  // Empty on success, else the openssl output.
  std::string Make() {
    // EC keys: generating them is instant, unlike RSA.
    const std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    const std::string d = ShellQuote(dir_.path());
    std::string script =
        "set -e; cd " + d +
        "\n"
        "openssl req -x509 " +
        key +
        " -keyout ca.key -out ca.crt -days 2 -subj '/CN=Walnut Test CA'\n"
        "openssl req -x509 " +
        key +
        " -keyout rogue-ca.key -out rogue-ca.crt -days 2 "
        "-subj '/CN=Rogue CA'\n"
        "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > san.ext\n"
        "openssl req " +
        key +
        " -keyout server.key -out server.csr -subj '/CN=localhost'\n"
        "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
        "-out server.crt -days 2 -extfile san.ext\n"
        "openssl req " +
        key +
        " -keyout client.key -out client.csr -subj '/CN=walnut client'\n"
        "openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
        "-out client.crt -days 2\n"
        "openssl req " +
        key +
        " -keyout rogue.key -out rogue.csr -subj '/CN=rogue client'\n"
        "openssl x509 -req -in rogue.csr -CA rogue-ca.crt -CAkey rogue-ca.key -CAcreateserial "
        "-out rogue.crt -days 2\n"
        "openssl pkey -in server.key -aes256 -passout pass:secret -out server-encrypted.key\n"
        "printf 'not a certificate\\n' > garbage.crt\n";
    int code = -1;
    std::string out = RunCommand(script, &code);
    return code == 0 ? "" : "openssl failed (" + std::to_string(code) + "):\n" + out;
  }

  std::string File(const std::string& name) const { return dir_.Sub(name); }

 private:
  TempDir dir_;
};

Pki* pki = nullptr;
std::string pki_error;

class TlsEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    pki = new Pki();
    pki_error = pki->Make();
  }
  void TearDown() override {
    delete pki;
    pki = nullptr;
  }
};
[[maybe_unused]] const auto* const kEnv = ::testing::AddGlobalTestEnvironment(new TlsEnvironment);

// The flags of a TLS server with the suite's server certificate on `port`.
std::vector<std::string> TlsArgs(int port, std::vector<std::string> more = {}) {
  std::vector<std::string> a = {"--http-port",     "0",
                                "--tls-port",      std::to_string(port),
                                "--tls-cert-file", pki->File("server.crt"),
                                "--tls-key-file",  pki->File("server.key")};
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

// Starts a server made by `make(tls_port)`. The TLS port comes from
// FreePort and, unlike the ports the harness picks, is not re-chosen by it
// if another process takes it first; so a start that failed for that
// reason is tried again on a new port.
std::unique_ptr<ServerProcess> StartTls(
    const std::function<std::unique_ptr<ServerProcess>(int)>& make, int* tls_port) {
  for (int attempt = 0; attempt < 5; attempt++) {
    *tls_port = FreePort();
    std::unique_ptr<ServerProcess> s = make(*tls_port);
    ::testing::AssertionResult r = s->Start();
    if (r) return s;
    if (std::string(r.message()).find("Address already in use") == std::string::npos) {
      ADD_FAILURE() << r.message();
      return nullptr;
    }
  }
  ADD_FAILURE() << "no free TLS port after 5 attempts";
  return nullptr;
}

// `redis-cli --tls` against 127.0.0.1:port trusting the suite's CA, with
// `extra` options (quoted by the caller) and the command; stdout+stderr.
std::string TlsCli(int port, const std::string& extra, const std::string& command,
                   int* code = nullptr) {
  return RunCommand("redis-cli --tls --cacert " + ShellQuote(pki->File("ca.crt")) + " -p " +
                        std::to_string(port) + " " + extra + " " + command,
                    code);
}

// `walnut --tls` (the CLI) against 127.0.0.1:port, like TlsCli.
std::string WalnutTls(int port, const std::string& extra, const std::string& command,
                      int* code = nullptr) {
  return RunCommand(std::string(WALNUT_BUILD_DIR) + "/walnut --tls --cacert " +
                        ShellQuote(pki->File("ca.crt")) + " -p " + std::to_string(port) + " " +
                        extra + " " + command,
                    code);
}

std::string ClientCert(const std::string& name) {
  return "--cert " + ShellQuote(pki->File(name + ".crt")) + " --key " +
         ShellQuote(pki->File(name + ".key"));
}

// An INFO field read over the plain port.
std::string InfoField(ServerProcess& s, const std::string& section, const std::string& field) {
  RedisConn c = s.Client();
  std::string info = c.Cmd("INFO", section);
  std::string needle = field + ":";
  size_t at = info.find(needle);
  if (at == std::string::npos) return "(missing " + field + ")";
  size_t end = info.find_first_of("\\\r\n", at);
  return info.substr(at + needle.size(), end - at - needle.size());
}

// ---- One server without client certificates, shared by the I/O tests.

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_EQ(pki_error, "");
    // The TLS settings come from a config file here, to cover it too.
    config_dir_ = new TempDir("tls-config");
    server_ = StartTls(
                  [](int port) {
                    std::string conf = config_dir_->Sub("walnut.conf");
                    std::string text = "tls-port " + std::to_string(port) + "\ntls-cert-file \"" +
                                       pki->File("server.crt") + "\"\ntls-key-file \"" +
                                       pki->File("server.key") + "\"\n";
                    RunCommand("printf %s " + ShellQuote(text) + " > " + ShellQuote(conf));
                    return std::make_unique<ServerProcess>(
                        std::vector<std::string>{"--http-port", "0", "--config", conf});
                  },
                  &tls_port_)
                  .release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    delete config_dir_;
    config_dir_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    ASSERT_EQ(server_->Client().Cmd("FLUSHALL"), "OK");
  }
  static ServerProcess* server_;
  static TempDir* config_dir_;
  static int tls_port_;
};
ServerProcess* TlsTest::server_ = nullptr;
TempDir* TlsTest::config_dir_ = nullptr;
int TlsTest::tls_port_ = 0;

TEST_F(TlsTest, SetGetOverTlsNextToPlainPort) {
  EXPECT_EQ(TlsCli(tls_port_, "", "SET k v"), "OK\n");
  EXPECT_EQ(TlsCli(tls_port_, "", "GET k"), "v\n");
  // The same data on the plain port, and the other way round.
  RedisConn c = server_->Client();
  EXPECT_EQ(c.Cmd("GET", "k"), "\"v\"");
  EXPECT_EQ(c.Cmd("SET", "plain", "p"), "OK");
  EXPECT_EQ(TlsCli(tls_port_, "", "GET plain"), "p\n");
  EXPECT_EQ(TlsCli(tls_port_, "", "CONFIG GET tls-port"),
            "tls-port\n" + std::to_string(tls_port_) + "\n");
  EXPECT_EQ(TlsCli(tls_port_, "", "CONFIG GET tls-auth-clients"), "tls-auth-clients\nyes\n");
  EXPECT_EQ(InfoField(*server_, "server", "tls_port"), std::to_string(tls_port_));
  // The redis-cli asking is the one TLS client.
  std::string clients = TlsCli(tls_port_, "", "INFO clients");
  EXPECT_NE(clients.find("connected_tls_clients:1\r"), std::string::npos) << clients;
}

TEST_F(TlsTest, LongPipeline) {
  // 100,000 SETs of seeded random sizes in one stream: the server reads many
  // TLS records per loop turn, stops at its per-turn cap with plaintext
  // still inside OpenSSL, and writes replies faster than they are read.
  std::mt19937_64 rng(TestSeed());
  std::uniform_int_distribution<int> size(1, 500);
  std::string resp;
  const int kCommands = 100000;
  std::vector<std::pair<std::string, size_t>> sample;
  for (int i = 0; i < kCommands; i++) {
    std::string key = "key:" + std::to_string(i);
    std::string value(static_cast<size_t>(size(rng)), static_cast<char>('a' + i % 26));
    resp += "*3\r\n$3\r\nSET\r\n$" + std::to_string(key.size()) + "\r\n" + key + "\r\n$" +
            std::to_string(value.size()) + "\r\n" + value + "\r\n";
    if (i % 9973 == 0) sample.emplace_back(key, value.size());
  }
  TempDir tmp("tls-pipe");
  std::string file = tmp.Sub("pipe.resp");
  {
    FILE* f = std::fopen(file.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(std::fwrite(resp.data(), 1, resp.size(), f), resp.size());
    std::fclose(f);
  }
  std::string out = TlsCli(tls_port_, "--pipe", "< " + ShellQuote(file));
  EXPECT_NE(out.find("errors: 0, replies: " + std::to_string(kCommands)), std::string::npos) << out;
  RedisConn c = server_->Client();
  EXPECT_EQ(c.Cmd("DBSIZE"), "(integer) " + std::to_string(kCommands));
  for (const auto& [key, len] : sample) {
    EXPECT_EQ(c.Cmd("STRLEN", key), "(integer) " + std::to_string(len)) << key;
  }
}

TEST_F(TlsTest, FiveMegabyteValue) {
  std::mt19937_64 rng(TestSeed() ^ 5);
  std::string value(5 << 20, '\0');
  for (char& ch : value) ch = static_cast<char>('!' + rng() % 90);  // printable, no newline
  TempDir tmp("tls-big");
  std::string in = tmp.Sub("value.txt"), out = tmp.Sub("got.txt");
  {
    FILE* f = std::fopen(in.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(std::fwrite(value.data(), 1, value.size(), f), value.size());
    std::fclose(f);
  }
  EXPECT_EQ(TlsCli(tls_port_, "-x", "SET big < " + ShellQuote(in)), "OK\n");
  RedisConn c = server_->Client();
  EXPECT_EQ(c.Cmd("STRLEN", "big"), "(integer) " + std::to_string(value.size()));
  TlsCli(tls_port_, "--raw", "GET big > " + ShellQuote(out));
  std::string got = ReadFile(out);
  ASSERT_EQ(got.size(), value.size() + 1);  // redis-cli adds a newline
  EXPECT_TRUE(got.compare(0, value.size(), value) == 0) << "the value came back changed";
}

TEST_F(TlsTest, PlainTextClientOnTlsPortIsDropped) {
  uint64_t before = std::stoull(InfoField(*server_, "stats", "tls_handshake_failures"));
  RawClient plain(tls_port_);
  ASSERT_TRUE(plain.ok());
  ASSERT_TRUE(plain.Send("*1\r\n$4\r\nPING\r\n"));
  EXPECT_TRUE(plain.WaitClosed()) << "the server kept a plain-text client on the TLS port";
  EXPECT_EQ(plain.Take().find("PONG"), std::string::npos);
  // Counted, and everyone else is still served.
  EXPECT_TRUE(WaitUntil([&] {
    return std::stoull(InfoField(*server_, "stats", "tls_handshake_failures")) >= before + 1;
  }));
  EXPECT_EQ(TlsCli(tls_port_, "", "PING"), "PONG\n");
  EXPECT_EQ(server_->Client().Cmd("PING"), "PONG");
}

TEST_F(TlsTest, StalledHandshakeDoesNotBlockOthers) {
  // A client that connects and never sends its ClientHello, and one that
  // sends half of one: the loop must go on serving.
  RawClient silent(tls_port_);
  RawClient half(tls_port_);
  ASSERT_TRUE(silent.ok() && half.ok());
  ASSERT_TRUE(half.Send(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11)));
  EXPECT_EQ(TlsCli(tls_port_, "", "SET during stall"), "OK\n");
  EXPECT_EQ(server_->Client().Cmd("GET", "during"), "\"stall\"");
}

TEST_F(TlsTest, WalnutCliOverTls) {
  int code = -1;
  EXPECT_EQ(WalnutTls(tls_port_, "", "set k 'over tls'", &code), "OK\n");
  EXPECT_EQ(code, 0);
  EXPECT_EQ(WalnutTls(tls_port_, "", "get k", &code), "over tls\n");
  EXPECT_EQ(code, 0);
  EXPECT_EQ(WalnutTls(tls_port_, "", "del k nope"), "1\n");
  std::string info = WalnutTls(tls_port_, "", "info server");
  EXPECT_NE(info.find("tls_port:" + std::to_string(tls_port_)), std::string::npos) << info;
  // By name too: the certificate names localhost as well as 127.0.0.1.
  EXPECT_EQ(WalnutTls(tls_port_, "-h localhost", "cli PING"), "PONG\n");
  // The system's CAs do not know the suite's CA: refused, exit 3 (cannot
  // connect), saying why.
  std::string out = RunCommand(
      std::string(WALNUT_BUILD_DIR) + "/walnut --tls -p " + std::to_string(tls_port_) + " get k",
      &code);
  EXPECT_EQ(code, 3) << out;
  EXPECT_NE(out.find("certificate was not accepted"), std::string::npos) << out;
  // TLS to the plain port fails the handshake, also with exit 3.
  out = WalnutTls(server_->port(), "", "get k", &code);
  EXPECT_EQ(code, 3) << out;
  EXPECT_NE(out.find("TLS handshake failed"), std::string::npos) << out;
}

TEST_F(TlsTest, UntrustedServerCertificateIsRefusedByTheClient) {
  // redis-cli trusting another CA must not get through (the server presents
  // the suite's certificate, which the rogue CA did not sign).
  int code = 0;
  std::string out = RunCommand("redis-cli --tls --cacert " + ShellQuote(pki->File("rogue-ca.crt")) +
                                   " -p " + std::to_string(tls_port_) + " PING",
                               &code);
  EXPECT_EQ(out.find("PONG"), std::string::npos) << out;
}

// ---- Client certificates.

struct AuthCase {
  const char* mode;  // --tls-auth-clients, "" for the default
  bool without_cert;
  bool with_good_cert;
  bool with_rogue_cert;
};

class TlsClientCertTest : public ::testing::TestWithParam<AuthCase> {};

TEST_P(TlsClientCertTest, Policy) {
  ASSERT_EQ(pki_error, "");
  const AuthCase& p = GetParam();
  int port = 0;
  auto server = StartTls(
      [&](int tls_port) {
        std::vector<std::string> more = {"--tls-ca-cert-file", pki->File("ca.crt")};
        if (p.mode[0] != '\0') more.insert(more.end(), {"--tls-auth-clients", p.mode});
        return std::make_unique<ServerProcess>(TlsArgs(tls_port, more));
      },
      &port);
  ASSERT_NE(server, nullptr);
  auto pong = [&](const std::string& cert) { return TlsCli(port, cert, "PING") == "PONG\n"; };
  EXPECT_EQ(pong(""), p.without_cert) << TlsCli(port, "", "PING");
  EXPECT_EQ(pong(ClientCert("client")), p.with_good_cert);
  EXPECT_EQ(pong(ClientCert("rogue")), p.with_rogue_cert);
  // The walnut CLI presents (or not) its certificate the same way.
  auto walnut_pong = [&](const std::string& cert) {
    return WalnutTls(port, cert, "cli PING") == "PONG\n";
  };
  EXPECT_EQ(walnut_pong(""), p.without_cert) << WalnutTls(port, "", "cli PING");
  EXPECT_EQ(walnut_pong(ClientCert("client")), p.with_good_cert)
      << WalnutTls(port, ClientCert("client"), "cli PING");
  int refused = 2 * (p.without_cert ? 0 : 1) + (p.with_rogue_cert ? 0 : 1);
  EXPECT_TRUE(WaitUntil([&] {
    return InfoField(*server, "stats", "tls_handshake_failures") == std::to_string(refused);
  })) << InfoField(*server, "stats", "tls_handshake_failures");
}

INSTANTIATE_TEST_SUITE_P(Modes, TlsClientCertTest,
                         ::testing::Values(AuthCase{"", false, true, false},
                                           AuthCase{"yes", false, true, false},
                                           AuthCase{"optional", true, true, false},
                                           // Not asked for, so not sent
                                           // and not checked.
                                           AuthCase{"no", true, true, true}),
                         [](const auto& info) {
                           return std::string(info.param.mode[0] ? info.param.mode : "default");
                         });

// ---- AUTH and TLS-only.

TEST(TlsServerTest, RequirepassOverTls) {
  ASSERT_EQ(pki_error, "");
  int port = 0;
  auto server = StartTls(
      [](int tls_port) {
        return std::make_unique<ServerProcess>(TlsArgs(tls_port, {"--requirepass", "tls secret"}));
      },
      &port);
  ASSERT_NE(server, nullptr);
  // (redis-cli prints an error reply with an extra empty line.)
  EXPECT_EQ(TlsCli(port, "", "GET k"), "NOAUTH Authentication required.\n\n");
  std::string wrong = TlsCli(port, "--no-auth-warning -a 'wrong'", "GET k");
  EXPECT_EQ(wrong.rfind("AUTH failed: WRONGPASS invalid username-password pair", 0), 0u) << wrong;
  EXPECT_EQ(TlsCli(port, "--no-auth-warning -a 'tls secret'", "SET k v"), "OK\n");
  EXPECT_EQ(TlsCli(port, "--no-auth-warning -a 'tls secret'", "GET k"), "v\n");
}

TEST(TlsServerTest, TlsOnlyWithPortZero) {
  ASSERT_EQ(pki_error, "");
  int port = 0;
  auto server = StartTls(
      [](int tls_port) {
        auto s = std::make_unique<ServerProcess>(TlsArgs(tls_port, {"--port", "0"}));
        s->set_ready_check([tls_port] { return TlsCli(tls_port, "", "PING") == "PONG\n"; });
        return s;
      },
      &port);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(TlsCli(port, "", "SET only tls"), "OK\n");
  EXPECT_EQ(TlsCli(port, "", "CONFIG GET port"), "port\n0\n");
  std::string info = TlsCli(port, "", "INFO server");
  EXPECT_NE(info.find("tcp_port:0\r"), std::string::npos) << info;
  EXPECT_NE(info.find("tls_port:" + std::to_string(port) + "\r"), std::string::npos) << info;
  // SIGTERM stops it cleanly, and the write is there after a restart.
  EXPECT_EQ(server->Stop(), 0);
  ASSERT_TRUE(server->Start());
  EXPECT_EQ(TlsCli(port, "", "GET only"), "tls\n");
}

// ---- Start-up errors: exit 1 with a message, before anything is opened.

struct StartupCase {
  const char* name;
  std::vector<std::string> args;  // after --tls-port; "@x" is the PKI file x
  const char* message;
};

TEST(TlsServerTest, StartupErrors) {
  ASSERT_EQ(pki_error, "");
  const std::vector<StartupCase> cases = {
      {"no cert", {"--tls-key-file", "@server.key"}, "--tls-cert-file and --tls-key-file"},
      {"no key", {"--tls-cert-file", "@server.crt"}, "--tls-cert-file and --tls-key-file"},
      {"missing cert",
       {"--tls-cert-file", "@nope.crt", "--tls-key-file", "@server.key"},
       "No such file or directory"},
      {"garbage cert",
       {"--tls-cert-file", "@garbage.crt", "--tls-key-file", "@server.key"},
       "not a usable PEM certificate"},
      {"key of another cert",
       {"--tls-cert-file", "@server.crt", "--tls-key-file", "@client.key"},
       "does not match the certificate"},
      // Never a passphrase prompt on the terminal: refused.
      {"encrypted key",
       {"--tls-cert-file", "@server.crt", "--tls-key-file", "@server-encrypted.key"},
       "not a usable unencrypted PEM private key"},
      {"garbage CA",
       {"--tls-cert-file", "@server.crt", "--tls-key-file", "@server.key", "--tls-ca-cert-file",
        "@garbage.crt"},
       "not a usable PEM CA certificate"},
      {"client certs without CA",
       {"--tls-cert-file", "@server.crt", "--tls-key-file", "@server.key", "--tls-auth-clients",
        "yes"},
       "needs --tls-ca-cert-file"},
      {"bad auth mode",
       {"--tls-cert-file", "@server.crt", "--tls-key-file", "@server.key", "--tls-auth-clients",
        "maybe"},
       "must be yes, no or optional"},
  };
  TempDir dir("tls-startup");
  for (const StartupCase& c : cases) {
    std::string cmd = std::string(WALNUT_BUILD_DIR) + "/walnut-server --http-port 0 --dir " +
                      ShellQuote(dir.Sub("data")) + " --port " + std::to_string(FreePort()) +
                      " --tls-port " + std::to_string(FreePort());
    for (const std::string& a : c.args) {
      cmd += " " + ShellQuote(a[0] == '@' ? pki->File(a.substr(1)) : a);
    }
    int code = 0;
    std::string out = RunCommand(cmd, &code);
    EXPECT_EQ(code, 1) << c.name << ": " << out;
    EXPECT_NE(out.find(c.message), std::string::npos) << c.name << ": " << out;
  }
  // Plain port off and no TLS port: nothing to listen on.
  int code = 0;
  std::string out = RunCommand(std::string(WALNUT_BUILD_DIR) + "/walnut-server --http-port 0 " +
                                   "--port 0 --dir " + ShellQuote(dir.Sub("data")),
                               &code);
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("nothing to listen on"), std::string::npos) << out;
  // None of them got as far as creating the data directory.
  EXPECT_EQ(RunCommand("test -e " + ShellQuote(dir.Sub("data")) + " && echo exists"), "");
}

}  // namespace
}  // namespace walnut::test
