#include "crypto/nkeys.h"

#include <sodium.h>

#include <cctype>
#include <utility>

#include "core/encoding.h"
#include "crypto/crc16.h"
#include "crypto/identity_error.h"
#include "crypto/sodium_init.h"

namespace wasmcloud::crypto {
namespace {

constexpr uint8_t kSeedPrefix = 18 << 3;     // 0x90, 'S'
constexpr uint8_t kPrivatePrefix = 15 << 3;  // 0x78, 'P'

struct TypeInfo {
  KeyType type;
  uint8_t prefix;
  char letter;
  std::string_view name;
};

constexpr TypeInfo kTypes[] = {
    {KeyType::kAccount, 0, 'A', "account"},         {KeyType::kCluster, 2 << 3, 'C', "cluster"},
    {KeyType::kOperator, 14 << 3, 'O', "operator"}, {KeyType::kServer, 13 << 3, 'N', "server"},
    {KeyType::kUser, 20 << 3, 'U', "user"},         {KeyType::kModule, 12 << 3, 'M', "module"},
    {KeyType::kService, 21 << 3, 'V', "service"},
};

const TypeInfo& Info(KeyType type) {
  for (const auto& t : kTypes) {
    if (t.type == type) return t;
  }
  return kTypes[0];  // unreachable: every enumerator is in the table
}

std::optional<KeyType> TypeForPrefix(uint8_t prefix) {
  for (const auto& t : kTypes) {
    if (t.prefix == prefix) return t.type;
  }
  return std::nullopt;
}

// Wipes a decoded buffer that held secret bytes before it is freed.
struct WipeOnExit {
  Bytes& bytes;
  ~WipeOnExit() { sodium_memzero(bytes.data(), bytes.size()); }
};

std::string EncodeWithChecksum(Bytes raw) {
  uint16_t crc = Crc16Xmodem(raw);
  raw.push_back(static_cast<uint8_t>(crc & 0xff));
  raw.push_back(static_cast<uint8_t>(crc >> 8));
  std::string text = Base32Encode(raw);
  sodium_memzero(raw.data(), raw.size());
  return text;
}

// Base32-decodes `text` and checks and strips the trailing CRC-16. `what` is "public
// key" or "seed" for messages. The caller has checked the length.
Result<Bytes> DecodeChecked(std::string_view text, std::string_view what) {
  auto decoded = Base32Decode(text);
  if (!decoded.ok()) {
    return IdentityStatus(IdentityError::kBadAlphabet,
                          std::string(what) + ": " + decoded.status().message());
  }
  Bytes raw = std::move(decoded).value();
  if (raw.size() < 3) {
    sodium_memzero(raw.data(), raw.size());
    return IdentityStatus(IdentityError::kBadLength, std::string(what) + " is too short");
  }
  uint16_t want = static_cast<uint16_t>(raw[raw.size() - 2] | (raw[raw.size() - 1] << 8));
  raw.resize(raw.size() - 2);
  if (Crc16Xmodem(raw) != want) {
    sodium_memzero(raw.data(), raw.size());
    return IdentityStatus(IdentityError::kBadChecksum,
                          std::string(what) + " checksum does not match its contents");
  }
  return raw;
}

}  // namespace

uint8_t PrefixByte(KeyType type) { return Info(type).prefix; }
char PrefixChar(KeyType type) { return Info(type).letter; }
std::string_view KeyTypeName(KeyType type) { return Info(type).name; }

Result<KeyType> ParseKeyType(std::string_view text) {
  std::string lower;
  for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "actor") return KeyType::kModule;
  if (lower == "provider") return KeyType::kService;
  if (lower == "host") return KeyType::kServer;
  for (const auto& t : kTypes) {
    if (lower == t.name ||
        (lower.size() == 1 && lower[0] == std::tolower(static_cast<unsigned char>(t.letter)))) {
      return t.type;
    }
  }
  return InvalidArgument("unknown key type '" + std::string(text) +
                         "' (expected account, cluster, operator, server, user, module or "
                         "service; or actor, provider, host)");
}

Status PublicKey::Verify(ByteView message, ByteView signature) const {
  if (signature.size() != kSignatureSize) {
    return IdentityStatus(
        IdentityError::kBadSignatureLength,
        "signature is " + std::to_string(signature.size()) + " bytes, ed25519 signatures are 64");
  }
  EnsureSodium();
  if (crypto_sign_verify_detached(signature.data(), message.data(), message.size(), key.data()) !=
      0) {
    return IdentityStatus(IdentityError::kBadSignature, "the signature was not made by " + encoded);
  }
  return Status::Ok();
}

Result<PublicKey> ParsePublicKey(std::string_view text) {
  if (text.size() != kPublicKeyLength) {
    return IdentityStatus(
        IdentityError::kBadLength,
        "a public key has 56 characters, this one has " + std::to_string(text.size()));
  }
  WC_ASSIGN_OR_RETURN(Bytes raw, DecodeChecked(text, "public key"));
  if (raw.size() != 33) {
    return IdentityStatus(IdentityError::kBadLength, "public key does not hold 32 key bytes");
  }
  auto type = TypeForPrefix(raw[0]);
  if (!type) {
    std::string what = raw[0] == kSeedPrefix || (raw[0] & 0xf8) == kSeedPrefix
                           ? " (this is a seed, not a public key)"
                           : "";
    return IdentityStatus(
        IdentityError::kBadPrefix,
        "prefix byte 0x" + HexEncode(ByteView(raw.data(), 1)) + " is not a public key type" + what);
  }
  PublicKey pk;
  pk.type = *type;
  std::copy(raw.begin() + 1, raw.end(), pk.key.begin());
  pk.encoded = std::string(text);
  return pk;
}

std::string EncodePublicKey(KeyType type, const std::array<uint8_t, 32>& key) {
  Bytes raw;
  raw.reserve(35);
  raw.push_back(PrefixByte(type));
  raw.insert(raw.end(), key.begin(), key.end());
  return EncodeWithChecksum(std::move(raw));
}

KeyPair KeyPair::Generate(KeyType type) {
  EnsureSodium();
  std::array<uint8_t, 32> seed{};
  randombytes_buf(seed.data(), seed.size());
  auto kp = FromRawSeed(type, seed);
  sodium_memzero(seed.data(), seed.size());
  return std::move(kp).value();  // a 32-byte seed cannot fail
}

Result<KeyPair> KeyPair::FromRawSeed(KeyType type, ByteView raw_seed) {
  if (raw_seed.size() != crypto_sign_SEEDBYTES) {
    return IdentityStatus(IdentityError::kBadLength, "a raw ed25519 seed has 32 bytes");
  }
  EnsureSodium();
  KeyPair kp;
  kp.public_key_.type = type;
  crypto_sign_seed_keypair(kp.public_key_.key.data(), kp.secret_.data(), raw_seed.data());
  kp.public_key_.encoded = EncodePublicKey(type, kp.public_key_.key);
  return kp;
}

Result<KeyPair> KeyPair::FromSeed(std::string_view seed) {
  if (seed.size() != kSeedLength) {
    return IdentityStatus(IdentityError::kBadLength,
                          "a seed has 58 characters, this one has " + std::to_string(seed.size()));
  }
  WC_ASSIGN_OR_RETURN(Bytes raw, DecodeChecked(seed, "seed"));
  WipeOnExit wipe{raw};
  if (raw.size() != 34) {
    return IdentityStatus(IdentityError::kBadLength, "seed does not hold 32 seed bytes");
  }
  if ((raw[0] & 0xf8) != kSeedPrefix) {
    return IdentityStatus(IdentityError::kBadPrefix,
                          "the text is not a seed (it must start with S)");
  }
  uint8_t type_prefix = static_cast<uint8_t>(((raw[0] & 0x07) << 5) | ((raw[1] & 0xf8) >> 3));
  auto type = TypeForPrefix(type_prefix);
  if (!type) {
    return IdentityStatus(
        IdentityError::kBadPrefix,
        "seed type byte 0x" + HexEncode(ByteView(&type_prefix, 1)) + " is not a public key type");
  }
  return FromRawSeed(*type, ByteView(raw.data() + 2, 32));
}

KeyPair::KeyPair(KeyPair&& other) noexcept
    : secret_(other.secret_), public_key_(std::move(other.public_key_)) {
  other.Wipe();
}

KeyPair& KeyPair::operator=(KeyPair&& other) noexcept {
  if (this != &other) {
    secret_ = other.secret_;
    public_key_ = std::move(other.public_key_);
    other.Wipe();
  }
  return *this;
}

KeyPair::~KeyPair() { Wipe(); }

void KeyPair::Wipe() { sodium_memzero(secret_.data(), secret_.size()); }

std::string KeyPair::EncodedSeed() const {
  uint8_t t = PrefixByte(type());
  Bytes raw;
  raw.reserve(36);
  raw.push_back(static_cast<uint8_t>(kSeedPrefix | (t >> 5)));
  raw.push_back(static_cast<uint8_t>((t & 0x1f) << 3));
  raw.insert(raw.end(), secret_.begin(), secret_.begin() + 32);
  return EncodeWithChecksum(std::move(raw));
}

std::string KeyPair::EncodedPrivateKey() const {
  Bytes raw;
  raw.reserve(67);
  raw.push_back(kPrivatePrefix);
  raw.insert(raw.end(), secret_.begin(), secret_.end());
  return EncodeWithChecksum(std::move(raw));
}

Bytes KeyPair::Sign(ByteView message) const {
  Bytes sig(crypto_sign_BYTES);
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), secret_.data());
  return sig;
}

}  // namespace wasmcloud::crypto
