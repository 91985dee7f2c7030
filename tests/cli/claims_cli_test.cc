// `wasmcloud claims`: inspecting the upstream signed fixtures, refusing unsigned and
// tampered copies with their own reasons, signing with generated and given keys, and
// running a module signed by us under `wasmcloud wapc`.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/bytes.h"
#include "crypto/module_claims.h"
#include "support/run_command.h"
#include "wasm/module_info.h"

namespace wasmcloud {
namespace {

// A temporary directory removed with everything in it (keys included) at scope exit.
struct ScopedTempDir {
  std::string path = testing::MakeTempDir();
  ~ScopedTempDir() { std::filesystem::remove_all(path); }
};

using nlohmann::json;
using testing::FixturePath;
using testing::RunCommand;
using testing::WasmcloudBinary;

json FixtureIndex() {
  auto bytes = ReadFile(FixturePath("fixtures_index.json"));
  EXPECT_TRUE(bytes.ok());
  return bytes.ok() ? json::parse(bytes->begin(), bytes->end()) : json::object();
}

json InspectJson(const std::string& path, int want_exit) {
  auto r = RunCommand({WasmcloudBinary(), "claims", "inspect", path, "-o", "json"});
  EXPECT_EQ(r.exit_code, want_exit) << path << "\n" << r.err;
  return json::parse(r.out, nullptr, false);
}

TEST(ClaimsCliTest, InspectShowsTheFieldsOfEverySignedFixture) {
  int seen = 0;
  json index = FixtureIndex();
  for (const auto& f : index["wasm"]) {
    if (f["jwt_section"].is_null()) continue;
    SCOPED_TRACE(f["path"].get<std::string>());
    json got = InspectJson(FixturePath(f["path"]), 0);
    ASSERT_TRUE(got.is_object());
    EXPECT_EQ(got["verified"], true);
    EXPECT_TRUE(got["error"].is_null());
    EXPECT_EQ(got["jwt"], f["jwt"]);
    const json& c = f["claims"];
    for (const char* key : {"iss", "sub", "iat", "jti"}) EXPECT_EQ(got[key], c[key]) << key;
    for (const char* key : {"name", "hash", "caps", "tags", "rev", "ver", "call_alias", "prov"}) {
      // A member the fixture lacks is null in our output.
      json want = c["wascap"].contains(key) ? c["wascap"][key] : json(nullptr);
      EXPECT_EQ(got[key], want) << key;
    }
    EXPECT_EQ(got["module_hash"], f["sha256_without_jwt_section"]);
    ++seen;
  }
  EXPECT_EQ(seen, 8);

  auto text =
      RunCommand({WasmcloudBinary(), "claims", "inspect", FixturePath("wc-host-0.18/ponger.wasm")});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("ponger - Module"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("Call Alias    wasmcloud/examples/ponger"), std::string::npos);
  EXPECT_NE(text.out.find("Verified      yes"), std::string::npos);
}

TEST(ClaimsCliTest, UnsignedModuleFailsWithNoJwtSection) {
  auto r = RunCommand({WasmcloudBinary(), "claims", "inspect", FixturePath("wascap/loop.wasm")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no jwt section: Unable to extract embedded token from WebAssembly module"),
            std::string::npos)
      << r.err;
  json j = InspectJson(FixturePath("wascap/loop.wasm"), 1);
  EXPECT_EQ(j["error_kind"], "no jwt section");
  EXPECT_EQ(j["verified"], false);
}

TEST(ClaimsCliTest, UnusableInputIsExitTwo) {
  ScopedTempDir tmp;
  const std::string& dir = tmp.path;
  ASSERT_TRUE(WriteFile(dir + "/junk.wasm", AsBytes("not wasm at all")).ok());
  auto r = RunCommand({WasmcloudBinary(), "claims", "inspect", dir + "/junk.wasm"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("is not a WebAssembly module"), std::string::npos) << r.err;
  r = RunCommand({WasmcloudBinary(), "claims", "inspect", dir + "/missing.wasm"});
  EXPECT_EQ(r.exit_code, 2);
  // The JSON form says why too (it printed nothing on stdout).
  for (const std::string file : {"junk.wasm", "missing.wasm"}) {
    r = RunCommand({WasmcloudBinary(), "claims", "inspect", dir + "/" + file, "-o", "json"});
    EXPECT_EQ(r.exit_code, 2);
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.out;
    EXPECT_EQ(j["verified"], false);
    EXPECT_EQ(j["error_kind"], "not a WebAssembly module");
    EXPECT_NE(j.value("error", "").find(file), std::string::npos) << j;
  }
  r = RunCommand({WasmcloudBinary(), "claims", "sign", FixturePath("wascap/loop.wasm"), "-d",
                  dir + "/x.wasm"});  // --name missing
  EXPECT_EQ(r.exit_code, 2);
  // -o is the output format in every command, as in wash: the old spelling of the
  // destination is refused with the flag to use, and writes nothing.
  r = RunCommand({WasmcloudBinary(), "claims", "sign", FixturePath("wascap/loop.wasm"), "-o",
                  dir + "/y.wasm", "--name", "x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("-o/--output is the output format (text or json), as in wash; the file "
                       "to write is -d/--destination, got \"" +
                       dir + "/y.wasm\""),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir + "/y.wasm"));
  r = RunCommand(
      {WasmcloudBinary(), "claims", "inspect", FixturePath("wascap/loop.wasm"), "-o", "yaml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("-o/--output is the output format (text or json), as in wash, got "
                       "\"yaml\""),
            std::string::npos)
      << r.err;
  r = RunCommand({WasmcloudBinary(), "claims", "sign", FixturePath("wascap/loop.wasm"), "-d",
                  dir + "/x.wasm", "--name", "x", "--issuer",
                  "SMAPHZGADKGXRX233E7V6QFRV2XLP5GMTFY7YH5FXUBSC33C5B4S4DSYSQ"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--issuer must be an account seed"), std::string::npos) << r.err;
  // A capability without its namespace would be signed as one nothing provides.
  for (const char* cap : {"httpserver", "wasmcloud:", ":x", "wasmcloud:http server"}) {
    r = RunCommand({WasmcloudBinary(), "claims", "sign", FixturePath("wascap/loop.wasm"), "-d",
                    dir + "/x.wasm", "--name", "x", "--cap", cap, "--keys-dir", dir + "/keys"});
    EXPECT_EQ(r.exit_code, 2) << cap;
    EXPECT_NE(r.err.find("--cap \"" + std::string(cap) + "\" is not a contract id"),
              std::string::npos)
        << r.err;
  }
  struct stat st {};
  EXPECT_NE(stat((dir + "/x.wasm").c_str(), &st), 0) << "nothing is written on error";
}

size_t SectionPayloadMiddle(const Bytes& module, uint8_t id) {
  auto info = wasm::InspectModule(module);
  EXPECT_TRUE(info.ok());
  for (const auto& s : info->sections) {
    if (s.id == id) return s.payload_offset + s.payload_size / 2;
  }
  ADD_FAILURE() << "no section " << int{id};
  return 0;
}

TEST(ClaimsCliTest, TamperedCopiesFailEachWithItsOwnReason) {
  ScopedTempDir tmp;
  const std::string& dir = tmp.path;
  auto echo = ReadFile(FixturePath("wc-host-0.18/echo.wasm"));
  ASSERT_TRUE(echo.ok());

  Bytes code = *echo;
  code[SectionPayloadMiddle(code, 10)] ^= 0x01;  // one byte of the code section
  ASSERT_TRUE(WriteFile(dir + "/code.wasm", code).ok());

  Bytes sig = *echo;
  auto info = wasm::InspectModule(sig);
  ASSERT_TRUE(info.ok());
  const wasm::Section* jwt = info->FindCustomSection("jwt");
  ASSERT_NE(jwt, nullptr);
  std::string token(AsChars(ByteView(sig).subspan(jwt->content_offset, jwt->content_size)));
  size_t at = jwt->content_offset + token.rfind('.') + 20;  // inside the signature segment
  sig[at] = sig[at] == 'A' ? 'B' : 'A';
  ASSERT_TRUE(WriteFile(dir + "/sig.wasm", sig).ok());

  // Claims that expired yesterday, properly signed.
  std::string keys = dir + "/keys";
  auto r = RunCommand({WasmcloudBinary(), "claims", "sign", FixturePath("wc-host-0.18/echo.wasm"),
                       "-d", dir + "/expired.wasm", "--name", "Echo", "--keys-dir", keys,
                       "--expires-in-days=-1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("warning: --expires-in-days -1: the claims are expired from the start, "
                       "and a host refuses the module\n"),
            std::string::npos)
      << r.err;
  // And claims not usable until tomorrow.
  r = RunCommand({WasmcloudBinary(), "claims", "sign", FixturePath("wc-host-0.18/echo.wasm"), "-d",
                  dir + "/early.wasm", "--name", "Echo", "--keys-dir", keys, "--not-before-days",
                  "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  const std::pair<const char*, const char*> cases[] = {
      {"code.wasm", "hash mismatch"},
      {"sig.wasm", "bad signature"},
      {"expired.wasm", "expired"},
      {"early.wasm", "not yet valid"},
  };
  for (const auto& [file, kind] : cases) {
    json j = InspectJson(dir + "/" + file, 1);
    EXPECT_EQ(j["error_kind"], kind) << file << ": " << j["error"];
    EXPECT_EQ(j["verified"], false);
    auto text = RunCommand({WasmcloudBinary(), "claims", "inspect", dir + "/" + file});
    EXPECT_EQ(text.exit_code, 1);
    EXPECT_NE(text.out.find(std::string("Verified      NO: ") + kind + ": "), std::string::npos)
        << text.out;
    EXPECT_NE(text.err.find(std::string(file) + ": " + kind + ": "), std::string::npos) << text.err;
  }
}

TEST(ClaimsCliTest, SignInspectVerifyRoundTripWithKeptKeys) {
  ScopedTempDir tmp;
  const std::string& dir = tmp.path;
  std::string keys = dir + "/keys";
  std::string out1 = dir + "/one.wasm", out2 = dir + "/two.wasm";
  auto r = RunCommand({WasmcloudBinary(),
                       "claims",
                       "sign",
                       FixturePath("wascap/loop.wasm"),
                       "-d",
                       out1,
                       "--name",
                       "Round Trip",
                       "--cap",
                       "wasmcloud:keyvalue",
                       "--cap",
                       "wasmcloud:httpserver",
                       "--tag",
                       "t1",
                       "--tag",
                       "t2",
                       "--rev",
                       "7",
                       "--ver",
                       "1.2.3",
                       "--call-alias",
                       "Round-Trip.Alias",
                       "--expires-in-days",
                       "30",
                       "--keys-dir",
                       keys,
                       "--format",
                       "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json signed_out = json::parse(r.out);
  // Keys were generated and kept, readable only by the user, named after the module.
  for (const char* f : {"/round_trip_account.nk", "/round_trip_module.nk"}) {
    struct stat st {};
    ASSERT_EQ(stat((keys + f).c_str(), &st), 0) << f;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << f;
  }
  EXPECT_NE(r.err.find("generated one in " + keys + "/round_trip_account.nk"), std::string::npos);

  json got = InspectJson(out1, 0);
  EXPECT_EQ(got["verified"], true);
  EXPECT_EQ(got["name"], "Round Trip");
  EXPECT_EQ(got["caps"], json({"wasmcloud:keyvalue", "wasmcloud:httpserver"}));
  EXPECT_EQ(got["tags"], json({"t1", "t2"}));
  EXPECT_EQ(got["rev"], 7);
  EXPECT_EQ(got["ver"], "1.2.3");
  EXPECT_EQ(got["call_alias"], "round_trip_alias");
  EXPECT_EQ(got["hash"], "5C66140DB61ABE7000BAD7BBB7A1F896CE0C0A7879D8AA3C9CAB93DB0A0A1827");
  EXPECT_EQ(got["exp"].get<uint64_t>(), got["iat"].get<uint64_t>() + 30 * 86400);
  EXPECT_EQ(got["iss"].get<std::string>()[0], 'A');
  EXPECT_EQ(got["sub"].get<std::string>()[0], 'M');
  EXPECT_EQ(got["jwt"], signed_out["jwt"]);

  // The library agrees (signature, hash and key types).
  auto bytes = ReadFile(out1);
  ASSERT_TRUE(bytes.ok());
  EXPECT_TRUE(crypto::VerifyModule(*bytes, crypto::VerifyOptions::ForActor()).ok());

  // Same name again: the kept keys are reused, so the identity is the same.
  r = RunCommand({WasmcloudBinary(), "claims", "sign", FixturePath("wascap/loop.wasm"), "-d", out2,
                  "--name", "Round Trip", "--keys-dir", keys, "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("generated"), std::string::npos) << r.err;
  json again = InspectJson(out2, 0);
  EXPECT_EQ(again["iss"], got["iss"]);
  EXPECT_EQ(again["sub"], got["sub"]);
  // The text form says the call alias as signed, and what it was made from when that
  // differs (lookups take the normalised form).
  r = RunCommand({WasmcloudBinary(), "claims", "sign", FixturePath("wascap/loop.wasm"), "-d",
                  dir + "/alias.wasm", "--name", "Round Trip", "--keys-dir", keys, "--call-alias",
                  "QA16 My-Clock.v2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("  Call Alias    qa16_my_clock_v2 (normalised from \"QA16 My-Clock.v2\", "
                       "docs/identity.md)\n"),
            std::string::npos)
      << r.out;

  // WASMCLOUD_KEYS_DIR is the default keys directory.
  std::string env_keys = dir + "/env-keys";
  r = RunCommand({"env", "WASMCLOUD_KEYS_DIR=" + env_keys, WasmcloudBinary(), "claims", "sign",
                  FixturePath("wascap/loop.wasm"), "-d", dir + "/three.wasm", "--name", "Env"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  struct stat st {};
  EXPECT_EQ(stat((env_keys + "/env_module.nk").c_str(), &st), 0);

  // Given keys: an issuer seed file and a subject public key.
  std::string issuer_file = dir + "/issuer.nk";
  ASSERT_TRUE(WriteFile(issuer_file,
                        AsBytes("SAAIQLWWTNT3TKYDKBLPUDD6ARLUJRJCQP7LBF4B5QPVGGBMKOLJYKPO7A\n"),
                        0600)
                  .ok());
  r = RunCommand({WasmcloudBinary(), "claims", "sign", FixturePath("wascap/loop.wasm"), "-d",
                  dir + "/given.wasm", "--name", "Given", "--issuer", issuer_file, "--subject",
                  "MDW7BWQDVYBRC6WKSJRRZL27R73EVBWQINYLPFDRCWDZDFQO4JMO4U6J", "--keys-dir", keys});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json given = InspectJson(dir + "/given.wasm", 0);
  EXPECT_EQ(given["iss"], "AAO7Q7K7RVMWAVAD6N2JP6B26O43RGA4G7YLLYFJVMU2VZBVQ6WXVPAQ");
  EXPECT_EQ(given["sub"], "MDW7BWQDVYBRC6WKSJRRZL27R73EVBWQINYLPFDRCWDZDFQO4JMO4U6J");
}

// Written last: needs the `wapc` command of the waPC layer.
TEST(ClaimsCliTest, ModuleSignedByUsRunsUnderWapc) {
  auto help = RunCommand({WasmcloudBinary(), "wapc", "--help"});
  // Without the subcommand CLI11 still answers --help (for the whole program) with 0, so
  // look for the subcommand's own usage line.
  ASSERT_EQ(help.exit_code, 0);
  ASSERT_NE(help.out.find("wasmcloud wapc"), std::string::npos) << "`wasmcloud wapc` is not built";
  ScopedTempDir tmp;
  const std::string& dir = tmp.path;
  auto echo = ReadFile(FixturePath("wc-host-0.18/echo.wasm"));
  ASSERT_TRUE(echo.ok());
  auto stripped = wasm::RemoveCustomSections(*echo, "jwt");
  ASSERT_TRUE(stripped.ok());
  ASSERT_TRUE(WriteFile(dir + "/unsigned.wasm", *stripped).ok());
  auto r = RunCommand({WasmcloudBinary(), "claims", "inspect", dir + "/unsigned.wasm"});
  ASSERT_EQ(r.exit_code, 1) << "the stripped copy must carry no claims";

  r = RunCommand({WasmcloudBinary(), "claims", "sign", dir + "/unsigned.wasm", "-d",
                  dir + "/echo.wasm", "--name", "Echo", "--cap", "wasmcloud:httpserver",
                  "--keys-dir", dir + "/keys"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json got = InspectJson(dir + "/echo.wasm", 0);
  EXPECT_EQ(got["hash"], "3FB296B5411E2A05DB4AB89892D0EC342BB1D7D00A9F253C708D37C47E6BD940");

  r = RunCommand({WasmcloudBinary(), "wapc", dir + "/echo.wasm", "HealthRequest", "--data-hex",
                  "81ab706c616365686f6c646572c3", "--hex"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "82a76865616c746879c3a76d657373616765a0\n");
}

}  // namespace
}  // namespace wasmcloud
