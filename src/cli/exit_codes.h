// The exit codes of the `walnut` command, one meaning each, so scripts can
// tell "the key is missing" from "the server is down" from "you typed it
// wrong". They are listed in `walnut --help`; keep the two in step.
#pragma once

namespace walnut::cli {

enum ExitCode : int {
  kExitOk = 0,
  // The server answered with an error, the key was not found, or an
  // operation failed (start-up failure, I/O error).
  kExitError = 1,
  // Bad command line: unknown subcommand or flag, missing argument.
  kExitUsage = 2,
  // Cannot connect: the server is not running (or not on that port).
  kExitNotRunning = 3,
  // `walnut check` found damage in the data directory.
  kExitDamage = 4,
  // `walnut start` refused: a server already runs on that directory, or the
  // port is taken.
  kExitConflict = 5,
  // The server did not start or stop within the time allowed.
  kExitTimeout = 6,
};

// The text `walnut --help` prints about these codes.
inline constexpr const char* kExitCodesHelp =
    "Exit codes:\n"
    "  0  success\n"
    "  1  error reply from the server, key not found, or the operation failed\n"
    "  2  usage error (unknown subcommand or flag, missing argument)\n"
    "  3  cannot connect: the server is not running\n"
    "  4  `walnut check` found damage\n"
    "  5  `walnut start` refused: already running on that directory, or port taken\n"
    "  6  the server did not start or stop in time\n";

}  // namespace walnut::cli
