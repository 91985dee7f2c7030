// nkeys: ed25519 keys as NATS and wasmCloud write them (Rust nkeys 0.1.0, Go and JS
// nkeys). A public key is base32([type prefix] ‖ 32-byte key ‖ CRC-16 LE), 56 characters
// starting with the type letter; a seed is base32([0x90|t>>5, (t&31)<<3] ‖ 32-byte
// ed25519 seed ‖ CRC-16 LE), 58 characters starting with 'S' and the type letter.
//
// Parsing checks in the order of the Rust crate (length, alphabet, checksum, prefix) and
// each failure has its own IdentityError (bad length / bad alphabet / bad checksum /
// bad prefix).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/status.h"

namespace wasmcloud::crypto {

// Every public key type of nkeys 0.1.0 (what the 0.18 host accepts).
enum class KeyType : uint8_t {
  kAccount,   // A: issues actor and provider claims
  kCluster,   // C
  kOperator,  // O
  kServer,    // N: a host
  kUser,      // U
  kModule,    // M: an actor (Rust nkeys only; not in Go or JS nkeys)
  kService,   // V: a capability provider (Rust nkeys only)
};

inline constexpr size_t kPublicKeyLength = 56;
inline constexpr size_t kSeedLength = 58;
inline constexpr size_t kSignatureSize = 64;

// The prefix byte of the type's public keys: A=0, C=2<<3, O=14<<3, N=13<<3, U=20<<3,
// M=12<<3, V=21<<3.
uint8_t PrefixByte(KeyType type);
// The first character of the type's public keys ('A', 'M', ...).
char PrefixChar(KeyType type);
// "account", "cluster", "operator", "server", "user", "module", "service".
std::string_view KeyTypeName(KeyType type);
// Accepts the names above, the prefix letter, and the wasmCloud words "actor" (module),
// "provider" (service) and "host" (server), in any case. kInvalidArgument otherwise.
Result<KeyType> ParseKeyType(std::string_view text);

// A parsed public key: its type, raw ed25519 key and the text form.
struct PublicKey {
  KeyType type = KeyType::kAccount;
  std::array<uint8_t, 32> key{};
  std::string encoded;  // 56 characters

  // Ok when `signature` is a valid ed25519 signature of `message` by this key.
  // Errors: "bad signature length" (not 64 bytes), "bad signature".
  Status Verify(ByteView message, ByteView signature) const;
};

// Parses a 56-character public key of one of the seven types.
Result<PublicKey> ParsePublicKey(std::string_view text);
// Encodes a raw ed25519 public key as an nkey of `type`.
std::string EncodePublicKey(KeyType type, const std::array<uint8_t, 32>& key);

// A key that can sign: the ed25519 seed and its public key. Move-only; the secret bytes
// are wiped (sodium_memzero) when the object is destroyed or moved from, and never
// appear in logs or error messages.
class KeyPair {
 public:
  // A new random key of `type` (libsodium's CSPRNG).
  static KeyPair Generate(KeyType type);
  // Parses a 58-character seed. Errors name what is wrong (see the file comment).
  static Result<KeyPair> FromSeed(std::string_view seed);
  // Builds a key from a raw 32-byte ed25519 seed (for tests and vectors).
  static Result<KeyPair> FromRawSeed(KeyType type, ByteView raw_seed);

  KeyPair(KeyPair&& other) noexcept;
  KeyPair& operator=(KeyPair&& other) noexcept;
  KeyPair(const KeyPair&) = delete;
  KeyPair& operator=(const KeyPair&) = delete;
  ~KeyPair();

  KeyType type() const { return public_key_.type; }
  const PublicKey& public_key() const { return public_key_; }
  // The 56-character public key text.
  const std::string& public_key_text() const { return public_key_.encoded; }

  // The 58-character seed text. The caller owns this copy of the secret: write it where
  // it belongs and do not log it.
  std::string EncodedSeed() const;
  // The "P..." private key text of Go and JS nkeys: base32([0x78] ‖ seed ‖ public key ‖
  // CRC-16 LE). The same care as for EncodedSeed applies.
  std::string EncodedPrivateKey() const;

  // A 64-byte ed25519 signature (deterministic: same key and message, same bytes).
  Bytes Sign(ByteView message) const;
  Status Verify(ByteView message, ByteView signature) const {
    return public_key_.Verify(message, signature);
  }

 private:
  KeyPair() = default;
  void Wipe();

  // libsodium's secret key: the 32-byte seed followed by the 32-byte public key.
  std::array<uint8_t, 64> secret_{};
  PublicKey public_key_;
};

}  // namespace wasmcloud::crypto
