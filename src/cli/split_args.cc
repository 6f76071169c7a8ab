// Implementation of SplitArgs (see split_args.h): a small state machine
// over the characters of the line.
#include "cli/split_args.h"

#include <cctype>

namespace walnut::cli {

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool SplitArgs(std::string_view line, std::vector<std::string>* out) {
  out->clear();
  size_t i = 0;
  const size_t n = line.size();
  while (true) {
    while (i < n && IsSpace(line[i])) ++i;
    if (i >= n) return true;
    std::string arg;
    bool in_double = false;
    bool in_single = false;
    while (true) {
      if (in_double) {
        if (i >= n) return false;  // unterminated "
        char c = line[i];
        if (c == '\\' && i + 3 < n && line[i + 1] == 'x' && HexValue(line[i + 2]) >= 0 &&
            HexValue(line[i + 3]) >= 0) {
          arg.push_back(static_cast<char>(HexValue(line[i + 2]) * 16 + HexValue(line[i + 3])));
          i += 4;
        } else if (c == '\\' && i + 1 < n) {
          char e = line[i + 1];
          switch (e) {
            case 'n':
              arg.push_back('\n');
              break;
            case 'r':
              arg.push_back('\r');
              break;
            case 't':
              arg.push_back('\t');
              break;
            case 'b':
              arg.push_back('\b');
              break;
            case 'a':
              arg.push_back('\a');
              break;
            default:
              arg.push_back(e);
              break;
          }
          i += 2;
        } else if (c == '"') {
          // The closing quote must end the argument.
          if (i + 1 < n && !IsSpace(line[i + 1])) return false;
          ++i;
          break;
        } else {
          arg.push_back(c);
          ++i;
        }
      } else if (in_single) {
        if (i >= n) return false;  // unterminated '
        char c = line[i];
        if (c == '\\' && i + 1 < n && line[i + 1] == '\'') {
          arg.push_back('\'');
          i += 2;
        } else if (c == '\'') {
          if (i + 1 < n && !IsSpace(line[i + 1])) return false;
          ++i;
          break;
        } else {
          arg.push_back(c);
          ++i;
        }
      } else {
        if (i >= n || IsSpace(line[i])) break;
        char c = line[i];
        if (c == '"' && arg.empty()) {
          in_double = true;
        } else if (c == '\'' && arg.empty()) {
          in_single = true;
        } else {
          arg.push_back(c);
        }
        ++i;
      }
    }
    out->push_back(std::move(arg));
  }
}

}  // namespace walnut::cli
