#include "engine/wal_record.h"

#include <xxhash.h>

#include <cstdio>
#include <cstring>

#include "common/coding.h"
#include "engine/wal_format.h"

namespace walnut::wal {

std::string EncodeSegmentHeader(const SegmentHeader& h) {
  std::string s(kMagic, sizeof(kMagic));
  PutFixed32(&s, kFormatVersion);
  PutFixed32(&s, h.kind);
  PutFixed64(&s, h.segment_id);
  PutFixed64(&s, h.first_seq);
  PutFixed64(&s, XXH3_64bits_withSeed(s.data(), s.size(), kHeaderSeed));
  return s;
}

Status DecodeSegmentHeader(std::string_view b, SegmentHeader* h) {
  if (b.size() < kSegmentHeaderSize) return Status::Corruption("segment header truncated");
  if (std::memcmp(b.data(), kMagic, sizeof(kMagic)) != 0) {
    return Status::Corruption("not a walnut segment (bad magic)");
  }
  if (DecodeFixed64(b.data() + 32) != XXH3_64bits_withSeed(b.data(), 32, kHeaderSeed)) {
    return Status::Corruption("segment header checksum mismatch");
  }
  uint32_t version = DecodeFixed32(b.data() + 8);
  if (version != kFormatVersion) {
    return Status::NotSupported("segment format version " + std::to_string(version) +
                                " is not supported (this build reads version " +
                                std::to_string(kFormatVersion) + ")");
  }
  h->kind = DecodeFixed32(b.data() + 12);
  if (h->kind != kKindLog && h->kind != kKindBase) return Status::Corruption("unknown file kind");
  h->segment_id = DecodeFixed64(b.data() + 16);
  h->first_seq = DecodeFixed64(b.data() + 24);
  return Status::OK();
}

size_t BeginRecord(std::string* buf) {
  size_t start = buf->size();
  buf->append(kRecordHeaderSize + kBatchPrefixSize, '\0');
  return start;
}

namespace {
uint16_t HeaderCheck(const char* p) { return uint16_t(XXH3_64bits(p + 8, 6)); }
}  // namespace

void FinishRecord(std::string* buf, size_t start, uint64_t seq, uint32_t count) {
  char* p = buf->data() + start;
  uint64_t body_len = buf->size() - start - kRecordHeaderSize;
  EncodeFixed32(p + 8, uint32_t(body_len));
  p[12] = char(kBatch);
  p[13] = 0;
  uint16_t hc = HeaderCheck(p);
  p[14] = char(hc);
  p[15] = char(hc >> 8);
  EncodeFixed64(p + 16, seq);
  EncodeFixed32(p + 24, count);
  EncodeFixed64(p, XXH3_64bits_withSeed(p + 8, buf->size() - start - 8, kRecordSeed));
}

uint64_t AnnouncedRecordSize(std::string_view d) {
  if (d.size() < kRecordHeaderSize) return 0;
  return kRecordHeaderSize + DecodeFixed32(d.data() + 8);
}

ParseStatus ParseRecord(std::string_view d, Record* out) {
  if (d.size() < kRecordHeaderSize) return ParseStatus::kIncompleteHeader;
  const char* p = d.data();
  if (DecodeFixed16(p + 14) != HeaderCheck(p)) return ParseStatus::kBadHeader;
  uint64_t body_len = DecodeFixed32(p + 8);
  if (kRecordHeaderSize + body_len > d.size()) return ParseStatus::kPastEnd;
  if (DecodeFixed64(p) != XXH3_64bits_withSeed(p + 8, body_len + 8, kRecordSeed)) {
    return ParseStatus::kBadChecksum;
  }
  if (uint8_t(p[12]) != kBatch || body_len < kBatchPrefixSize) return ParseStatus::kBadBody;
  out->seq = DecodeFixed64(p + 16);
  out->count = DecodeFixed32(p + 24);
  out->ops =
      std::string_view(p + kRecordHeaderSize + kBatchPrefixSize, body_len - kBatchPrefixSize);
  out->size = kRecordHeaderSize + body_len;
  return ParseStatus::kOk;
}

const char* ParseStatusText(ParseStatus s) {
  switch (s) {
    case ParseStatus::kOk:
      return "ok";
    case ParseStatus::kIncompleteHeader:
      return "incomplete record header";
    case ParseStatus::kBadHeader:
      return "record header check mismatch";
    case ParseStatus::kPastEnd:
      return "record runs past the end of the file";
    case ParseStatus::kBadChecksum:
      return "record checksum mismatch";
    case ParseStatus::kBadBody:
      return "malformed record body";
  }
  return "?";
}

std::string SegmentFileName(uint64_t id) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "wal-%020llu.log", static_cast<unsigned long long>(id));
  return buf;
}

namespace {
bool ParseNumberedName(std::string_view name, std::string_view prefix, std::string_view suffix,
                       uint64_t* id) {
  if (name.size() != prefix.size() + 20 + suffix.size() ||
      name.substr(0, prefix.size()) != prefix || name.substr(prefix.size() + 20) != suffix) {
    return false;
  }
  uint64_t v = 0;
  for (char c : name.substr(prefix.size(), 20)) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + uint64_t(c - '0');
  }
  *id = v;
  return true;
}
}  // namespace

bool ParseSegmentFileName(std::string_view name, uint64_t* id) {
  return ParseNumberedName(name, kSegmentPrefix, kSegmentSuffix, id);
}

std::string BaseFileName(uint64_t covered_seq) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "base-%020llu.dat", static_cast<unsigned long long>(covered_seq));
  return buf;
}

bool ParseBaseFileName(std::string_view name, uint64_t* covered_seq) {
  return ParseNumberedName(name, kBasePrefix, kBaseSuffix, covered_seq);
}

}  // namespace walnut::wal
