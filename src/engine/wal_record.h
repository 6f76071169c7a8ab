// Encoding and decoding of segment headers and log records (wal_format.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "walnut/status.h"

namespace walnut::wal {

struct SegmentHeader {
  uint32_t kind = 1;  // kKindLog or kKindBase
  uint64_t segment_id = 0;
  uint64_t first_seq = 0;
};

std::string EncodeSegmentHeader(const SegmentHeader& h);
// Corruption naming the field if `bytes` is not a valid header.
Status DecodeSegmentHeader(std::string_view bytes, SegmentHeader* h);

// Appends an empty record frame to *buf and returns its start offset; the
// caller appends ops, then calls FinishRecord to fill the frame in.
size_t BeginRecord(std::string* buf);
void FinishRecord(std::string* buf, size_t start, uint64_t seq, uint32_t count);

struct Record {
  uint64_t seq = 0;
  uint32_t count = 0;
  std::string_view ops;
  size_t size = 0;  // bytes the whole record occupies
};

enum class ParseStatus {
  kOk,
  kIncompleteHeader,  // fewer than 16 bytes remain
  kBadHeader,         // header check mismatch
  kPastEnd,           // intact header, but the body runs past the end of data
  kBadChecksum,
  kBadBody,  // checksum fine but the body is malformed
};

// Parses one record at the front of `data` (everything up to the end of the
// file). `data` must hold the whole record for kOk.
ParseStatus ParseRecord(std::string_view data, Record* out);
const char* ParseStatusText(ParseStatus s);
// Total record size announced by an intact header (0 if fewer than 16 bytes).
uint64_t AnnouncedRecordSize(std::string_view data);

std::string SegmentFileName(uint64_t id);
// True and *id set if name is a segment file name.
bool ParseSegmentFileName(std::string_view name, uint64_t* id);
std::string BaseFileName(uint64_t covered_seq);
bool ParseBaseFileName(std::string_view name, uint64_t* covered_seq);

}  // namespace walnut::wal
