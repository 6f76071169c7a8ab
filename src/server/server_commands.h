// Registration of the server's own command groups that live in files of
// their own (command.h declares the per-family entry points; these are the
// pieces those entry points assemble), and helpers they share.
#pragma once

#include <string>
#include <string_view>

#include "server/client.h"
#include "server/command.h"

namespace walnut::server {

class Server;

void RegisterClientCommand(CommandTable& table);   // cmd_client.cc (part of connection)
void RegisterInfoCommand(CommandTable& table);     // cmd_info.cc (part of server)
void RegisterConfigCommand(CommandTable& table);   // cmd_config.cc (part of server)
void RegisterCommandCommand(CommandTable& table);  // cmd_command.cc (part of server)

// Redis's CLIENT LIST line for one client (without the trailing newline).
std::string ClientInfoLine(Server& server, const Client& c, int64_t now_ms);

// Parses a whole argument as a signed 64-bit decimal (Redis's string2ll).
bool ParseInt64Arg(std::string_view s, int64_t* out);

// Compares two secrets in time that depends only on their lengths.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace walnut::server
