// The error replies shared by command handlers, with Redis's exact texts.
//
// Clients and test suites match these strings, so every handler uses the
// constants here instead of formatting its own. Each text is the RESP error
// line without the leading '-' and trailing CRLF; RespWriter::Error adds
// them. StatusToError is the one place an engine Status becomes a reply.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "walnut/status.h"

namespace walnut::server {

// ---- Argument errors.
inline constexpr std::string_view kErrSyntax = "ERR syntax error";
inline constexpr std::string_view kErrNotInteger = "ERR value is not an integer or out of range";
inline constexpr std::string_view kErrNotFloat = "ERR value is not a valid float";
inline constexpr std::string_view kErrOverflow = "ERR increment or decrement would overflow";
inline constexpr std::string_view kErrNanOrInf = "ERR increment would produce NaN or Infinity";
inline constexpr std::string_view kErrNotPositive = "ERR value is out of range, must be positive";
inline constexpr std::string_view kErrOffsetRange = "ERR offset is out of range";
inline constexpr std::string_view kErrStringTooLong =
    "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
inline constexpr std::string_view kErrInvalidCursor = "ERR invalid cursor";
inline constexpr std::string_view kErrTimeoutNotInteger =
    "ERR timeout is not an integer or out of range";
inline constexpr std::string_view kErrTimeoutNegative = "ERR timeout is negative";

// ---- Keys and databases.
inline constexpr std::string_view kErrWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr std::string_view kErrNoSuchKey = "ERR no such key";
inline constexpr std::string_view kErrSameObject =
    "ERR source and destination objects are the same";
inline constexpr std::string_view kErrDbIndexRange = "ERR DB index is out of range";
inline constexpr std::string_view kErrInvalidFirstDbIndex = "ERR invalid first DB index";
inline constexpr std::string_view kErrInvalidSecondDbIndex = "ERR invalid second DB index";
inline constexpr std::string_view kErrExpireOptionsNxXx =
    "ERR NX and XX, GT or LT options at the same time are not compatible";
inline constexpr std::string_view kErrExpireOptionsGtLt =
    "ERR GT and LT options at the same time are not compatible";

// ---- Connection and authentication.
inline constexpr std::string_view kErrNoAuth = "NOAUTH Authentication required.";
inline constexpr std::string_view kErrWrongPass =
    "WRONGPASS invalid username-password pair or user is disabled.";
inline constexpr std::string_view kErrAuthNoPassword =
    "ERR AUTH <password> called without any password configured for the default user. "
    "Are you sure your configuration is correct?";
inline constexpr std::string_view kErrMaxClients = "ERR max number of clients reached";
inline constexpr std::string_view kErrNoProto = "NOPROTO unsupported protocol version";

// ---- Transactions.
inline constexpr std::string_view kErrMultiNested = "ERR MULTI calls can not be nested";
inline constexpr std::string_view kErrExecWithoutMulti = "ERR EXEC without MULTI";
inline constexpr std::string_view kErrDiscardWithoutMulti = "ERR DISCARD without MULTI";
inline constexpr std::string_view kErrWatchInMulti = "ERR WATCH inside MULTI is not allowed";
inline constexpr std::string_view kErrExecAbort =
    "EXECABORT Transaction discarded because of previous errors.";
inline constexpr std::string_view kErrNotAllowedInMulti =
    "ERR Command not allowed inside a transaction";

// ---- Durability. Sent when the log could not be written: from then on the
// server refuses writes until restarted (reads go on), because a write that
// is not in the log must never be acknowledged.
inline constexpr std::string_view kErrWritesRefusedPrefix =
    "MISCONF Errors writing to the write-ahead log; writes are refused until the server is "
    "restarted: ";
// Sent while the disk has no room for the log: the write was refused before
// it changed anything, and writes resume on their own once space is freed
// (the engine retries about once a second). MISCONF, as Redis answers when
// it cannot persist, so clients treat both alike.
inline constexpr std::string_view kErrDiskFullPrefix =
    "MISCONF The disk is full: writes are refused (nothing was changed; reads go on) and resume "
    "automatically once space is freed: ";

// "ERR wrong number of arguments for 'get' command" (name as registered,
// i.e. lower case; "client|setname" for a subcommand, as Redis 7 prints).
std::string WrongArityError(std::string_view name);
// "ERR unknown command 'foo', with args beginning with: 'a' 'b' " (Redis 7's
// exact text, name and args as the client sent them, each cut to 128 bytes).
std::string UnknownCommandError(std::string_view name, std::span<const std::string_view> args);
// "ERR unknown subcommand 'foo'. Try CLIENT HELP." (container in upper case).
std::string UnknownSubcommandError(std::string_view container, std::string_view sub);
// "ERR invalid expire time in 'set' command".
std::string InvalidExpireError(std::string_view command);
// The reply for an engine error: kInvalidArgument -> "ERR <message>",
// kIOError while writing -> kErrWritesRefusedPrefix, kNoSpace ->
// kErrDiskFullPrefix, others -> "ERR <Status::ToString()>".
std::string StatusToError(const walnut::Status& s);

}  // namespace walnut::server
