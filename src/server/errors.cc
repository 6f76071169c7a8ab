// Formatting of the error replies that carry a name (see errors.h).
#include "server/errors.h"

#include <algorithm>
#include <cctype>

namespace walnut::server {

std::string WrongArityError(std::string_view name) {
  std::string s = "ERR wrong number of arguments for '";
  s.append(name);
  s.append("' command");
  return s;
}

std::string UnknownCommandError(std::string_view name, std::span<const std::string_view> args) {
  // Redis 7: "unknown command '%.128s', with args beginning with: " then
  // "'%.*s' " per argument while the list is shorter than 128 bytes, each
  // cut to what is left of those 128.
  std::string list;
  for (size_t i = 1; i < args.size() && list.size() < 128; i++) {
    size_t room = 128 - list.size();
    list.push_back('\'');
    list.append(args[i].substr(0, room));
    list.append("' ");
  }
  std::string s = "ERR unknown command '";
  s.append(name.substr(0, 128));
  s.append("', with args beginning with: ");
  s.append(list);
  return s;
}

std::string UnknownSubcommandError(std::string_view container, std::string_view sub) {
  std::string upper(container);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  std::string s = "ERR unknown subcommand '";
  s.append(sub.substr(0, 128));
  s.append("'. Try ");
  s.append(upper);
  s.append(" HELP.");
  return s;
}

std::string InvalidExpireError(std::string_view command) {
  std::string s = "ERR invalid expire time in '";
  s.append(command);
  s.append("' command");
  return s;
}

std::string StatusToError(const walnut::Status& s) {
  switch (s.code()) {
    case walnut::Status::Code::kInvalidArgument:
      return "ERR " + s.message();
    case walnut::Status::Code::kNoSpace:
      return std::string(kErrDiskFullPrefix) + s.message();
    case walnut::Status::Code::kIOError:
      return std::string(kErrWritesRefusedPrefix) + s.ToString();
    default:
      return "ERR " + s.ToString();
  }
}

}  // namespace walnut::server
