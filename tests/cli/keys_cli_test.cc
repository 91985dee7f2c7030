// `wasmcloud keys`: what a user sees on stdout, stderr and in the exit code.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/bytes.h"
#include "support/run_command.h"

namespace wasmcloud {
namespace {

// A temporary directory removed with everything in it (keys included) at scope exit.
struct ScopedTempDir {
  std::string path = testing::MakeTempDir();
  ~ScopedTempDir() { std::filesystem::remove_all(path); }
};

using testing::RunCommand;
using testing::WasmcloudBinary;

TEST(KeysCliTest, GenPrintsASeedAndItsPublicKey) {
  for (const auto& [type, letter] : std::vector<std::pair<std::string, char>>{{"account", 'A'},
                                                                              {"module", 'M'},
                                                                              {"actor", 'M'},
                                                                              {"service", 'V'},
                                                                              {"provider", 'V'},
                                                                              {"server", 'N'},
                                                                              {"operator", 'O'},
                                                                              {"cluster", 'C'},
                                                                              {"user", 'U'}}) {
    auto r = RunCommand({WasmcloudBinary(), "keys", "gen", type, "-o", "json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    std::string pub = j["public_key"], seed = j["seed"];
    EXPECT_EQ(pub.size(), 56u);
    EXPECT_EQ(pub[0], letter) << type;
    EXPECT_EQ(seed.substr(0, 2), std::string("S") + letter);
    // inspect agrees on the public key, and does not print the seed back.
    auto i = RunCommand({WasmcloudBinary(), "keys", "inspect", seed, "-o", "json"});
    ASSERT_EQ(i.exit_code, 0) << i.err;
    auto ij = nlohmann::json::parse(i.out);
    EXPECT_EQ(ij["public_key"], pub);
    EXPECT_EQ(ij["is_seed"], true);
    EXPECT_EQ(i.out.find(seed), std::string::npos);
  }
  auto text = RunCommand({WasmcloudBinary(), "keys", "gen", "account"});
  ASSERT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find("Public Key: A"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("Seed: SA"), std::string::npos) << text.out;
}

TEST(KeysCliTest, InspectKnownVectorsFromTextAndFile) {
  auto r = RunCommand({WasmcloudBinary(), "keys", "inspect",
                       "SAAPN4W3EG6KCJGUQTKTJ5GSB5NHK5CHAJL4DBGFUM3HHROI4XUEP4OBK4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "Type: account (A)\n"
            "Public Key: ACODERUVFFAWZQDSS6SBIACUA5O6SXF7HJ3YTYXBALHZP3P7R4BUO4J2\n"
            "Seed: yes (can sign)\n");
  ScopedTempDir tmp;
  const std::string& dir = tmp.path;
  ASSERT_TRUE(WriteFile(dir + "/k.nk",
                        AsBytes("SMAPHZGADKGXRX233E7V6QFRV2XLP5GMTFY7YH5FXUBSC33C5B4S4DSYSQ\n"),
                        0600)
                  .ok());
  r = RunCommand({WasmcloudBinary(), "keys", "inspect", dir + "/k.nk", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["type"], "module");
  EXPECT_EQ(j["public_key"], "MDW7BWQDVYBRC6WKSJRRZL27R73EVBWQINYLPFDRCWDZDFQO4JMO4U6J");
  r = RunCommand({WasmcloudBinary(), "keys", "inspect",
                  "MDW7BWQDVYBRC6WKSJRRZL27R73EVBWQINYLPFDRCWDZDFQO4JMO4U6J", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["is_seed"], false);
}

TEST(KeysCliTest, BadInputIsExitTwoWithTheReason) {
  struct Case {
    std::string input, reason;
  };
  const Case cases[] = {
      {"FAAPN4W3EG6KCJGUQTKTJ5GSB5NHK5CHAJL4DBGFUM3HHROI4XUEP4OBK4", "bad checksum"},
      {"SAAPN4W3EG6KCJGUQTKTJ5!#B5NHK5CHAJL4DBGFUM3HHROI4XUEP4OBK4", "bad alphabet"},
      {"ACARVGW77LDNWYXBAH62YKKQRVHYOTKKDDVVJVOISOU75WQPXOO7N3", "bad length"},
      {"ZCO4XYNKEN7ZFQ42BHYCBYI3K7USOGG43C2DIJZYWSQ2YEMBOZWN6PYH", "bad prefix"},
  };
  for (const auto& c : cases) {
    auto r = RunCommand({WasmcloudBinary(), "keys", "inspect", c.input});
    EXPECT_EQ(r.exit_code, 2) << c.input;
    EXPECT_EQ(r.err.rfind("wasmcloud keys inspect: " + c.reason + ": ", 0), 0u) << r.err;
    EXPECT_TRUE(r.out.empty());
  }
  auto r = RunCommand({WasmcloudBinary(), "keys", "gen", "curve"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown key type 'curve'"), std::string::npos) << r.err;
  r = RunCommand({WasmcloudBinary(), "keys", "gen"});
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
}  // namespace wasmcloud
