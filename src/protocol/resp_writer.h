// RespWriter: encodes replies in RESP2 or RESP3 onto a byte buffer.
//
// A reply is produced by one call per element, in order: an aggregate header
// (ArrayHeader, MapHeader, SetHeader) is followed by exactly as many elements
// as it announced. The RESP3-only types (map, set, double, boolean, verbatim,
// big number, null) degrade to their RESP2 spellings when the connection has
// not switched to protocol 3 with HELLO, exactly as Redis 7 does, so handlers
// write one reply for both protocols. The writer only appends; the owner of
// the buffer decides when the bytes go to the socket (or are discarded, as
// CLIENT REPLY OFF requires). Knows nothing of the engine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace walnut::protocol {

class RespWriter {
 public:
  // Appends to *out, which must outlive the writer. proto is 2 or 3.
  explicit RespWriter(std::string* out, int proto = 2) : out_(out), proto_(proto) {}

  int proto() const { return proto_; }
  bool resp3() const { return proto_ >= 3; }
  void set_proto(int proto) { proto_ = proto; }
  // Redirects the writer to another buffer (the server reuses one writer).
  void set_output(std::string* out) { out_ = out; }
  std::string* output() const { return out_; }

  // "+OK".
  void Ok() { out_->append("+OK\r\n"); }
  // A status reply: "+<s>". CR and LF in s are replaced by spaces, as they
  // would end the line.
  void SimpleString(std::string_view s);
  // An error reply: "-<msg>". msg starts with the error code ("ERR ...",
  // "WRONGTYPE ..."); a message without an upper-case code gets "ERR ".
  // CR and LF are replaced by spaces.
  void Error(std::string_view msg);
  void Integer(int64_t v);
  void Bulk(std::string_view s);
  // The absent value of a bulk reply: "$-1" in RESP2, "_" in RESP3.
  void NullBulk();
  // The absent value of an array reply: "*-1" in RESP2, "_" in RESP3.
  void NullArray();
  void ArrayHeader(size_t n);
  // A map of n key/value pairs; RESP2: a flat array of 2n elements.
  void MapHeader(size_t pairs);
  // A set of n elements; RESP2: an array.
  void SetHeader(size_t n);
  // RESP3 push (out-of-band) header; RESP2: an array.
  void PushHeader(size_t n);
  // RESP3 ",<double>"; RESP2: a bulk string. Formatted like Redis (%.17g,
  // "inf", "-inf", "nan").
  void Double(double v);
  // RESP3 "#t"/"#f"; RESP2: integer 1/0.
  void Boolean(bool v);
  // RESP3 verbatim string "=<len>\r\n<fmt>:<text>" (fmt is three letters,
  // "txt" or "mkd"); RESP2: a bulk string of the text alone.
  void Verbatim(std::string_view text, std::string_view format = "txt");
  // RESP3 "(<digits>"; RESP2: a bulk string.
  void BigNumber(std::string_view digits);
  // Convenience: a bulk reply, or a null bulk when s is null.
  void BulkOrNull(const std::string_view* s) { s ? Bulk(*s) : NullBulk(); }
  // Appends bytes that are already RESP (a cached reply). Caller guarantees
  // they are well formed.
  void Raw(std::string_view resp) { out_->append(resp); }

  size_t size() const { return out_->size(); }

 private:
  void Header(char type, int64_t n);
  std::string* out_;
  int proto_;
};

// Formats v as Redis does for replies (%.17g, "inf", "-inf", "nan").
std::string FormatDouble(double v);

}  // namespace walnut::protocol
