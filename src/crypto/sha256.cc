#include "crypto/sha256.h"

#include <sodium.h>

#include "crypto/sodium_init.h"

namespace wasmcloud::crypto {

Sha256Digest Sha256(ByteView data) {
  EnsureSodium();
  Sha256Digest out{};
  crypto_hash_sha256(out.data(), data.data(), data.size());
  return out;
}

std::string Sha256HexUpper(ByteView data) {
  Sha256Digest d = Sha256(data);
  return HexEncode(d, /*upper=*/true);
}

}  // namespace wasmcloud::crypto
