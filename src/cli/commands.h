// The `walnut` client subcommands that send one command and print its
// result (get, set, del, compact, info), and the offline `walnut check`.
// Each prints for a person (stdout for results, stderr for problems) and
// returns an exit code from exit_codes.h.
#pragma once

#include <string>
#include <vector>

#include "cli/redis_client.h"

namespace walnut::cli {

// Prints the value (raw, plus a newline); kExitError if the key is missing.
int RunGet(const ConnectOptions& conn, const std::string& key);
// SET key value [EX seconds] (ex_seconds <= 0: no expiry).
int RunSet(const ConnectOptions& conn, const std::string& key, const std::string& value,
           long long ex_seconds);
// Prints how many of the keys were deleted.
int RunDel(const ConnectOptions& conn, const std::vector<std::string>& keys);
// COMPACT: rewrites the log and prints what it saved.
int RunCompact(const ConnectOptions& conn);
// Prints INFO [section] as the server sends it.
int RunInfo(const ConnectOptions& conn, const std::string& section);
// Verifies DIR offline (walnut::CheckDirectory); kExitDamage when damage
// remains, kExitOk when clean (or when --fix repaired a torn tail).
int RunCheck(const std::string& dir, bool fix);

}  // namespace walnut::cli
