// The DUMP/RESTORE serialization of a string value, in Redis's format, so
// values move between Walnut and Redis with DUMP/RESTORE (and the tools that
// use them, such as MIGRATE-based copiers).
//
// A payload is: the RDB object type (0, a string), the string in RDB
// encoding, the RDB version (2 bytes, little-endian) and a CRC-64 (Jones
// polynomial, reflected, as Redis computes it; 8 bytes, little-endian) over
// everything before it. A string is stored as an RDB length plus bytes, or as
// an 8/16/32-bit integer when it is the canonical text of one, or (read only)
// LZF-compressed. Walnut writes no compressed strings: the payload is still
// valid for Redis, just not smaller.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace walnut::server {

// The RDB version Walnut writes and the newest it accepts: Redis 7.0's. (The
// string encoding is the same in later versions, but Redis 7.0 rejects newer
// payloads and we answer as it does.)
inline constexpr uint16_t kRdbVersion = 10;

// Redis's CRC-64 of data, continuing from crc (start with 0).
uint64_t Crc64(uint64_t crc, std::string_view data);

// The DUMP payload of a string value; byte-identical to Redis's for values
// up to 20 bytes (beyond that Redis may compress).
std::string DumpString(std::string_view value);

enum class PayloadError {
  kOk,
  kVersionOrChecksum,  // "DUMP payload version or checksum are wrong"
  kBadFormat,          // "Bad data format" (also: a type other than string)
};

// Checks the footer (version, checksum) and decodes the string. Values
// larger than max_len are refused as bad data (a hostile length must not
// make us allocate it).
PayloadError RestoreString(std::string_view payload, uint64_t max_len, std::string* value);

}  // namespace walnut::server
