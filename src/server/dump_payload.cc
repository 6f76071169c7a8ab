// DUMP/RESTORE payloads of string values in Redis's RDB format (see
// dump_payload.h). Written from the format's description: RDB lengths and
// integer encodings, the LZF block format, and Redis's CRC-64.
#include "server/dump_payload.h"

#include <array>
#include <cstring>

#include "server/string_util.h"

namespace walnut::server {
namespace {

constexpr uint8_t kRdbTypeString = 0;
// The two top bits of the first length byte say how the length is stored.
constexpr uint8_t kLen6Bit = 0;
constexpr uint8_t kLen14Bit = 1;
constexpr uint8_t kLenEncoded = 3;  // not a length: a special string encoding
constexpr uint8_t kLen32Bit = 0x80;
constexpr uint8_t kLen64Bit = 0x81;
// Special string encodings (the low six bits after kLenEncoded).
constexpr uint8_t kEncInt8 = 0;
constexpr uint8_t kEncInt16 = 1;
constexpr uint8_t kEncInt32 = 2;
constexpr uint8_t kEncLzf = 3;

// CRC-64 with the Jones polynomial 0xad93d23594c935a9, reflected input and
// output, initial value 0, no final xor (Redis's crc64). Byte-wise table.
constexpr uint64_t kCrc64PolyReflected = 0x95ac9329ac4bc9b5ull;

constexpr std::array<uint64_t, 256> MakeCrcTable() {
  std::array<uint64_t, 256> t{};
  for (uint64_t i = 0; i < 256; i++) {
    uint64_t crc = i;
    for (int b = 0; b < 8; b++) crc = (crc & 1) ? (crc >> 1) ^ kCrc64PolyReflected : crc >> 1;
    t[i] = crc;
  }
  return t;
}
constexpr std::array<uint64_t, 256> kCrcTable = MakeCrcTable();

void PutLength(std::string* out, uint64_t len) {
  if (len < (1u << 6)) {
    out->push_back(static_cast<char>((kLen6Bit << 6) | len));
  } else if (len < (1u << 14)) {
    out->push_back(static_cast<char>((kLen14Bit << 6) | (len >> 8)));
    out->push_back(static_cast<char>(len & 0xff));
  } else if (len <= UINT32_MAX) {
    out->push_back(static_cast<char>(kLen32Bit));
    for (int s = 24; s >= 0; s -= 8) out->push_back(static_cast<char>((len >> s) & 0xff));
  } else {
    out->push_back(static_cast<char>(kLen64Bit));
    for (int s = 56; s >= 0; s -= 8) out->push_back(static_cast<char>((len >> s) & 0xff));
  }
}

// Redis stores the canonical text of a 32-bit integer (at most 11 bytes) as
// the integer itself, in the smallest of three widths.
bool PutInteger(std::string* out, std::string_view value) {
  int64_t v;
  if (value.size() > 11 || !ParseInt64(value, &v)) return false;
  auto put_le = [&](uint8_t enc, int bytes) {
    out->push_back(static_cast<char>((kLenEncoded << 6) | enc));
    for (int i = 0; i < bytes; i++) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  if (v >= INT8_MIN && v <= INT8_MAX) {
    put_le(kEncInt8, 1);
  } else if (v >= INT16_MIN && v <= INT16_MAX) {
    put_le(kEncInt16, 2);
  } else if (v >= INT32_MIN && v <= INT32_MAX) {
    put_le(kEncInt32, 4);
  } else {
    return false;
  }
  return true;
}

// A cursor over the payload's object bytes.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool Byte(uint8_t* b) {
    if (pos_ >= data_.size()) return false;
    *b = static_cast<uint8_t>(data_[pos_++]);
    return true;
  }
  bool Bytes(size_t n, std::string_view* out) {
    if (data_.size() - pos_ < n) return false;
    *out = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  // An RDB length; *encoded says it was a special-encoding marker instead.
  bool Length(uint64_t* len, bool* encoded) {
    uint8_t b;
    if (!Byte(&b)) return false;
    *encoded = false;
    switch (b >> 6) {
      case kLen6Bit:
        *len = b & 0x3f;
        return true;
      case kLen14Bit: {
        uint8_t lo;
        if (!Byte(&lo)) return false;
        *len = (static_cast<uint64_t>(b & 0x3f) << 8) | lo;
        return true;
      }
      case kLenEncoded:
        *encoded = true;
        *len = b & 0x3f;
        return true;
      default:
        break;
    }
    int bytes = b == kLen32Bit ? 4 : b == kLen64Bit ? 8 : 0;
    if (bytes == 0) return false;
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) {
      uint8_t x;
      if (!Byte(&x)) return false;
      v = (v << 8) | x;  // big-endian
    }
    *len = v;
    return true;
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

// LZF decompression: a control byte below 32 announces that many plus one
// literal bytes; otherwise its top three bits are a length (7 = "read one
// more length byte"), its low five bits and the next byte a distance back
// into the output, and length + 2 bytes are copied from there (the regions
// may overlap, which repeats bytes). Fails unless exactly `expected_len`
// bytes come out of exactly the input.
bool LzfDecompress(std::string_view in, size_t expected_len, std::string* out) {
  out->clear();
  out->reserve(expected_len);
  size_t i = 0;
  while (i < in.size()) {
    const uint8_t ctrl = static_cast<uint8_t>(in[i++]);
    if (ctrl < 32) {
      const size_t n = static_cast<size_t>(ctrl) + 1;
      if (in.size() - i < n || out->size() + n > expected_len) return false;
      out->append(in.substr(i, n));
      i += n;
      continue;
    }
    size_t len = ctrl >> 5;
    if (len == 7) {
      if (i >= in.size()) return false;
      len += static_cast<uint8_t>(in[i++]);
    }
    if (i >= in.size()) return false;
    const size_t dist =
        ((static_cast<size_t>(ctrl & 0x1f) << 8) | static_cast<uint8_t>(in[i++])) + 1;
    len += 2;
    if (dist > out->size() || out->size() + len > expected_len) return false;
    const size_t from = out->size() - dist;
    for (size_t k = 0; k < len; k++) out->push_back((*out)[from + k]);
  }
  return out->size() == expected_len;
}

}  // namespace

uint64_t Crc64(uint64_t crc, std::string_view data) {
  for (unsigned char c : data) crc = kCrcTable[(crc ^ c) & 0xff] ^ (crc >> 8);
  return crc;
}

std::string DumpString(std::string_view value) {
  std::string out;
  out.reserve(value.size() + 20);
  out.push_back(static_cast<char>(kRdbTypeString));
  if (!PutInteger(&out, value)) {
    PutLength(&out, value.size());
    out.append(value);
  }
  out.push_back(static_cast<char>(kRdbVersion & 0xff));
  out.push_back(static_cast<char>(kRdbVersion >> 8));
  const uint64_t crc = Crc64(0, out);
  for (int i = 0; i < 8; i++) out.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  return out;
}

PayloadError RestoreString(std::string_view payload, uint64_t max_len, std::string* value) {
  // Footer: 2 bytes of version, 8 of checksum.
  if (payload.size() < 10) return PayloadError::kVersionOrChecksum;
  const std::string_view footer = payload.substr(payload.size() - 10);
  const uint16_t version = static_cast<uint16_t>(static_cast<uint8_t>(footer[0]) |
                                                 (static_cast<uint8_t>(footer[1]) << 8));
  if (version > kRdbVersion) return PayloadError::kVersionOrChecksum;
  uint64_t stored = 0;
  for (int i = 7; i >= 0; i--) stored = (stored << 8) | static_cast<uint8_t>(footer[2 + i]);
  if (Crc64(0, payload.substr(0, payload.size() - 8)) != stored) {
    return PayloadError::kVersionOrChecksum;
  }

  Reader r(payload.substr(0, payload.size() - 10));
  uint8_t type;
  if (!r.Byte(&type) || type != kRdbTypeString) return PayloadError::kBadFormat;
  uint64_t len;
  bool encoded;
  if (!r.Length(&len, &encoded)) return PayloadError::kBadFormat;
  if (!encoded) {
    std::string_view bytes;
    if (len > max_len || !r.Bytes(static_cast<size_t>(len), &bytes)) {
      return PayloadError::kBadFormat;
    }
    value->assign(bytes);
    return PayloadError::kOk;
  }
  std::string_view raw;
  switch (len) {
    case kEncInt8:
    case kEncInt16:
    case kEncInt32: {
      const int bytes = len == kEncInt8 ? 1 : len == kEncInt16 ? 2 : 4;
      if (!r.Bytes(static_cast<size_t>(bytes), &raw)) return PayloadError::kBadFormat;
      uint32_t u = 0;
      for (int i = bytes - 1; i >= 0; i--) u = (u << 8) | static_cast<uint8_t>(raw[i]);
      // Sign-extend from the stored width.
      int64_t v = bytes == 1   ? static_cast<int8_t>(u)
                  : bytes == 2 ? static_cast<int16_t>(u)
                               : static_cast<int32_t>(u);
      *value = FormatInt64(v);
      return PayloadError::kOk;
    }
    case kEncLzf: {
      uint64_t clen, ulen;
      bool e1, e2;
      if (!r.Length(&clen, &e1) || !r.Length(&ulen, &e2) || e1 || e2) {
        return PayloadError::kBadFormat;
      }
      if (ulen > max_len || !r.Bytes(static_cast<size_t>(clen), &raw)) {
        return PayloadError::kBadFormat;
      }
      if (!LzfDecompress(raw, static_cast<size_t>(ulen), value)) return PayloadError::kBadFormat;
      return PayloadError::kOk;
    }
    default:
      return PayloadError::kBadFormat;
  }
}

}  // namespace walnut::server
