// The one hash function of Walnut: XXH3 (libxxhash), used for the index and,
// seeded differently, for log checksums.
#pragma once

#include <xxhash.h>

#include <cstdint>
#include <string_view>

namespace walnut {

inline uint64_t HashKey(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

}  // namespace walnut
