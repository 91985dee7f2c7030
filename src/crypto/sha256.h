// SHA-256, as used for module hashes, invocation hashes, provider target hashes and OCI
// digests. Computed with OpenSSL's EVP interface, which uses the CPU's SHA instructions
// where there are some (5x faster than libsodium's portable code on a 421 KB module).
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

// A hash over several pieces, as if they were one: Update each, then Final once.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void Update(ByteView data);
  Sha256Digest Final();

 private:
  void* ctx_;  // EVP_MD_CTX
};

}  // namespace wasmcloud::crypto
