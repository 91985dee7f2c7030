// libsodium must be initialised once before use (it picks implementations and seeds
// its random generator). Internal to the crypto layer.
#pragma once

namespace wasmcloud::crypto {

// Idempotent and thread-safe. Aborts when libsodium cannot initialise: without a
// working random source no key can be generated safely, and that is not recoverable.
void EnsureSodium();

}  // namespace wasmcloud::crypto
