// Implementation of the interactive prompt (see repl.h).
#include "cli/repl.h"

#include <readline/history.h>
#include <readline/readline.h>
#include <strings.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "cli/exit_codes.h"
#include "cli/split_args.h"

namespace walnut::cli {

namespace {

constexpr const char* kHelpText =
    "Type a command as you would to redis-cli, e.g.\n"
    "  SET greeting \"hello world\"\n"
    "  GET greeting\n"
    "Arguments with spaces go in \"double\" (escapes \\n \\xHH) or 'single' quotes.\n"
    "quit or exit (or Ctrl-D) leaves.\n";

bool Is(const std::string& word, const char* name) { return strcasecmp(word.c_str(), name) == 0; }

std::string HistoryPath() {
  if (const char* env = std::getenv("WALNUT_HISTFILE"); env != nullptr) return env;
  const char* home = std::getenv("HOME");
  return home != nullptr ? std::string(home) + "/.walnut_history" : "";
}

class LineSource {
 public:
  explicit LineSource(bool interactive) : interactive_(interactive) {
    if (interactive_) {
      history_ = HistoryPath();
      if (!history_.empty()) read_history(history_.c_str());
    }
  }
  ~LineSource() {
    if (interactive_ && !history_.empty()) write_history(history_.c_str());
  }

  // False at end of input.
  bool Next(const std::string& prompt, std::string* line) {
    if (!interactive_) return static_cast<bool>(std::getline(std::cin, *line));
    char* raw = readline(prompt.c_str());
    if (raw == nullptr) return false;
    *line = raw;
    if (!line->empty()) add_history(raw);
    std::free(raw);
    return true;
  }

 private:
  bool interactive_;
  std::string history_;
};

}  // namespace

int RunRepl(const ReplOptions& options) {
  auto connected = RedisClient::Connect(options.conn);
  if (!connected.ok()) {
    std::cerr << "walnut cli: " << connected.status().message() << "\n";
    return connected.status().IsInvalidArgument() ? kExitError : kExitNotRunning;
  }
  RedisClient& c = **connected;
  if (!options.command.empty()) {
    Reply r = c.Command(options.command);
    if (r == nullptr) {
      std::cerr << "walnut cli: connection to " << c.address() << " lost: " << c.error() << "\n";
      return kExitNotRunning;
    }
    std::cout << (options.raw ? FormatReplyRaw(r.get()) : FormatReplyTty(r.get()));
    return r->type == REDIS_REPLY_ERROR ? kExitError : kExitOk;
  }
  const bool interactive = ::isatty(STDIN_FILENO) != 0;
  LineSource input(interactive);
  int db = 0;
  std::string line;
  while (true) {
    std::string prompt = c.address() + (db != 0 ? "[" + std::to_string(db) + "]" : "") + "> ";
    if (!c.connected()) prompt = "not connected> ";
    if (!input.Next(prompt, &line)) break;
    std::vector<std::string> args;
    if (!SplitArgs(line, &args)) {
      std::cout << "Invalid argument(s): unbalanced quotes\n";
      continue;
    }
    if (args.empty()) continue;
    if (Is(args[0], "quit") || Is(args[0], "exit")) break;
    if (Is(args[0], "help") && args.size() == 1) {
      std::cout << kHelpText;
      continue;
    }
    if (!c.connected()) {
      Status s = c.Reconnect();
      if (!s.ok()) {
        std::cout << "(error) " << s.message() << "\n";
        continue;
      }
      if (db != 0) c.Command({"SELECT", std::to_string(db)});
    }
    Reply r = c.Command(args);
    if (r == nullptr) {
      std::cout << "(error) connection to " << c.address() << " lost: " << c.error() << "\n";
      continue;
    }
    std::cout << (options.raw ? FormatReplyRaw(r.get()) : FormatReplyTty(r.get()));
    if (Is(args[0], "select") && args.size() == 2 && r->type == REDIS_REPLY_STATUS) {
      db = std::atoi(args[1].c_str());
    }
    // Push-style commands keep sending; show what arrives until it stops.
    if ((Is(args[0], "subscribe") || Is(args[0], "psubscribe") || Is(args[0], "monitor")) &&
        r->type != REDIS_REPLY_ERROR) {
      while (Reply more = c.ReadReply()) {
        std::cout << (options.raw ? FormatReplyRaw(more.get()) : FormatReplyTty(more.get()))
                  << std::flush;
      }
    }
    std::cout << std::flush;
  }
  return kExitOk;
}

}  // namespace walnut::cli
