// SHA-256 (libsodium), as used for module hashes, invocation hashes and provider
// target hashes.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "core/bytes.h"

namespace wasmcloud::crypto {

using Sha256Digest = std::array<uint8_t, 32>;

Sha256Digest Sha256(ByteView data);
// 64 uppercase hex digits: the form wascap writes in `hash` and `target_hashes`.
std::string Sha256HexUpper(ByteView data);

}  // namespace wasmcloud::crypto
