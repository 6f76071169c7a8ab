// CommandContext's out-of-line helpers (see command.h).
#include "server/command.h"
#include "server/errors.h"

namespace walnut::server {

void CommandContext::ReplyError(const walnut::Status& s) { reply_.Error(StatusToError(s)); }

}  // namespace walnut::server
