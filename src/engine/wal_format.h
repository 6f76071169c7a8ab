// The write-ahead log's byte format: the constants shared by the writer, the
// reader, recovery and the check tool. docs/wal_format.md says the same in prose.
//
// A data directory holds segment files named wal-<20-digit id>.log, replayed in
// id order. Each starts with a 40-byte header:
//
//   0  magic "WALNUTLG"          8 bytes
//   8  format version (1)        u32
//  12  kind                      u32   1 = log segment, 2 = base image
//  16  segment id                u64   must match the file name (0 for a base)
//  24  first sequence            u64   seq of the first record in this file;
//                                      for a base: the sequence it covers
//  32  XXH3-64(bytes 0..32)      u64
//
// followed by records, back to back:
//
//   0  checksum                  u64   XXH3-64 (seed kRecordSeed) of bytes 8..end
//   8  body length               u32   bytes after the 16-byte header
//  12  type (1 = batch)          u8
//  13  flags (0)                 u8
//  14  header check              u16   low 16 bits of XXH3-64 of bytes 8..14
//  16  body: sequence u64, op count u32, then the ops
//
// An op is: u8 code, varint db, then by code
//   kPut        key, value                     (length-prefixed: varint + bytes)
//   kPutExpire  key, value, u64 expire_at_ms
//   kDelete     key
//   kSetExpiry  key, u64 expire_at_ms          (0 = persist)
//   kFlushDb    -
//   kFlushAll   -                              (db is written as 0)
//   kSwapDb     varint other_db
//   kTxn        u64 txn id, varint n, then n x (varint partition, varint seq)
//               (db is written as 0). Only as the first op of a record in a
//               partitioned database: the record is one part of a write that
//               spans n partitions, and each part names the record sequence
//               of every part, so recovery can tell a whole write from one
//               a crash cut short (docs/partitions.md).
// All integers are little-endian. Sequences increase by exactly one from record
// to record across all segments, so a lost or reordered record is detected.
//
// A base image (base-<20-digit seq>.dat, written by compaction) has the same
// header (kind 2) and records of puts numbered from 1, ending with an empty
// record (count 0) that marks it complete. It holds every live key as of a
// sequence X or later; recovery loads it and replays the segments from
// sequence X+1. Replaying records the image already reflects is harmless
// because every op is idempotent given the ops after it (keyspace.h).
//
// Why a separate header check: a flipped bit in the length would otherwise be
// indistinguishable from a record torn by a crash; with it, a length that
// points past the end of the file is trusted to mean "torn" only if the
// header itself is intact.
#pragma once

#include <cstdint>
#include <string_view>

namespace walnut::wal {

inline constexpr char kMagic[8] = {'W', 'A', 'L', 'N', 'U', 'T', 'L', 'G'};
inline constexpr uint32_t kFormatVersion = 1;
inline constexpr uint32_t kKindLog = 1;
inline constexpr uint32_t kKindBase = 2;
inline constexpr size_t kSegmentHeaderSize = 40;
inline constexpr size_t kRecordHeaderSize = 16;
inline constexpr size_t kBatchPrefixSize = 12;                  // seq u64 + count u32
inline constexpr uint64_t kHeaderSeed = 0x57414c4e55544844ull;  // "WALNUTHD"
inline constexpr uint64_t kRecordSeed = 0x57414c4e55545243ull;  // "WALNUTRC"
// Bodies are limited so that the u32 length can never wrap.
inline constexpr uint64_t kMaxBodySize = 0xFFFFFFFFull - 64;

enum RecordType : uint8_t { kBatch = 1 };

enum OpCode : uint8_t {
  kPut = 1,
  kPutExpire = 2,
  kDelete = 3,
  kSetExpiry = 4,
  kFlushDb = 5,
  kFlushAll = 6,
  kSwapDb = 7,
  kTxn = 8,
};

// A multi-partition write has at most this many parts (one per partition).
inline constexpr uint32_t kMaxPartitions = 256;

inline constexpr std::string_view kSegmentPrefix = "wal-";
inline constexpr std::string_view kSegmentSuffix = ".log";
inline constexpr std::string_view kBasePrefix = "base-";
inline constexpr std::string_view kBaseSuffix = ".dat";

}  // namespace walnut::wal
