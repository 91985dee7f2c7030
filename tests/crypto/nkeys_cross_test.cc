// Keys and signatures made by our nkeys verify with the npm package @nats-io/nkeys 2.0.3
// (installed by scripts/setup.sh into .deps/npm), and theirs with ours. The package's
// public API knows A, C, O, N and U keys; for M and V the script uses the package's own
// codec and ed25519 (see nkeys_cross_check.js).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "crypto/nkeys.h"
#include "support/run_command.h"

namespace wasmcloud::crypto {
namespace {

using nlohmann::json;

const KeyType kAllTypes[] = {KeyType::kAccount, KeyType::kCluster, KeyType::kOperator,
                             KeyType::kServer,  KeyType::kUser,    KeyType::kModule,
                             KeyType::kService};

bool PublicApiSupports(KeyType t) { return t != KeyType::kModule && t != KeyType::kService; }

json RunJs(const json& request) {
  std::string modules = std::string(WC_SOURCE_DIR) + "/.deps/npm/node_modules";
  struct stat st {};
  if (stat((modules + "/@nats-io/nkeys/package.json").c_str(), &st) != 0) {
    ADD_FAILURE() << "@nats-io/nkeys is not installed in " << modules << ": run scripts/setup.sh";
    return json::object();
  }
  auto r = testing::RunCommand(
      {"node", std::string(WC_SOURCE_DIR) + "/tests/crypto/nkeys_cross_check.js", modules},
      request.dump());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  if (r.exit_code != 0) return json::object();
  return json::parse(r.out);
}

TEST(NkeysCrossCheckTest, OurKeysVerifyWithTheirs) {
  const std::string message = "cross-check message \xf0\x9f\x94\x91";
  json request = {{"message_hex", HexEncode(AsBytes(message))}, {"verify", json::array()}};
  std::vector<std::string> public_keys;
  for (KeyType t : kAllTypes) {
    KeyPair kp = KeyPair::Generate(t);
    Bytes sig = kp.Sign(AsBytes(message));
    request["verify"].push_back(
        {{"public_key", kp.public_key_text()}, {"sig_hex", HexEncode(sig)}});
    // And one they must refuse: the same signature over another key.
    KeyPair other = KeyPair::Generate(t);
    request["verify"].push_back(
        {{"public_key", other.public_key_text()}, {"sig_hex", HexEncode(sig)}});
  }
  json answer = RunJs(request);
  ASSERT_EQ(answer["verify"].size(), 14u);
  for (size_t i = 0; i < 14; ++i) {
    const json& a = answer["verify"][i];
    KeyType t = kAllTypes[i / 2];
    SCOPED_TRACE(std::string(KeyTypeName(t)) + " " + a.dump());
    EXPECT_EQ(a["valid"].get<bool>(), i % 2 == 0);
    EXPECT_EQ(a["api"], PublicApiSupports(t) ? "public" : "codec+nacl");
  }
}

TEST(NkeysCrossCheckTest, TheirKeysVerifyWithOurs) {
  const std::string message = "signed by nkeys.js";
  json request = {{"message_hex", HexEncode(AsBytes(message))}, {"generate", json::array()}};
  for (KeyType t : kAllTypes) request["generate"].push_back(KeyTypeName(t));
  json answer = RunJs(request);
  ASSERT_EQ(answer["generated"].size(), 7u);
  for (size_t i = 0; i < 7; ++i) {
    const json& g = answer["generated"][i];
    SCOPED_TRACE(g.dump());
    auto kp = KeyPair::FromSeed(g["seed"].get<std::string>());
    ASSERT_TRUE(kp.ok()) << kp.status().message();
    EXPECT_EQ(kp->type(), kAllTypes[i]);
    EXPECT_EQ(kp->public_key_text(), g["public_key"].get<std::string>());
    auto pk = ParsePublicKey(g["public_key"].get<std::string>());
    ASSERT_TRUE(pk.ok()) << pk.status().message();
    Bytes sig = *HexDecode(g["sig_hex"].get<std::string>());
    EXPECT_TRUE(pk->Verify(AsBytes(message), sig).ok());
    EXPECT_FALSE(pk->Verify(AsBytes(message + "!"), sig).ok());
    // Ed25519 is deterministic: our signature with their seed is theirs.
    EXPECT_EQ(kp->Sign(AsBytes(message)), sig);
    EXPECT_EQ(g["api"], PublicApiSupports(kAllTypes[i]) ? "public" : "codec+nacl");
  }
}

}  // namespace
}  // namespace wasmcloud::crypto
