// The interactive prompt, `walnut cli` (or `walnut` alone): reads commands,
// sends them, prints the replies the way redis-cli does.
//
// On a terminal it uses GNU readline (line editing, history kept in
// ~/.walnut_history or $WALNUT_HISTFILE). With stdin from a pipe or file it
// reads one command per line, with no prompt, so scripts can feed it.
#pragma once

#include <string>
#include <vector>

#include "cli/redis_client.h"

namespace walnut::cli {

struct ReplOptions {
  ConnectOptions conn;
  bool raw = false;  // print replies raw (FormatReplyRaw) instead of redis-cli style
  // If set, send only this command, print its reply and return (kExitError
  // for an error reply), like `redis-cli GET k`.
  std::vector<std::string> command;
};

// Returns kExitOk at end of input or `quit`; kExitNotRunning if it cannot
// connect at all.
int RunRepl(const ReplOptions& options);

}  // namespace walnut::cli
