// Provider archives: the two upstream archives read and verify; what we write reads back
// and verifies; extraction into a cache (reuse, replacement); and every kind of broken
// or hostile archive is refused with its own error.
#include "provider/par.h"

#include <archive.h>
#include <archive_entry.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "crypto/identity_error.h"
#include "crypto/sha256.h"
#include "support/run_command.h"

namespace wasmcloud::provider {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

struct ScopedTempDir {
  std::string path = testing::MakeTempDir();
  ~ScopedTempDir() { std::filesystem::remove_all(path); }
};

json FixtureIndex() {
  auto bytes = ReadFile(testing::FixturePath("fixtures_index.json"));
  EXPECT_TRUE(bytes.ok());
  return bytes.ok() ? json::parse(bytes->begin(), bytes->end()) : json::object();
}

Bytes Fixture(const std::string& relative) {
  auto bytes = ReadFile(testing::FixturePath(relative));
  EXPECT_TRUE(bytes.ok()) << relative;
  return bytes.ok() ? std::move(bytes).value() : Bytes{};
}

// A tar member as a test wants it, including the ones a provider archive must refuse.
struct Member {
  Member(std::string n, std::string d, unsigned t = AE_IFREG, std::string link = "")
      : name(std::move(n)), data(std::move(d)), type(t), symlink(std::move(link)) {}
  std::string name;
  std::string data;
  unsigned type;
  std::string symlink;  // for AE_IFLNK
};

la_ssize_t Append(archive*, void* client, const void* buffer, size_t length) {
  auto* out = static_cast<Bytes*>(client);
  out->insert(out->end(), static_cast<const uint8_t*>(buffer),
              static_cast<const uint8_t*>(buffer) + length);
  return static_cast<la_ssize_t>(length);
}

// Any tar (gzip'd or not) with exactly these members, made with libarchive directly.
Bytes MakeTar(const std::vector<Member>& members, bool gzip = true) {
  Bytes out;
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (gzip) archive_write_add_filter_gzip(a);
  archive_write_set_bytes_per_block(a, 0);
  EXPECT_EQ(archive_write_open(a, &out, nullptr, Append, nullptr), ARCHIVE_OK);
  for (const Member& m : members) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, m.name.c_str());
    archive_entry_set_filetype(e, m.type);
    archive_entry_set_perm(e, 0644);
    if (!m.symlink.empty()) archive_entry_set_symlink(e, m.symlink.c_str());
    archive_entry_set_size(e, m.type == AE_IFREG ? static_cast<la_int64_t>(m.data.size()) : 0);
    EXPECT_EQ(archive_write_header(a, e), ARCHIVE_OK) << archive_error_string(a);
    if (m.type == AE_IFREG && !m.data.empty()) {
      EXPECT_EQ(archive_write_data(a, m.data.data(), m.data.size()),
                static_cast<la_ssize_t>(m.data.size()));
    }
    archive_entry_free(e);
  }
  EXPECT_EQ(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
  return out;
}

// Provider claims as `par create` makes them, for a test archive.
crypto::ProviderClaims TestClaims(const crypto::KeyPair& issuer, const std::string& subject,
                                  std::optional<int32_t> rev = 3) {
  crypto::ProviderClaims c;
  c.jti = crypto::NewTokenId();
  c.iat = 1700000000;
  c.iss = issuer.public_key_text();
  c.sub = subject;
  crypto::ProviderMetadata m;
  m.name = "Test Provider";
  m.capid = "wasmcloud:testing";
  m.vendor = "Acme";
  m.rev = rev;
  m.ver = "0.1.0";
  c.wascap = m;
  return c;
}

class ParTest : public ::testing::Test {
 protected:
  crypto::KeyPair account_ = crypto::KeyPair::Generate(crypto::KeyType::kAccount);
  crypto::KeyPair service_ = crypto::KeyPair::Generate(crypto::KeyType::kService);
  Bytes linux_lib_ = ToBytes(
      "\x7f"
      "ELF pretend x86_64 library");
  Bytes arm_lib_ = ToBytes(
      "\x7f"
      "ELF pretend arm library");

  Bytes Write(std::optional<int32_t> rev = 3) {
    auto par = WriteProviderArchive(TestClaims(account_, service_.public_key_text(), rev), account_,
                                    {{"x86_64-linux", linux_lib_}, {"arm-linux", arm_lib_}});
    EXPECT_TRUE(par.ok()) << par.status().message();
    return par.ok() ? std::move(par).value() : Bytes{};
  }
  // A signed token whose target_hashes are `hashes`, for archives assembled by hand.
  std::string Token(const std::vector<std::pair<std::string, std::string>>& hashes,
                    const crypto::KeyPair& issuer) {
    crypto::ProviderClaims c = TestClaims(issuer, service_.public_key_text());
    c.wascap->target_hashes = hashes;
    auto token = crypto::EncodeClaims(c, issuer);
    EXPECT_TRUE(token.ok());
    return token.ok() ? *token : "";
  }
  std::string Hash(const Bytes& b) { return crypto::Sha256HexUpper(b); }
  std::string Str(const Bytes& b) { return std::string(AsChars(b)); }
};

// --- the upstream archives ---------------------------------------------------------------

TEST_F(ParTest, UpstreamArchivesParseAndVerify) {
  json index = FixtureIndex();
  ASSERT_EQ(index["provider_archives"].size(), 2u);
  for (const json& f : index["provider_archives"]) {
    std::string path = f["path"];
    SCOPED_TRACE(path);
    auto par = ReadProviderArchive(Fixture(path));
    ASSERT_TRUE(par.ok()) << par.status().message();
    EXPECT_TRUE(par->compressed);
    EXPECT_EQ(par->token, f["jwt"]);
    EXPECT_EQ(crypto::Sha256HexUpper(AsBytes(par->token)), f["members"]["claims.jwt"]["sha256"]);
    EXPECT_EQ(par->token.size(), f["members"]["claims.jwt"]["size"]);

    // Every library member, with its size and hash, and nothing else.
    size_t libraries = 0;
    for (const auto& [member, facts] : f["members"].items()) {
      if (member == "claims.jwt") continue;
      std::string target = member.substr(0, member.size() - 4);
      ASSERT_TRUE(par->binaries.contains(target)) << member;
      EXPECT_EQ(par->binaries.at(target).size(), facts["size"]);
      EXPECT_EQ(crypto::Sha256HexUpper(par->binaries.at(target)), facts["sha256"]);
      ++libraries;
    }
    EXPECT_EQ(par->binaries.size(), libraries);

    const json& c = f["claims"];
    EXPECT_EQ(par->claims.iss, c["iss"]);
    EXPECT_EQ(par->claims.sub, c["sub"]);
    EXPECT_EQ(par->claims.jti, c["jti"]);
    EXPECT_EQ(par->claims.iat, c["iat"]);
    const crypto::ProviderMetadata& m = *par->claims.wascap;
    EXPECT_EQ(m.name, c["wascap"]["name"]);
    EXPECT_EQ(m.capid, c["wascap"]["capid"]);
    EXPECT_EQ(m.vendor, c["wascap"]["vendor"]);
    EXPECT_EQ(m.rev.has_value(), c["wascap"].contains("rev"));
    EXPECT_EQ(m.ver.has_value(), c["wascap"].contains("ver"));
    for (const auto& [target, hash] : m.target_hashes) {
      EXPECT_EQ(hash, c["wascap"]["target_hashes"][target]) << target;
    }

    // The index says both signatures are valid and every hash matches; both hold under
    // our stricter rules too (account issuer, service subject, no exp).
    EXPECT_EQ(f["signature_valid"], true);
    EXPECT_TRUE(VerifyTargetHashes(*par).ok());
    Status verified = VerifyProviderArchive(*par, crypto::VerifyOptions::ForProvider());
    EXPECT_TRUE(verified.ok()) << verified.message();
  }
}

TEST_F(ParTest, UpstreamArchiveExtractsItsLinuxLibrary) {
  auto par = ReadProviderArchive(Fixture("providers/fakepay.par.gz"));
  ASSERT_TRUE(par.ok());
  ScopedTempDir cache;
  auto path = ExtractForTarget(*par, "x86_64-linux", cache.path);
  ASSERT_TRUE(path.ok()) << path.status().message();
  // fakepay has rev 1.
  EXPECT_EQ(*path, cache.path +
                       "/VAN5FE2JCYMZFHZZWS2KNKVEIIU5SH5E5SD3IIF6BWA25XKFKCHXEMDU/1/"
                       "x86_64-linux.so");
  auto bytes = ReadFile(*path);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(crypto::Sha256HexUpper(*bytes),
            "B7FEAB0AE46F4A5B43778906504732FC5C361074A500485D2ECCF0B175E4FF0D");

  // The redis archive has no rev: directory 0. It has no aarch64 library.
  auto redis = ReadProviderArchive(Fixture("providers/libwascc_redis.par.gz"));
  ASSERT_TRUE(redis.ok());
  auto redis_path = ExtractForTarget(*redis, "x86_64-macos", cache.path);
  ASSERT_TRUE(redis_path.ok()) << redis_path.status().message();
  EXPECT_THAT(*redis_path, HasSubstr("/VDJ4XCXRYCOSX4HJEWQMZNSRX3ISFR2SW3SN5OZ2IPPPQL3TCAHKFMQM/0/"
                                     "x86_64-macos.so"));
  auto none = ExtractForTarget(*redis, "aarch64-linux", cache.path);
  EXPECT_EQ(none.status().code(), Code::kNotFound);
  EXPECT_EQ(none.status().message(), "No binary found in archive for target aarch64-linux");
}

TEST(ParNativeTargetTest, NamesThePlatformAsRustDoes) {
#if defined(__x86_64__) && defined(__linux__)
  EXPECT_EQ(NativeTarget(), "x86_64-linux");
#elif defined(__aarch64__) && defined(__linux__)
  EXPECT_EQ(NativeTarget(), "aarch64-linux");
#elif defined(__arm__) && defined(__linux__)
  EXPECT_EQ(NativeTarget(), "arm-linux");
#else
  EXPECT_THAT(NativeTarget(), HasSubstr("-"));
#endif
}

// --- writing -----------------------------------------------------------------------------

TEST_F(ParTest, WrittenArchiveReadsBackAndVerifies) {
  Bytes bytes = Write();
  auto par = ReadProviderArchive(bytes);
  ASSERT_TRUE(par.ok()) << par.status().message();
  EXPECT_TRUE(par->compressed);
  EXPECT_EQ(par->claims.iss, account_.public_key_text());
  EXPECT_EQ(par->claims.sub, service_.public_key_text());
  EXPECT_EQ(par->claims.wascap->name, "Test Provider");
  EXPECT_EQ(par->claims.wascap->capid, "wasmcloud:testing");
  EXPECT_EQ(par->claims.wascap->vendor, "Acme");
  EXPECT_EQ(par->claims.wascap->rev, 3);
  EXPECT_EQ(par->claims.wascap->ver, "0.1.0");
  ASSERT_EQ(par->binaries.size(), 2u);
  EXPECT_EQ(par->binaries.at("x86_64-linux"), linux_lib_);
  EXPECT_EQ(par->binaries.at("arm-linux"), arm_lib_);
  std::vector<std::pair<std::string, std::string>> want = {{"arm-linux", Hash(arm_lib_)},
                                                           {"x86_64-linux", Hash(linux_lib_)}};
  EXPECT_EQ(par->claims.wascap->target_hashes, want);
  Status verified = VerifyProviderArchive(*par, crypto::VerifyOptions::ForProvider());
  EXPECT_TRUE(verified.ok()) << verified.message();

  // Same input, same bytes: no timestamps anywhere.
  crypto::ProviderClaims c = TestClaims(account_, service_.public_key_text());
  auto once = WriteProviderArchive(c, account_, {{"x86_64-linux", linux_lib_}});
  auto twice = WriteProviderArchive(c, account_, {{"x86_64-linux", linux_lib_}});
  ASSERT_TRUE(once.ok() && twice.ok());
  EXPECT_EQ(*once, *twice);
}

TEST_F(ParTest, UncompressedArchiveIsAccepted) {
  Bytes tar = MakeTar({{"claims.jwt", Token({{"x86_64-linux", Hash(linux_lib_)}}, account_)},
                       {"x86_64-linux.bin", Str(linux_lib_)}},
                      /*gzip=*/false);
  auto par = ReadProviderArchive(tar);
  ASSERT_TRUE(par.ok()) << par.status().message();
  EXPECT_FALSE(par->compressed);
  EXPECT_TRUE(VerifyProviderArchive(*par, crypto::VerifyOptions::ForProvider()).ok());
}

TEST_F(ParTest, WriteRefusesWhatCouldNotBeReadBack) {
  crypto::ProviderClaims c = TestClaims(account_, service_.public_key_text());
  EXPECT_EQ(WriteProviderArchive(c, account_, {}).status().code(), Code::kInvalidArgument);
  for (std::string bad : {"", "../x", "a/b", ".hidden", "x86 64"}) {
    auto r = WriteProviderArchive(c, account_, {{bad, linux_lib_}});
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << bad;
  }
  crypto::KeyPair other = crypto::KeyPair::Generate(crypto::KeyType::kAccount);
  EXPECT_EQ(WriteProviderArchive(c, other, {{"x86_64-linux", linux_lib_}}).status().code(),
            Code::kInvalidArgument);
  c.wascap.reset();
  EXPECT_EQ(WriteProviderArchive(c, account_, {{"x86_64-linux", linux_lib_}}).status().code(),
            Code::kInvalidArgument);
}

// --- extraction --------------------------------------------------------------------------

TEST_F(ParTest, ExtractWritesReusesAndReplaces) {
  auto par = ReadProviderArchive(Write());
  ASSERT_TRUE(par.ok());
  ScopedTempDir tmp;
  std::string root = tmp.path + "/cache/nested";  // made as needed
  auto path = ExtractForTarget(*par, "x86_64-linux", root);
  ASSERT_TRUE(path.ok()) << path.status().message();
  EXPECT_EQ(*path, root + "/" + service_.public_key_text() + "/3/x86_64-linux.so");
  struct stat st {};
  ASSERT_EQ(::stat(path->c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  EXPECT_EQ(ReadFile(*path).value(), linux_lib_);
  // Nothing else (no temporary files) in the directory.
  size_t files = 0;
  for (const auto& e :
       std::filesystem::directory_iterator(root + "/" + service_.public_key_text() + "/3")) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1u);

  // Same content: the file is reused, not rewritten.
  ino_t inode = st.st_ino;
  auto again = ExtractForTarget(*par, "x86_64-linux", root);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(::stat(again->c_str(), &st), 0);
  EXPECT_EQ(st.st_ino, inode);

  // Different content (same size, one byte changed): replaced by the archive's library.
  Bytes changed = linux_lib_;
  changed[3] ^= 1;
  ASSERT_TRUE(WriteFile(*path, changed, 0755).ok());
  auto replaced = ExtractForTarget(*par, "x86_64-linux", root);
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ(ReadFile(*replaced).value(), linux_lib_);

  // No library for that target.
  auto missing = ExtractForTarget(*par, "aarch64-linux", root);
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_EQ(missing.status().message(), "No binary found in archive for target aarch64-linux");

  // No rev: directory 0.
  auto norev = ReadProviderArchive(Write(std::nullopt));
  ASSERT_TRUE(norev.ok());
  auto p0 = ExtractForTarget(*norev, "arm-linux", root);
  ASSERT_TRUE(p0.ok());
  EXPECT_EQ(*p0, root + "/" + service_.public_key_text() + "/0/arm-linux.so");
}

TEST_F(ParTest, ExtractRefusesASubjectThatIsNotAKey) {
  auto par = ReadProviderArchive(Write());
  ASSERT_TRUE(par.ok());
  par->claims.sub = "../../etc";
  ScopedTempDir tmp;
  auto r = ExtractForTarget(*par, "x86_64-linux", tmp.path);
  EXPECT_EQ(r.status().code(), Code::kMalformed);
  EXPECT_THAT(r.status().message(), HasSubstr("is not a public key"));
  EXPECT_FALSE(std::filesystem::exists(tmp.path + "/../../etc/3"));
}

// --- tampering ---------------------------------------------------------------------------

TEST_F(ParTest, ChangedLibraryByteIsAHashMismatch) {
  std::string token = Token({{"x86_64-linux", Hash(linux_lib_)}}, account_);
  std::string lib = Str(linux_lib_);
  lib[5] ^= 0x20;
  auto par = ReadProviderArchive(MakeTar({{"claims.jwt", token}, {"x86_64-linux.bin", lib}}));
  ASSERT_TRUE(par.ok()) << par.status().message();
  Status s = VerifyProviderArchive(*par, crypto::VerifyOptions::ForProvider());
  EXPECT_EQ(crypto::IdentityErrorOf(s), crypto::IdentityError::kHashMismatch);
  EXPECT_EQ(s.code(), Code::kUnauthenticated);
  EXPECT_THAT(s.message(), StartsWith("hash mismatch: x86_64-linux.bin has SHA-256 " +
                                      crypto::Sha256HexUpper(AsBytes(lib)) + ", the claims say " +
                                      Hash(linux_lib_)));
}

TEST_F(ParTest, ClaimsResignedByAnotherKeyWithWrongHashes) {
  // Mallory signs claims of her own for the upstream library, with the hash of another
  // file: the signature is hers and valid, the hashes are not.
  auto upstream = ReadProviderArchive(Fixture("providers/fakepay.par.gz"));
  ASSERT_TRUE(upstream.ok());
  crypto::KeyPair mallory = crypto::KeyPair::Generate(crypto::KeyType::kAccount);
  crypto::ProviderClaims c = upstream->claims;
  c.iss = mallory.public_key_text();
  c.wascap->target_hashes = {{"x86_64-linux", Hash(linux_lib_)}};
  auto token = crypto::EncodeClaims(c, mallory);
  ASSERT_TRUE(token.ok());
  auto par = ReadProviderArchive(MakeTar(
      {{"claims.jwt", *token}, {"x86_64-linux.bin", Str(upstream->binaries.at("x86_64-linux"))}}));
  ASSERT_TRUE(par.ok()) << par.status().message();
  Status s = VerifyProviderArchive(*par, crypto::VerifyOptions::ForProvider());
  EXPECT_EQ(crypto::IdentityErrorOf(s), crypto::IdentityError::kHashMismatch) << s.message();
  EXPECT_THAT(s.message(), HasSubstr("the claims say " + Hash(linux_lib_)));

  // Claims edited without re-signing (the upstream signature over other claims).
  std::string forged = *token;
  std::string original = upstream->token;
  forged = forged.substr(0, forged.rfind('.')) + original.substr(original.rfind('.'));
  auto par2 = ReadProviderArchive(MakeTar(
      {{"claims.jwt", forged}, {"x86_64-linux.bin", Str(upstream->binaries.at("x86_64-linux"))}}));
  ASSERT_TRUE(par2.ok());
  Status s2 = VerifyProviderArchive(*par2, crypto::VerifyOptions::ForProvider());
  EXPECT_EQ(crypto::IdentityErrorOf(s2), crypto::IdentityError::kBadSignature) << s2.message();
}

TEST_F(ParTest, HashWithoutLibraryAndLibraryWithoutHash) {
  // The claims list aarch64-linux, the archive has no aarch64-linux.bin (0.18 would
  // only have noticed when asked for that target).
  std::string token =
      Token({{"x86_64-linux", Hash(linux_lib_)}, {"aarch64-linux", Hash(arm_lib_)}}, account_);
  auto par =
      ReadProviderArchive(MakeTar({{"claims.jwt", token}, {"x86_64-linux.bin", Str(linux_lib_)}}));
  ASSERT_TRUE(par.ok());
  Status s = VerifyProviderArchive(*par, crypto::VerifyOptions::ForProvider());
  EXPECT_EQ(crypto::IdentityErrorOf(s), crypto::IdentityError::kHashMismatch);
  EXPECT_EQ(s.message(),
            "hash mismatch: the claims list a hash for target aarch64-linux but the archive has "
            "no aarch64-linux.bin");
  ScopedTempDir cache;
  auto extracted = ExtractForTarget(*par, "aarch64-linux", cache.path);
  EXPECT_EQ(extracted.status().message(), "No binary found in archive for target aarch64-linux");

  // A library the claims do not list (0.18 panicked on the missing map entry).
  std::string token2 = Token({{"x86_64-linux", Hash(linux_lib_)}}, account_);
  auto par2 = ReadProviderArchive(MakeTar({{"claims.jwt", token2},
                                           {"x86_64-linux.bin", Str(linux_lib_)},
                                           {"arm-linux.bin", Str(arm_lib_)}}));
  ASSERT_TRUE(par2.ok());
  Status s2 = VerifyProviderArchive(*par2, crypto::VerifyOptions::ForProvider());
  EXPECT_EQ(crypto::IdentityErrorOf(s2), crypto::IdentityError::kHashMismatch);
  EXPECT_EQ(s2.message(),
            "hash mismatch: arm-linux.bin has no hash in the claims (target_hashes lists no "
            "arm-linux)");
}

TEST_F(ParTest, TimeWindowAndKeyTypesAreChecked) {
  crypto::ProviderClaims c = TestClaims(account_, service_.public_key_text());
  c.exp = 1800000000;
  c.nbf = 1750000000;
  auto par = ReadProviderArchive(
      WriteProviderArchive(c, account_, {{"x86_64-linux", linux_lib_}}).value());
  ASSERT_TRUE(par.ok());
  crypto::VerifyOptions o = crypto::VerifyOptions::ForProvider();
  o.now = [] { return int64_t{1760000000}; };
  EXPECT_TRUE(VerifyProviderArchive(*par, o).ok());
  o.now = [] { return int64_t{1800000001}; };
  EXPECT_EQ(crypto::IdentityErrorOf(VerifyProviderArchive(*par, o)),
            crypto::IdentityError::kExpired);
  o.now = [] { return int64_t{1700000000}; };
  EXPECT_EQ(crypto::IdentityErrorOf(VerifyProviderArchive(*par, o)),
            crypto::IdentityError::kNotYetValid);

  // A module key as the subject: not a provider.
  crypto::KeyPair module = crypto::KeyPair::Generate(crypto::KeyType::kModule);
  auto wrong =
      ReadProviderArchive(WriteProviderArchive(TestClaims(account_, module.public_key_text()),
                                               account_, {{"x86_64-linux", linux_lib_}})
                              .value());
  ASSERT_TRUE(wrong.ok());
  EXPECT_EQ(
      crypto::IdentityErrorOf(VerifyProviderArchive(*wrong, crypto::VerifyOptions::ForProvider())),
      crypto::IdentityError::kWrongKeyType);
}

// --- hostile and broken archives ---------------------------------------------------------

TEST_F(ParTest, MemberNamesOutsideTheArchiveAreRefused) {
  std::string token = Token({{"x86_64-linux", Hash(linux_lib_)}}, account_);
  for (std::string name : {"../x", "../x86_64-linux.bin", "/etc/claims.jwt", "a/x86_64-linux.bin",
                           "./claims.jwt", ".."}) {
    SCOPED_TRACE(name);
    auto r = ReadProviderArchive(
        MakeTar({{"claims.jwt", token}, {"x86_64-linux.bin", Str(linux_lib_)}, {name, "payload"}}));
    EXPECT_EQ(r.status().code(), Code::kMalformed);
    EXPECT_THAT(r.status().message(),
                HasSubstr("is refused: a provider archive holds only top-level files"));
  }
  auto r = ReadProviderArchive(MakeTar({{"claims.jwt", token}, {"../x", "payload"}}));
  EXPECT_EQ(r.status().message(),
            "member \"../x\" is refused: a provider archive holds only top-level files (no '/' "
            "or '..' in names)");
}

TEST_F(ParTest, OtherMembersAreRefused) {
  std::string token = Token({{"x86_64-linux", Hash(linux_lib_)}}, account_);
  struct Case {
    std::vector<Member> members;
    std::string error;
  };
  std::vector<Case> cases = {
      {{{"claims.jwt", token}, {"README.md", "hi"}}, "unexpected member \"README.md\""},
      {{{"claims.jwt", token}, {".bin", "x"}}, "unexpected member \".bin\""},
      // libarchive writes a directory's name with a '/' at the end.
      {{{"claims.jwt", token}, {"x86_64-linux.bin", "", AE_IFDIR}},
       "member \"x86_64-linux.bin/\" is refused"},
      {{{"claims.jwt", token}, {"x86_64-linux.bin", "", AE_IFIFO}},
       "member \"x86_64-linux.bin\" is a FIFO, not a regular file"},
      {{{"claims.jwt", token}, {"x86_64-linux.bin", "", AE_IFLNK, "/etc/passwd"}},
       "member \"x86_64-linux.bin\" is a symbolic link, not a regular file"},
      {{{"claims.jwt", token}, {"x86_64-linux.bin", "a"}, {"x86_64-linux.bin", "b"}},
       "member \"x86_64-linux.bin\" appears twice"},
      {{{"claims.jwt", token}, {"claims.jwt", token}}, "member \"claims.jwt\" appears twice"},
      {{{"x86_64-linux.bin", Str(linux_lib_)}}, "no claims.jwt in the provider archive"},
      {{{"claims.jwt", token}}, "no library (<target>.bin) in the provider archive"},
      {{{"claims.jwt", "not a token"}, {"x86_64-linux.bin", "a"}}, "claims.jwt: malformed token"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.error);
    auto r = ReadProviderArchive(MakeTar(c.members));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kMalformed) << r.status().message();
    EXPECT_THAT(r.status().message(), StartsWith(c.error));
  }
  // A bad token is an identity error, so callers can tell it from a broken archive.
  auto bad = ReadProviderArchive(MakeTar({{"claims.jwt", "x.y.z"}, {"x86_64-linux.bin", "a"}}));
  EXPECT_EQ(crypto::IdentityErrorOf(bad.status()), crypto::IdentityError::kMalformedToken);
}

TEST_F(ParTest, TruncatedOrCorruptDataIsRefused) {
  Bytes fakepay = Fixture("providers/fakepay.par.gz");
  for (size_t keep : {fakepay.size() / 2, fakepay.size() - 4, size_t{100}, size_t{10}}) {
    SCOPED_TRACE(keep);
    Bytes cut(fakepay.begin(), fakepay.begin() + static_cast<ptrdiff_t>(keep));
    auto r = ReadProviderArchive(cut);
    EXPECT_EQ(r.status().code(), Code::kMalformed);
    EXPECT_THAT(r.status().message(), StartsWith("corrupt gzip data: truncated gzip input"));
  }
  // A plain tar cut short.
  Bytes tar = MakeTar({{"claims.jwt", Token({{"x86_64-linux", Hash(linux_lib_)}}, account_)},
                       {"x86_64-linux.bin", std::string(5000, 'x')}},
                      false);
  // Cut inside the library: its header says 5000 bytes, the archive has fewer in all.
  Bytes cut(tar.begin(), tar.begin() + 3000);
  auto r = ReadProviderArchive(cut);
  EXPECT_EQ(r.status().code(), Code::kMalformed);
  EXPECT_EQ(r.status().message(),
            "member \"x86_64-linux.bin\" says it has 5000 bytes, but the whole archive unpacks "
            "to 3000: truncated archive");
  // Cut after the library's data, before the end of the archive.
  Bytes cut2(tar.begin(), tar.end() - 1024 - 200);
  auto r2 = ReadProviderArchive(cut2);
  EXPECT_EQ(r2.status().code(), Code::kMalformed);
  EXPECT_THAT(r2.status().message(), HasSubstr("member \"x86_64-linux.bin\": "));
  EXPECT_THAT(r2.status().message(), HasSubstr("Truncated tar archive"));

  // Not an archive at all.
  for (std::string junk : {std::string("hello, this is not a tar file at all"), std::string(),
                           std::string(2048, '\0')}) {
    auto j = ReadProviderArchive(AsBytes(junk));
    EXPECT_EQ(j.status().code(), Code::kMalformed) << junk.size();
  }
  EXPECT_THAT(ReadProviderArchive(AsBytes(std::string("hello, not a tar"))).status().message(),
              StartsWith("not a provider archive: "));
  auto wasm = ReadProviderArchive(Fixture("wascap/loop.wasm"));
  EXPECT_THAT(wasm.status().message(), StartsWith("not a provider archive: "));
}

TEST_F(ParTest, LimitsAreEnforced) {
  std::string token = Token({{"x86_64-linux", Hash(linux_lib_)}}, account_);
  Bytes par = MakeTar({{"claims.jwt", token}, {"x86_64-linux.bin", std::string(100000, 'x')}});

  ParLimits member;
  member.max_member_size = 99999;
  auto r = ReadProviderArchive(par, member);
  EXPECT_EQ(r.status().code(), Code::kResourceExhausted);
  EXPECT_EQ(r.status().message(),
            "member \"x86_64-linux.bin\" is 100000 bytes, over the limit of 99999");

  ParLimits total;
  total.max_total_size = 100000;  // the library fits alone, not with the claims
  auto t = ReadProviderArchive(par, total);
  EXPECT_EQ(t.status().code(), Code::kResourceExhausted);
  EXPECT_THAT(t.status().message(), HasSubstr("add up to more than 100000 bytes"));

  ParLimits claims;
  claims.max_claims_size = 100;
  auto c = ReadProviderArchive(par, claims);
  EXPECT_EQ(c.status().code(), Code::kResourceExhausted);
  EXPECT_THAT(c.status().message(), StartsWith("member \"claims.jwt\" is "));

  std::vector<Member> many = {{"claims.jwt", token}};
  for (int i = 0; i < 40; ++i) many.push_back({"t" + std::to_string(i) + ".bin", "x"});
  auto m = ReadProviderArchive(MakeTar(many));
  EXPECT_EQ(m.status().code(), Code::kResourceExhausted);
  EXPECT_EQ(m.status().message(), "the archive has more than 32 members, over the limit");

  // A gzip bomb: 4 MiB of one library compresses to a few KiB; with a 1 MiB total limit
  // it is refused while unpacking, before the tar is read.
  Bytes bomb = MakeTar({{"claims.jwt", token}, {"x86_64-linux.bin", std::string(4u << 20, '\0')}});
  EXPECT_LT(bomb.size(), 64u << 10);
  ParLimits small;
  small.max_total_size = 1u << 20;
  auto b = ReadProviderArchive(bomb, small);
  EXPECT_EQ(b.status().code(), Code::kResourceExhausted);
  EXPECT_THAT(b.status().message(), StartsWith("the archive unpacks to more than "));

  // The same as a plain tar: refused by its size.
  Bytes plain =
      MakeTar({{"claims.jwt", token}, {"x86_64-linux.bin", std::string(3u << 20, 'x')}}, false);
  auto p = ReadProviderArchive(plain, small);
  EXPECT_EQ(p.status().code(), Code::kResourceExhausted);
  EXPECT_THAT(p.status().message(), HasSubstr("over the limit"));

  // The upstream archives fit the default limits (checked above); the defaults are sane.
  ParLimits d;
  EXPECT_GE(d.max_member_size, 64u << 20);
  EXPECT_GE(d.max_total_size, d.max_member_size);
}

}  // namespace
}  // namespace wasmcloud::provider
