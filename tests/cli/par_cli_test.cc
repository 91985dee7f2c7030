// `wasmcloud par`: inspecting the upstream archives, creating archives with generated and
// given keys, and refusing tampered, broken and hostile archives with the right exit code
// and reason. Tampered archives are assembled with the small tar writer below, which
// shares no code with the one under test.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/bytes.h"
#include "crypto/claims.h"
#include "crypto/sha256.h"
#include "provider/par.h"
#include "support/run_command.h"

namespace wasmcloud {
namespace {

using nlohmann::json;
using testing::FixturePath;
using testing::RunCommand;
using testing::WasmcloudBinary;

struct ScopedTempDir {
  std::string path = testing::MakeTempDir();
  ~ScopedTempDir() { std::filesystem::remove_all(path); }
};

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

json FixtureIndex() {
  auto bytes = ReadFile(FixturePath("fixtures_index.json"));
  EXPECT_TRUE(bytes.ok());
  return bytes.ok() ? json::parse(bytes->begin(), bytes->end()) : json::object();
}

// A plain ustar archive of regular files, written by hand.
Bytes PlainTar(const std::vector<std::pair<std::string, std::string>>& members) {
  Bytes out;
  for (const auto& [name, data] : members) {
    char h[512] = {};
    std::snprintf(h, 100, "%s", name.c_str());
    std::snprintf(h + 100, 8, "%07o", 0644);
    std::snprintf(h + 108, 8, "%07o", 0);
    std::snprintf(h + 116, 8, "%07o", 0);
    std::snprintf(h + 124, 12, "%011o", static_cast<unsigned>(data.size()));
    std::snprintf(h + 136, 12, "%011o", 0);
    h[156] = '0';
    std::memcpy(h + 257,
                "ustar\0"
                "00",
                8);
    std::memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (unsigned char c : h) sum += c;
    std::snprintf(h + 148, 8, "%06o", sum);
    out.insert(out.end(), h, h + 512);
    out.insert(out.end(), data.begin(), data.end());
    out.resize(out.size() + (512 - data.size() % 512) % 512, 0);
  }
  out.resize(out.size() + 1024, 0);
  return out;
}

json InspectJson(const std::string& path, int want_exit) {
  auto r = RunCommand({WasmcloudBinary(), "par", "inspect", path, "-o", "json"});
  EXPECT_EQ(r.exit_code, want_exit) << path << "\n" << r.err;
  return json::parse(r.out, nullptr, false);
}

// The bytes of a real provider library (tests/provider/data/c_provider.c).
Bytes ProviderLibrary() {
  auto bytes = ReadFile(WC_TEST_C_PROVIDER);
  EXPECT_TRUE(bytes.ok()) << bytes.status().message();
  return bytes.ok() ? *bytes : Bytes{};
}

TEST(ParCliTest, InspectShowsTheFieldsOfBothUpstreamArchives) {
  json index = FixtureIndex();
  int seen = 0;
  for (const json& f : index["provider_archives"]) {
    SCOPED_TRACE(f["path"].get<std::string>());
    json got = InspectJson(FixturePath(f["path"]), 0);
    ASSERT_TRUE(got.is_object());
    const json& c = f["claims"];
    for (const char* key : {"iss", "sub", "jti", "iat"}) EXPECT_EQ(got[key], c[key]) << key;
    for (const char* key : {"name", "capid", "vendor", "rev", "ver", "target_hashes"}) {
      json want = c["wascap"].contains(key) ? c["wascap"][key] : json(nullptr);
      EXPECT_EQ(got[key], want) << key;
    }
    EXPECT_TRUE(got["exp"].is_null());
    EXPECT_TRUE(got["nbf"].is_null());
    EXPECT_EQ(got["members"], f["members"]);
    EXPECT_EQ(got["target_hashes_match"], f["target_hashes_match"]);
    EXPECT_EQ(got["jwt"], f["jwt"]);
    EXPECT_EQ(got["compressed"], true);
    // The index says the signature is valid; it also passes our stricter checks.
    EXPECT_EQ(got["claims_verified"], f["signature_valid"]);
    EXPECT_EQ(got["hashes_verified"], true);
    EXPECT_EQ(got["verified"], true);
    EXPECT_TRUE(got["error"].is_null());
    EXPECT_TRUE(got["error_kind"].is_null());
    ++seen;
  }
  EXPECT_EQ(seen, 2);

  auto text =
      RunCommand({WasmcloudBinary(), "par", "inspect", FixturePath("providers/fakepay.par.gz")});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  for (const char* line :
       {"Fake Payments - Provider Archive\n",
        "  Account       ABNLQZLJFBAWP4KJR63PYCA4Y655OZOOHTGRW6FNFGEVUE5RN4PO2RXR\n",
        "  Service       VAN5FE2JCYMZFHZZWS2KNKVEIIU5SH5E5SD3IIF6BWA25XKFKCHXEMDU\n",
        "  Capability    examples:payments\n", "  Vendor        wasmCloud\n",
        "  Version       1.0 (1)\n", "  Expires       never\n",
        "  Targets       x86_64-linux  4261184 bytes  "
        "B7FEAB0AE46F4A5B43778906504732FC5C361074A500485D2ECCF0B175E4FF0D  ok\n",
        "  Claims        verified\n", "  Hashes        match\n", "  Verified      yes\n"}) {
    EXPECT_TRUE(Contains(text.out, line)) << line << "\n" << text.out;
  }
  // No rev, no ver: "(none)".
  auto redis = RunCommand(
      {WasmcloudBinary(), "par", "inspect", FixturePath("providers/libwascc_redis.par.gz")});
  ASSERT_EQ(redis.exit_code, 0) << redis.err;
  EXPECT_TRUE(Contains(redis.out, "  Version       (none)\n")) << redis.out;
  EXPECT_TRUE(Contains(redis.out, "x86_64-macos  2363160 bytes")) << redis.out;
}

TEST(ParCliTest, CreateInspectRoundTripWithKeptKeys) {
  ScopedTempDir tmp;
  const std::string& dir = tmp.path;
  std::string keys = dir + "/keys";
  std::string lib = dir + "/libthing.so";
  ASSERT_TRUE(WriteFile(lib, ProviderLibrary()).ok());
  std::vector<std::string> create = {WasmcloudBinary(),
                                     "par",
                                     "create",
                                     "--capid",
                                     "wasmcloud:testing",
                                     "--name",
                                     "My Provider",
                                     "--vendor",
                                     "Acme",
                                     "--rev",
                                     "2",
                                     "--ver",
                                     "0.2.0",
                                     "--binary",
                                     lib,
                                     "--arch",
                                     "x86_64-linux",
                                     "--keys-dir",
                                     keys,
                                     "--format",
                                     "json",
                                     "-d"};
  auto args = create;
  args.push_back(dir + "/one.par.gz");
  auto r = RunCommand(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.err, "generated one in " + keys + "/my_provider_account.nk")) << r.err;
  EXPECT_TRUE(Contains(r.err, "generated one in " + keys + "/my_provider_service.nk")) << r.err;
  json made = json::parse(r.out);
  EXPECT_EQ(made["file"], dir + "/one.par.gz");
  EXPECT_EQ(made["verified"], true);

  // The keys are kept, readable only by the user.
  struct stat st {};
  ASSERT_EQ(stat(keys.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  for (const char* f : {"/my_provider_account.nk", "/my_provider_service.nk"}) {
    ASSERT_EQ(stat((keys + f).c_str(), &st), 0) << f;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << f;
  }

  json got = InspectJson(dir + "/one.par.gz", 0);
  EXPECT_EQ(got["name"], "My Provider");
  EXPECT_EQ(got["capid"], "wasmcloud:testing");
  EXPECT_EQ(got["vendor"], "Acme");
  EXPECT_EQ(got["rev"], 2);
  EXPECT_EQ(got["ver"], "0.2.0");
  EXPECT_EQ(std::string(got["iss"]).substr(0, 1), "A");
  EXPECT_EQ(std::string(got["sub"]).substr(0, 1), "V");
  std::string hash = crypto::Sha256HexUpper(ReadFile(lib).value());
  EXPECT_EQ(got["target_hashes"], json({{"x86_64-linux", hash}}));
  EXPECT_EQ(got["members"]["x86_64-linux.bin"]["sha256"], hash);
  EXPECT_EQ(got["target_hashes_match"], json({{"x86_64-linux", true}}));
  EXPECT_EQ(got["verified"], true);

  // The same name again: the kept keys are reused, nothing is generated.
  args = create;
  args.push_back(dir + "/two.par.gz");
  r = RunCommand(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(Contains(r.err, "generated")) << r.err;
  json again = InspectJson(dir + "/two.par.gz", 0);
  EXPECT_EQ(again["iss"], got["iss"]);
  EXPECT_EQ(again["sub"], got["sub"]);

  // The archive is an ordinary tar.gz: the library extracts as it went in.
  auto par = provider::ReadProviderArchive(ReadFile(dir + "/two.par.gz").value());
  ASSERT_TRUE(par.ok()) << par.status().message();
  auto path = provider::ExtractForTarget(*par, "x86_64-linux", dir + "/cache");
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(ReadFile(*path).value(), ReadFile(lib).value());

  // Text output, and the default target is this machine's.
  r = RunCommand({WasmcloudBinary(), "par", "create", "-c", "wasmcloud:testing", "-n",
                  "My Provider", "--vendor", "Acme", "-b", lib, "--keys-dir", keys, "-d",
                  dir + "/three.par.gz"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(
      Contains(r.out, "Created " + dir + "/three.par.gz as " + got["sub"].get<std::string>()))
      << r.out;
  EXPECT_TRUE(Contains(r.out, "  Target        " + provider::NativeTarget() + " (")) << r.out;
  json three = InspectJson(dir + "/three.par.gz", 0);
  EXPECT_TRUE(three["members"].contains(provider::NativeTarget() + ".bin")) << three;
}

TEST(ParCliTest, CreateWithGivenKeys) {
  ScopedTempDir tmp;
  const std::string& dir = tmp.path;
  auto account = RunCommand({WasmcloudBinary(), "keys", "gen", "account", "-o", "json"});
  auto service = RunCommand({WasmcloudBinary(), "keys", "gen", "service", "-o", "json"});
  auto module = RunCommand({WasmcloudBinary(), "keys", "gen", "module", "-o", "json"});
  ASSERT_EQ(account.exit_code, 0);
  ASSERT_EQ(service.exit_code, 0);
  ASSERT_EQ(module.exit_code, 0);
  json a = json::parse(account.out), s = json::parse(service.out), m = json::parse(module.out);
  ASSERT_TRUE(WriteFile(dir + "/issuer.nk", AsBytes(a["seed"].get<std::string>() + "\n")).ok());
  ASSERT_TRUE(WriteFile(dir + "/lib.so", ProviderLibrary()).ok());
  auto base = std::vector<std::string>{
      WasmcloudBinary(), "par", "create",   "--capid",       "x:y",        "--name",     "Given",
      "--vendor",        "V",   "--binary", dir + "/lib.so", "--keys-dir", dir + "/keys"};

  auto args = base;
  for (const std::string& x :
       {std::string("--issuer"), dir + "/issuer.nk", std::string("--subject"),
        s["public_key"].get<std::string>(), std::string("-d"), dir + "/given.par.gz"}) {
    args.push_back(x);
  }
  auto r = RunCommand(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(Contains(r.err, "generated"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/keys"));
  json got = InspectJson(dir + "/given.par.gz", 0);
  EXPECT_EQ(got["iss"], a["public_key"]);
  EXPECT_EQ(got["sub"], s["public_key"]);

  // A module key is not a provider's subject; a service seed does not issue.
  args = base;
  for (const std::string& x : {std::string("--subject"), m["seed"].get<std::string>(),
                               std::string("-d"), dir + "/bad.par.gz"}) {
    args.push_back(x);
  }
  r = RunCommand(args);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "--subject must be a service key")) << r.err;
  args = base;
  for (const std::string& x : {std::string("--issuer"), s["seed"].get<std::string>(),
                               std::string("-d"), dir + "/bad.par.gz"}) {
    args.push_back(x);
  }
  r = RunCommand(args);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "--issuer must be an account seed")) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir + "/bad.par.gz")) << "nothing is written on error";
}

TEST(ParCliTest, CreateRefusesUnusableInput) {
  ScopedTempDir tmp;
  const std::string& dir = tmp.path;
  ASSERT_TRUE(WriteFile(dir + "/lib.so", ProviderLibrary()).ok());
  ASSERT_TRUE(WriteFile(dir + "/empty.so", {}).ok());
  ASSERT_TRUE(WriteFile(dir + "/text.so", AsBytes("library")).ok());
  auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {
        WasmcloudBinary(), "par", "create",     "--capid",     "x:y", "--name",           "N",
        "--vendor",        "V",   "--keys-dir", dir + "/keys", "-d",  dir + "/out.par.gz"};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunCommand(args);
  };
  auto r = run({"--binary", dir + "/missing.so"});
  EXPECT_EQ(r.exit_code, 2);
  r = run({"--binary", dir + "/empty.so"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "is empty")) << r.err;
  // What is not a provider library: text, another shared object, an executable.
  r = run({"--binary", dir + "/text.so"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, dir + "/text.so is not a provider library: not an ELF file"))
      << r.err;
  r = run({"--binary", WasmcloudBinary()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err,
                       "is not a provider library: it does not export "
                       "wasmcloud_provider_create"))
      << r.err;
  // A contract id without a namespace.
  r = RunCommand({WasmcloudBinary(), "par", "create", "--capid", "keyvalue", "--name", "N",
                  "--vendor", "V", "--keys-dir", dir + "/keys", "-d", dir + "/out.par.gz",
                  "--binary", dir + "/lib.so"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "--capid \"keyvalue\" is not a contract id (no namespace)")) << r.err;
#if defined(__x86_64__)
  // A library for another CPU than --arch says (it loaded nowhere, with glibc's "No such
  // file or directory" on the host). Written for an x86_64 build.
  Bytes arm = ProviderLibrary();
  arm[18] = 183;  // e_machine: EM_AARCH64
  arm[19] = 0;
  ASSERT_TRUE(WriteFile(dir + "/arm.so", arm).ok());
  r = run({"--binary", dir + "/arm.so", "--arch", "x86_64-linux"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, dir + "/arm.so is built for aarch64, not for the target "
                                    "x86_64-linux (--arch)"))
      << r.err;
  r = run({"--binary", dir + "/lib.so", "--arch", "aarch64-linux"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "is built for x86_64, not for the target aarch64-linux")) << r.err;
#endif
  r = run({"--binary", dir + "/lib.so", "--arch", "../x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "is not a target name")) << r.err;
  r = run({});  // --binary missing
  EXPECT_EQ(r.exit_code, 2);
  r = RunCommand({WasmcloudBinary(), "par", "create", "--binary", dir + "/lib.so", "-d",
                  dir + "/out.par.gz"});  // --capid, --name, --vendor missing
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(std::filesystem::exists(dir + "/out.par.gz"));
}

// Fixture for the tampering cases: one good archive made by `par create`, and its parts.
class ParCliTamperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(WriteFile(dir_ + "/lib.so", ProviderLibrary()).ok());
    auto r =
        RunCommand({WasmcloudBinary(), "par", "create", "--capid", "wasmcloud:testing", "--name",
                    "Tamper", "--vendor", "Acme", "--binary", dir_ + "/lib.so", "--arch",
                    "x86_64-linux", "--keys-dir", dir_ + "/keys", "-d", dir_ + "/good.par.gz"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto par = provider::ReadProviderArchive(ReadFile(dir_ + "/good.par.gz").value());
    ASSERT_TRUE(par.ok());
    token_ = par->token;
    claims_ = par->claims;
    lib_ = std::string(AsChars(par->binaries.at("x86_64-linux")));
  }

  std::string Put(const std::string& name, ByteView bytes) {
    std::string path = dir_ + "/" + name;
    EXPECT_TRUE(WriteFile(path, bytes).ok());
    return path;
  }

  // Checks the verdict of `inspect` in JSON and text.
  void ExpectFails(const std::string& path, const std::string& kind) {
    SCOPED_TRACE(path);
    json j = InspectJson(path, 1);
    EXPECT_EQ(j["verified"], false);
    EXPECT_EQ(j["error_kind"], kind) << j["error"];
    auto text = RunCommand({WasmcloudBinary(), "par", "inspect", path});
    EXPECT_EQ(text.exit_code, 1);
    EXPECT_TRUE(Contains(text.out, "  Verified      NO: " + kind + ": ")) << text.out;
    EXPECT_TRUE(Contains(text.err, path + ": " + kind + ": ")) << text.err;
  }

  void ExpectNotAnArchive(const std::string& path, const std::string& reason) {
    SCOPED_TRACE(path);
    auto r = RunCommand({WasmcloudBinary(), "par", "inspect", path});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(Contains(r.err, reason)) << r.err;
    json j = InspectJson(path, 2);
    EXPECT_EQ(j["verified"], false);
    EXPECT_EQ(j["error_kind"], "not a provider archive");
  }

  ScopedTempDir tmp_;
  std::string dir_ = tmp_.path;
  std::string token_;
  crypto::ProviderClaims claims_;
  std::string lib_;
};

TEST_F(ParCliTamperTest, HandMadeCopyOfTheGoodArchiveVerifies) {
  std::string path =
      Put("plain.par", PlainTar({{"claims.jwt", token_}, {"x86_64-linux.bin", lib_}}));
  json j = InspectJson(path, 0);
  EXPECT_EQ(j["verified"], true);
  EXPECT_EQ(j["compressed"], false);
}

TEST_F(ParCliTamperTest, ChangedLibraryByte) {
  std::string lib = lib_;
  lib[7] ^= 1;
  std::string path = Put("byte.par", PlainTar({{"claims.jwt", token_}, {"x86_64-linux.bin", lib}}));
  ExpectFails(path, "hash mismatch");
  json j = InspectJson(path, 1);
  EXPECT_EQ(j["claims_verified"], true);
  EXPECT_EQ(j["hashes_verified"], false);
  EXPECT_EQ(j["target_hashes_match"], json({{"x86_64-linux", false}}));
  auto text = RunCommand({WasmcloudBinary(), "par", "inspect", path});
  EXPECT_TRUE(Contains(text.out, "MISMATCH (claims say " + claims_.wascap->target_hashes[0].second))
      << text.out;
}

TEST_F(ParCliTamperTest, ResignedByAnotherKeyWithWrongHashes) {
  crypto::KeyPair mallory = crypto::KeyPair::Generate(crypto::KeyType::kAccount);
  crypto::ProviderClaims c = claims_;
  c.iss = mallory.public_key_text();
  c.wascap->target_hashes = {{"x86_64-linux", crypto::Sha256HexUpper(AsBytes("other"))}};
  std::string token = crypto::EncodeClaims(c, mallory).value();
  ExpectFails(Put("resigned.par", PlainTar({{"claims.jwt", token}, {"x86_64-linux.bin", lib_}})),
              "hash mismatch");
}

TEST_F(ParCliTamperTest, ChangedSignature) {
  std::string token = token_;
  size_t at = token.rfind('.') + 10;
  token[at] = token[at] == 'A' ? 'B' : 'A';
  ExpectFails(Put("sig.par", PlainTar({{"claims.jwt", token}, {"x86_64-linux.bin", lib_}})),
              "bad signature");
}

TEST_F(ParCliTamperTest, MissingTarget) {
  // The claims promise an aarch64 library the archive does not have.
  crypto::KeyPair mallory = crypto::KeyPair::Generate(crypto::KeyType::kAccount);
  crypto::ProviderClaims c = claims_;
  c.iss = mallory.public_key_text();
  c.wascap->target_hashes.emplace_back("aarch64-linux", crypto::Sha256HexUpper(AsBytes("arm")));
  std::string token = crypto::EncodeClaims(c, mallory).value();
  std::string path =
      Put("missing.par", PlainTar({{"claims.jwt", token}, {"x86_64-linux.bin", lib_}}));
  ExpectFails(path, "hash mismatch");
  json j = InspectJson(path, 1);
  EXPECT_EQ(j["target_hashes_match"], json({{"x86_64-linux", true}, {"aarch64-linux", false}}));
  EXPECT_TRUE(Contains(j["error"], "no aarch64-linux.bin")) << j["error"];
}

TEST_F(ParCliTamperTest, ExpiredAndNotYetValid) {
  for (auto [flag, kind] : {std::pair<const char*, const char*>{"--expires-in-days=-1", "expired"},
                            {"--not-before-days=1", "not yet valid"}}) {
    std::string out = dir_ + "/" + kind + ".par.gz";
    auto r = RunCommand({WasmcloudBinary(), "par", "create", "--capid", "x:y", "--name", "Tamper",
                         "--vendor", "Acme", "--binary", dir_ + "/lib.so", "--keys-dir",
                         dir_ + "/keys", flag, "-d", out});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err.find("warning: --expires-in-days -1: the claims are expired from the start") !=
                  std::string::npos,
              std::string(kind) == "expired")
        << r.err;
    ExpectFails(out, kind);
  }
}

TEST_F(ParCliTamperTest, MalformedClaimsAreAClaimsFailure) {
  // Exit 1 as for claims that do not verify; there are no claims to show.
  std::string path =
      Put("jwt.par", PlainTar({{"claims.jwt", "not.a.token"}, {"x86_64-linux.bin", lib_}}));
  json j = InspectJson(path, 1);
  EXPECT_EQ(j["verified"], false);
  EXPECT_EQ(j["error_kind"], "malformed token");
  auto text = RunCommand({WasmcloudBinary(), "par", "inspect", path});
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_TRUE(Contains(text.err, path + ": claims.jwt: malformed token: ")) << text.err;
}

TEST_F(ParCliTamperTest, BrokenOrHostileFilesAreNotArchives) {
  ExpectNotAnArchive(
      Put("dotdot.par",
          PlainTar({{"claims.jwt", token_}, {"x86_64-linux.bin", lib_}, {"../x", "boo"}})),
      "is not a provider archive: member \"../x\" is refused");
  Bytes good = ReadFile(dir_ + "/good.par.gz").value();
  ExpectNotAnArchive(Put("cut.par.gz", ByteView(good).first(good.size() / 2)),
                     "is not a provider archive: corrupt gzip data: truncated gzip input");
  ExpectNotAnArchive(Put("text.par", AsBytes("just some text, not a tar")),
                     "is not a provider archive: Unrecognized archive format");
  ExpectNotAnArchive(FixturePath("wascap/loop.wasm"), "is not a provider archive");
  ExpectNotAnArchive(Put("nolib.par", PlainTar({{"claims.jwt", token_}})),
                     "no library (<target>.bin) in the provider archive");

  // Over the size limit: refused from its size, before it is read (a sparse file).
  std::string big = dir_ + "/big.par.gz";
  ASSERT_TRUE(WriteFile(big, good).ok());
  ASSERT_EQ(truncate(big.c_str(), off_t{600} << 20), 0);
  ExpectNotAnArchive(big, "bytes is over the size limit");

  auto r = RunCommand({WasmcloudBinary(), "par", "inspect", dir_ + "/missing.par.gz"});
  EXPECT_EQ(r.exit_code, 2);
  // A file that cannot be read is just that (it said "is not a provider archive" first).
  EXPECT_EQ(r.err, "wasmcloud par inspect: cannot open " + dir_ +
                       "/missing.par.gz: No such file or directory\n");
  r = RunCommand({WasmcloudBinary(), "par", "inspect"});
  EXPECT_EQ(r.exit_code, 2);
  r = RunCommand({WasmcloudBinary(), "par", "inspect", dir_ + "/good.par.gz", "-o", "yaml"});
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
}  // namespace wasmcloud
