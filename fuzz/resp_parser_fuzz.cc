// Fuzz target: the RESP request parser, fed the way a connection feeds it.
//
// The input is parsed twice: whole, and in chunks whose sizes come from the
// input itself (as data trickles in from a socket). Both must yield the
// same requests and the same error, every request must respect the limits,
// and nothing may crash or read out of bounds (ASan under libFuzzer).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "protocol/resp_parser.h"

namespace {

using walnut::protocol::ParserLimits;
using walnut::protocol::RequestParser;

struct Outcome {
  std::vector<std::vector<std::string>> requests;
  std::string error;
};

Outcome Run(std::string_view input, const std::vector<size_t>& chunks) {
  ParserLimits limits;
  limits.max_bulk_len = 1 << 16;  // small limits so the fuzzer reaches them
  limits.max_multibulk_len = 1 << 10;
  limits.max_inline_len = 1 << 12;
  RequestParser p(limits);
  Outcome out;
  std::string buf;
  size_t fed = 0, ci = 0;
  while (true) {
    RequestParser::Result r = RequestParser::Result::kNeedMore;
    if (!buf.empty()) r = p.Parse(buf);
    if (r == RequestParser::Result::kOk) {
      Check(p.consumed() > 0 && p.consumed() <= buf.size());
      Check(!p.args().empty());
      std::vector<std::string> args;
      for (auto a : p.args()) {
        Check(int64_t(a.size()) <= limits.max_bulk_len);
        args.emplace_back(a);
      }
      Check(int64_t(args.size()) <= limits.max_multibulk_len);
      out.requests.push_back(std::move(args));
      buf.erase(0, p.consumed());
      continue;
    }
    if (r == RequestParser::Result::kEmpty) {
      Check(p.consumed() > 0 && p.consumed() <= buf.size());
      buf.erase(0, p.consumed());
      continue;
    }
    if (r == RequestParser::Result::kError) {
      Check(p.error().rfind("Protocol error", 0) == 0);
      out.error = p.error();
      return out;
    }
    if (fed == input.size()) return out;  // needs more than there is
    size_t n = chunks.empty() ? input.size() - fed : chunks[ci++ % chunks.size()];
    n = std::min(std::max<size_t>(n, 1), input.size() - fed);
    buf.append(input.substr(fed, n));
    fed += n;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // First byte: chunking pattern; the rest: the bytes a client sends.
  std::vector<size_t> chunks;
  uint8_t pattern = data[0];
  for (int i = 0; i < 4; i++) chunks.push_back(1 + ((pattern >> (2 * i)) & 3) * 7);
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  Outcome whole = Run(input, {});
  Outcome pieces = Run(input, chunks);
  Check(whole.requests == pieces.requests);
  Check(whole.error == pieces.error);
  return 0;
}
