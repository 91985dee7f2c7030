#include "crypto/nkeys.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <array>
#include <nlohmann/json.hpp>

#include "core/encoding.h"
#include "crypto/crc16.h"
#include "crypto/identity_error.h"
#include "test_data.h"

namespace wasmcloud::crypto {
namespace {

using testdata::LoadFixtureJson;

TEST(Crc16Test, XmodemCheckValue) { EXPECT_EQ(Crc16Xmodem(AsBytes("123456789")), 0x31C3); }

TEST(KeyTypeTest, PrefixesAndNames) {
  const std::tuple<KeyType, uint8_t, char> cases[] = {
      {KeyType::kAccount, 0, 'A'},     {KeyType::kCluster, 0x10, 'C'},
      {KeyType::kOperator, 0x70, 'O'}, {KeyType::kServer, 0x68, 'N'},
      {KeyType::kUser, 0xA0, 'U'},     {KeyType::kModule, 0x60, 'M'},
      {KeyType::kService, 0xA8, 'V'},
  };
  for (const auto& [type, byte, letter] : cases) {
    EXPECT_EQ(PrefixByte(type), byte);
    EXPECT_EQ(PrefixChar(type), letter);
    EXPECT_EQ(*ParseKeyType(KeyTypeName(type)), type);
    EXPECT_EQ(*ParseKeyType(std::string(1, letter)), type);
    KeyPair kp = KeyPair::Generate(type);
    EXPECT_EQ(kp.public_key_text().size(), 56u);
    EXPECT_EQ(kp.public_key_text()[0], letter);
    std::string seed = kp.EncodedSeed();
    EXPECT_EQ(seed.size(), 58u);
    EXPECT_EQ(seed.substr(0, 2), std::string("S") + letter);
  }
  EXPECT_EQ(*ParseKeyType("actor"), KeyType::kModule);
  EXPECT_EQ(*ParseKeyType("Provider"), KeyType::kService);
  EXPECT_EQ(*ParseKeyType("host"), KeyType::kServer);
  EXPECT_FALSE(ParseKeyType("curve").ok());
}

// Every seed -> public key pair of the vectors file.
TEST(NkeysVectorsTest, SeedsGiveTheirPublicKeys) {
  auto v = LoadFixtureJson("nkeys_vectors.json");
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& e : v["go_compat"]) pairs.emplace_back(e["seed"], e["public_key"]);
  for (const auto& e : v["nkeys_js_integration"]) pairs.emplace_back(e["seed"], e["public_key"]);
  for (const auto& e : v["fixture_keys"]) pairs.emplace_back(e["seed"], e["public_key"]);
  for (const auto& e : v["key_types"]) {
    if (e.contains("seed")) pairs.emplace_back(e["seed"], e["public_key_derived"]);
  }
  ASSERT_GE(pairs.size(), 18u);
  for (const auto& [seed, pub] : pairs) {
    auto kp = KeyPair::FromSeed(seed);
    ASSERT_TRUE(kp.ok()) << seed << ": " << kp.status().message();
    EXPECT_EQ(kp->public_key_text(), pub);
    EXPECT_EQ(kp->EncodedSeed(), seed) << "seed does not re-encode to itself";
    auto pk = ParsePublicKey(pub);
    ASSERT_TRUE(pk.ok()) << pub;
    EXPECT_EQ(pk->type, kp->type());
    EXPECT_EQ(pk->key, kp->public_key().key);
  }
}

TEST(NkeysVectorsTest, KeyTypes) {
  auto v = LoadFixtureJson("nkeys_vectors.json");
  for (const auto& e : v["key_types"]) {
    auto want = ParseKeyType(e["type"].get<std::string>());
    ASSERT_TRUE(want.ok());
    if (e.contains("public_key")) {
      auto pk = ParsePublicKey(e["public_key"].get<std::string>());
      ASSERT_TRUE(pk.ok()) << pk.status().message();
      EXPECT_EQ(pk->type, *want);
    }
    if (e.contains("seed")) {
      auto kp = KeyPair::FromSeed(e["seed"].get<std::string>());
      ASSERT_TRUE(kp.ok()) << kp.status().message();
      EXPECT_EQ(kp->type(), *want);
    }
  }
}

// The nkeys.js integration vectors: private key text and signatures of the nonce text.
TEST(NkeysVectorsTest, JsPrivateKeysAndSignatures) {
  auto v = LoadFixtureJson("nkeys_vectors.json");
  ASSERT_EQ(v["nkeys_js_integration"].size(), 2u);
  for (const auto& e : v["nkeys_js_integration"]) {
    auto kp = KeyPair::FromSeed(e["seed"].get<std::string>());
    ASSERT_TRUE(kp.ok());
    EXPECT_EQ(kp->EncodedPrivateKey(), e["private_key"].get<std::string>());
    std::string nonce = e["nonce"];
    auto want = Base64Decode(e["sig"].get<std::string>());
    ASSERT_TRUE(want.ok());
    EXPECT_EQ(kp->Sign(AsBytes(nonce)), *want);
    EXPECT_TRUE(kp->Verify(AsBytes(nonce), *want).ok());
    auto pk = ParsePublicKey(e["public_key"].get<std::string>());
    ASSERT_TRUE(pk.ok());
    EXPECT_TRUE(pk->Verify(AsBytes(nonce), *want).ok());
    EXPECT_EQ(IdentityErrorOf(pk->Verify(AsBytes(nonce + "x"), *want)),
              IdentityError::kBadSignature);
    if (e.contains("raw_seed_ascii")) {
      auto raw =
          KeyPair::FromRawSeed(KeyType::kUser, AsBytes(e["raw_seed_ascii"].get<std::string>()));
      ASSERT_TRUE(raw.ok());
      EXPECT_EQ(raw->EncodedSeed(), e["seed"].get<std::string>());
    }
  }
}

IdentityError ExpectedKind(const std::string& upstream) {
  if (upstream == "InvalidPrefix") return IdentityError::kBadPrefix;
  if (upstream == "ChecksumFailure") return IdentityError::kBadChecksum;
  if (upstream == "InvalidKeyLength") return IdentityError::kBadLength;
  if (upstream == "CodecFailure") return IdentityError::kBadAlphabet;
  if (upstream == "InvalidSignatureLength") return IdentityError::kBadSignatureLength;
  ADD_FAILURE() << "unknown upstream error kind " << upstream;
  return IdentityError::kNone;
}

TEST(NkeysVectorsTest, RejectsEachWithItsOwnError) {
  auto v = LoadFixtureJson("nkeys_vectors.json");
  ASSERT_EQ(v["rejects"].size(), 7u);
  for (const auto& e : v["rejects"]) {
    std::string kind = e["input_kind"];
    IdentityError want = ExpectedKind(e["expected_error_kind"]);
    Status st;
    if (kind == "seed") {
      st = KeyPair::FromSeed(e["input"].get<std::string>()).status();
    } else if (kind == "public_key") {
      st = ParsePublicKey(e["input"].get<std::string>()).status();
    } else {
      KeyPair kp = KeyPair::Generate(KeyType::kAccount);
      st = kp.Verify({}, {});
    }
    EXPECT_EQ(IdentityErrorOf(st), want) << e["input"] << " gave: " << st.message();
    EXPECT_EQ(st.message().rfind(std::string(IdentityErrorPhrase(want)) + ": ", 0), 0u)
        << st.message();
  }
}

TEST(NkeysTest, ErrorsSayWhatIsWrong) {
  const std::string seed = "SAAPN4W3EG6KCJGUQTKTJ5GSB5NHK5CHAJL4DBGFUM3HHROI4XUEP4OBK4";
  auto bad_char = KeyPair::FromSeed(seed.substr(0, 10) + "1" + seed.substr(11));
  EXPECT_EQ(bad_char.status().message(),
            "bad alphabet: seed: not a base32 character '1' at offset 10");
  auto short_seed = KeyPair::FromSeed(seed.substr(1));
  EXPECT_EQ(short_seed.status().message(), "bad length: a seed has 58 characters, this one has 57");
  // A seed's last character carries 2 unused bits; setting them is an encoding error
  // (Rust nkeys' CodecFailure), not a second spelling of the same seed.
  std::string last_bits = seed.substr(0, 57) + "5";  // '4' = 11100, '5' = 11101
  EXPECT_EQ(IdentityErrorOf(KeyPair::FromSeed(last_bits).status()), IdentityError::kBadAlphabet);
  // A public key where a seed is expected and the other way round.
  auto pub_as_seed = ParsePublicKey(seed.substr(0, 56));
  EXPECT_NE(IdentityErrorOf(pub_as_seed.status()), IdentityError::kNone);
  KeyPair kp = KeyPair::Generate(KeyType::kModule);
  auto seed_as_pub = KeyPair::FromSeed(kp.public_key_text() + "AA");
  EXPECT_NE(IdentityErrorOf(seed_as_pub.status()), IdentityError::kNone);
  // Secrets never show up in messages.
  std::string text = kp.EncodedSeed();
  text[20] = text[20] == 'A' ? 'B' : 'A';
  auto st = KeyPair::FromSeed(text).status();
  EXPECT_EQ(IdentityErrorOf(st), IdentityError::kBadChecksum);
  EXPECT_EQ(st.message().find(text.substr(2, 20)), std::string::npos);
}

TEST(NkeysTest, SpecSignatureVector) {
  // §2.3: the raw seed 00..1f as an account key signs "hello wasmcloud" to this.
  auto kp = KeyPair::FromSeed("SAAAAAICAMCAKBQHBAEQUCYMBUHA6EARCIJRIFIWC4MBSGQ3DQOR4HYMHI");
  ASSERT_TRUE(kp.ok());
  EXPECT_EQ(kp->public_key_text(), "AAB2CB576PHBBPQ5ODORRZ2LYCMWPZGWGCN2KDK7DXOIMZASKUY3QPZV");
  EXPECT_EQ(HexEncode(kp->Sign(AsBytes("hello wasmcloud"))),
            "04424bbe9d8e58ae0f72ab62cd809db782d704c516635e64066bbb2bd30de41e514a39fe7574d4abb5"
            "44ae463a12ad84f0411b710807b7757aef2f6116880901");
  std::array<uint8_t, 32> raw{};
  for (int i = 0; i < 32; ++i) raw[static_cast<size_t>(i)] = static_cast<uint8_t>(i);
  const std::pair<KeyType, const char*> seeds[] = {
      {KeyType::kServer, "SNAAAAICAMCAKBQHBAEQUCYMBUHA6EARCIJRIFIWC4MBSGQ3DQOR4H2D5U"},
      {KeyType::kModule, "SMAAAAICAMCAKBQHBAEQUCYMBUHA6EARCIJRIFIWC4MBSGQ3DQOR4H2CRY"},
      {KeyType::kService, "SVAAAAICAMCAKBQHBAEQUCYMBUHA6EARCIJRIFIWC4MBSGQ3DQOR4H76SU"},
  };
  for (const auto& [type, seed] : seeds) {
    auto k = KeyPair::FromRawSeed(type, raw);
    ASSERT_TRUE(k.ok());
    EXPECT_EQ(k->EncodedSeed(), seed);
  }
  EXPECT_EQ(KeyPair::FromRawSeed(KeyType::kModule, raw)->public_key_text(),
            "MAB2CB576PHBBPQ5ODORRZ2LYCMWPZGWGCN2KDK7DXOIMZASKUY3RLXP");
  EXPECT_EQ(KeyPair::FromRawSeed(KeyType::kService, raw)->public_key_text(),
            "VAB2CB576PHBBPQ5ODORRZ2LYCMWPZGWGCN2KDK7DXOIMZASKUY3RSLE");
}

TEST(NkeysTest, MovedFromKeyIsWiped) {
  KeyPair a = KeyPair::Generate(KeyType::kAccount);
  std::string seed = a.EncodedSeed();
  KeyPair b = std::move(a);
  EXPECT_EQ(b.EncodedSeed(), seed);
  // The moved-from object holds zeros now: its seed is the all-zero seed.
  EXPECT_NE(a.EncodedSeed(), seed);  // NOLINT(bugprone-use-after-move): checking the wipe
}

}  // namespace
}  // namespace wasmcloud::crypto
