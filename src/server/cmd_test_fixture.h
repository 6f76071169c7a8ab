// A test fixture that runs command handlers directly against a real engine,
// without the network: for the string and key families' unit tests.
//
// The engine is opened in a fresh temporary directory with a clock the test
// controls (Options::clock_ms), so expiry is tested by moving time forward
// instead of sleeping. Run() looks the command up in a CommandTable filled
// by the Register*Commands functions, checks the arity as the dispatcher
// does, calls the handler with a CommandContext whose host writes batches
// with DB::Write, and renders the RESP2 reply in the harness's compact form
// ("OK", "(integer) 1", "\"v\"", "(nil)", "(error) ERR ...", "[a, b]").
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/resp_writer.h"
#include "server/command.h"
#include "server/command_table.h"
#include "server/errors.h"
#include "support/server_process.h"
#include "walnut/db.h"

namespace walnut::server {

class CommandFixture : public ::testing::Test {
 protected:
  // 2023-11-14T22:13:20Z, a fixed and ordinary moment.
  static constexpr int64_t kStartMs = 1'700'000'000'000;

  void SetUp() override {
    walnut::Options o;
    o.fsync = walnut::FsyncMode::kNo;
    o.clock_ms = [this] { return now_ms_.load(); };
    auto r = walnut::DB::Open(dir_.path(), o);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    db_ = std::move(r.value());
    RegisterStringCommands(table_);
    RegisterKeyCommands(table_);
  }
  void TearDown() override {
    if (db_) (void)db_->Close();
  }

  void AdvanceMs(int64_t ms) { now_ms_ += ms; }
  int64_t NowMs() const { return now_ms_.load(); }
  void Select(uint32_t db) { db_index_ = db; }

  std::string Run(const std::vector<std::string>& argv) {
    std::string out;
    protocol::RespWriter w(&out, 2);
    std::vector<std::string_view> args(argv.begin(), argv.end());
    const CommandSpec* spec = table_.Find(args[0]);
    if (!spec) return "(no such command in the table)";
    std::string name(spec->name);
    if (!spec->subcommands.empty()) {
      if (args.size() < 2) return "(error) " + WrongArityError(name);
      const CommandSpec* sub = CommandTable::FindSubcommand(*spec, args[1]);
      if (!sub) return "(error) " + UnknownSubcommandError(spec->name, args[1]);
      name += "|" + std::string(sub->name);
      spec = sub;
    }
    const int argc = static_cast<int>(args.size());
    if ((spec->arity > 0 && argc != spec->arity) || (spec->arity < 0 && argc < -spec->arity)) {
      return "(error) " + WrongArityError(name);
    }
    CommandContext ctx(args, db_index_, *db_, w, now_ms_.load(), host_);
    spec->handler(ctx);
    size_t pos = 0;
    std::string rendered = Render(out, &pos);
    if (pos != out.size()) rendered += " (trailing bytes: more than one reply)";
    return rendered;
  }

  template <typename... Args>
  std::string R(const Args&... args) {
    return Run(std::vector<std::string>{std::string(std::string_view(args))...});
  }

  // Write batches the handlers committed, and the operations in the last one
  // (multi-key commands must commit exactly one batch: one log record).
  int64_t batches() const { return host_.batches; }
  // From now on every write fails as a full disk would (the log refusing).
  void FailWrites(bool fail) { host_.fail = fail; }
  uint32_t last_batch_ops() const { return host_.last_ops; }

  // The lookups the handlers counted (INFO keyspace_hits/misses).
  int64_t hits() const { return host_.hits; }
  int64_t misses() const { return host_.misses; }

  walnut::DB& db() { return *db_; }

 private:
  struct Host : CommandHost {
    walnut::DB* db = nullptr;
    int64_t hits = 0, misses = 0;
    int64_t batches = 0;
    uint32_t last_ops = 0;
    bool fail = false;
    walnut::Status Write(CommandContext& ctx, const walnut::WriteBatch& batch) override {
      if (batch.Empty()) return walnut::Status::OK();
      if (fail) return walnut::Status::NoSpace("no space left on device");
      batches++;
      last_ops = batch.Count();
      return ctx.db().Write(batch);
    }
    void RecordLookup(bool hit) override { (hit ? hits : misses)++; }
  };

  static std::string Quote(std::string_view s) {
    std::string q = "\"";
    for (unsigned char c : s) {
      switch (c) {
        case '"':
          q += "\\\"";
          break;
        case '\\':
          q += "\\\\";
          break;
        case '\n':
          q += "\\n";
          break;
        case '\r':
          q += "\\r";
          break;
        case '\t':
          q += "\\t";
          break;
        default:
          if (c < 0x20 || c >= 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof(buf), "\\x%02x", c);
            q += buf;
          } else {
            q += static_cast<char>(c);
          }
      }
    }
    return q + "\"";
  }

  // Renders one RESP2 reply starting at *pos and advances *pos past it.
  static std::string Render(const std::string& s, size_t* pos) {
    if (*pos >= s.size()) return "(no reply)";
    const size_t eol = s.find("\r\n", *pos);
    if (eol == std::string::npos) return "(malformed reply)";
    const char type = s[*pos];
    const std::string line = s.substr(*pos + 1, eol - *pos - 1);
    *pos = eol + 2;
    switch (type) {
      case '+':
        return line;
      case '-':
        return "(error) " + line;
      case ':':
        return "(integer) " + line;
      case '$': {
        const long long n = std::stoll(line);
        if (n < 0) return "(nil)";
        std::string body = s.substr(*pos, static_cast<size_t>(n));
        *pos += static_cast<size_t>(n) + 2;
        return Quote(body);
      }
      case '*': {
        const long long n = std::stoll(line);
        if (n < 0) return "(nil)";
        std::string r = "[";
        for (long long i = 0; i < n; i++) {
          if (i) r += ", ";
          r += Render(s, pos);
        }
        return r + "]";
      }
    }
    return "(unknown reply type)";
  }

  walnut::test::TempDir dir_{"cmd"};
  std::atomic<int64_t> now_ms_{kStartMs};
  std::unique_ptr<walnut::DB> db_;
  CommandTable table_;
  Host host_;
  uint32_t db_index_ = 0;
};

}  // namespace walnut::server
