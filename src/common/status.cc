#include "walnut/status.h"

namespace walnut {

std::string Status::ToString() const {
  const char* name = "OK";
  switch (code_) {
    case Code::kOk:
      return "OK";
    case Code::kNotFound:
      name = "NotFound";
      break;
    case Code::kCorruption:
      name = "Corruption";
      break;
    case Code::kIOError:
      name = "IO error";
      break;
    case Code::kInvalidArgument:
      name = "Invalid argument";
      break;
    case Code::kNotSupported:
      name = "Not supported";
      break;
    case Code::kBusy:
      name = "Busy";
      break;
    case Code::kNoSpace:
      name = "No space";
      break;
    case Code::kClosed:
      name = "Closed";
      break;
  }
  std::string s(name);
  if (!msg_.empty()) {
    s += ": ";
    s += msg_;
  }
  return s;
}

}  // namespace walnut
