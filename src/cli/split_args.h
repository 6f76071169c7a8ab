// SplitArgs: turns one line typed at the `walnut cli` prompt into command
// arguments, with the quoting rules redis-cli users already know:
//   plain words separated by spaces;
//   "double quotes" with escapes \" \\ \n \r \t \b \a and \xHH;
//   'single quotes' where only \' is an escape.
// A closing quote must be followed by a space or the end of the line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace walnut::cli {

// Returns false (and leaves *out unspecified) on unbalanced quotes or a
// closing quote followed by something other than a space.
bool SplitArgs(std::string_view line, std::vector<std::string>* out);

}  // namespace walnut::cli
