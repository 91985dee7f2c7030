#include "crypto/module_claims.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "crypto/identity_error.h"
#include "crypto/sha256.h"
#include "test_data.h"
#include "wasm/module_info.h"

namespace wasmcloud::crypto {
namespace {

using nlohmann::json;
using testdata::LoadFixture;
using testdata::SignedWasmFixtures;

// Fixtures were signed in 2020-2021 without exp, so any later "now" is fine.
VerifyOptions ActorOptionsAt(int64_t now) {
  VerifyOptions o = VerifyOptions::ForActor();
  o.now = [now] { return now; };
  return o;
}

TEST(ModuleClaimsTest, EverySignedFixtureVerifies) {
  auto fixtures = SignedWasmFixtures();
  ASSERT_EQ(fixtures.size(), 8u);
  for (const auto& f : fixtures) {
    SCOPED_TRACE(f["path"].get<std::string>());
    Bytes module = LoadFixture(f["path"]);
    auto id = VerifyModule(module, ActorOptionsAt(SystemUnixSeconds()));
    ASSERT_TRUE(id.ok()) << id.status().message();
    EXPECT_EQ(id->token, f["jwt"].get<std::string>());
    EXPECT_EQ(id->module_hash, f["sha256_without_jwt_section"].get<std::string>());
    const json& want = f["claims"];
    EXPECT_EQ(id->claims.iss, want["iss"]);
    EXPECT_EQ(id->claims.sub, want["sub"]);
    EXPECT_EQ(id->claims.iat, want["iat"]);
    EXPECT_EQ(id->claims.jti, want["jti"]);
    const ActorMetadata& m = *id->claims.wascap;
    EXPECT_EQ(m.name, want["wascap"]["name"].get<std::string>());
    EXPECT_EQ(m.hash, want["wascap"]["hash"]);
    EXPECT_EQ(*m.caps, want["wascap"]["caps"].get<std::vector<std::string>>());
    EXPECT_EQ(m.rev.has_value(), want["wascap"].contains("rev"));
    if (m.rev) {
      EXPECT_EQ(*m.rev, want["wascap"]["rev"]);
    }
    EXPECT_EQ(m.call_alias.has_value(), want["wascap"].contains("call_alias"));
    EXPECT_EQ(m.prov, want["wascap"]["prov"]);
  }
}

TEST(ModuleClaimsTest, UnsignedModuleHasNoJwtSection) {
  Bytes module = LoadFixture("wascap/loop.wasm");
  for (const Status& st : {ExtractModuleToken(module).status(),
                           VerifyModule(module, VerifyOptions::ForActor()).status(),
                           ReadModuleIdentity(module).status()}) {
    EXPECT_EQ(IdentityErrorOf(st), IdentityError::kNoJwtSection);
    EXPECT_EQ(st.message(),
              "no jwt section: Unable to extract embedded token from WebAssembly module");
  }
  // Its hash is the plain SHA-256 of the file (the signed copy's claims agree).
  EXPECT_EQ(*ModuleHash(module),
            "5C66140DB61ABE7000BAD7BBB7A1F896CE0C0A7879D8AA3C9CAB93DB0A0A1827");
}

TEST(ModuleClaimsTest, NotAModule) {
  auto st = VerifyModule(AsBytes("definitely not wasm"), VerifyOptions::ForActor()).status();
  EXPECT_EQ(st.code(), Code::kMalformed);
  EXPECT_EQ(IdentityErrorOf(st), IdentityError::kNone);
}

// Byte offsets inside a module, found with the inspector.
size_t CodeByteOffset(ByteView module) {
  auto info = wasm::InspectModule(module);
  EXPECT_TRUE(info.ok());
  for (const auto& s : info->sections) {
    if (s.id == 10) return s.payload_offset + s.payload_size / 2;
  }
  ADD_FAILURE() << "no code section";
  return 0;
}

size_t SignatureByteOffset(ByteView module) {
  auto info = wasm::InspectModule(module);
  EXPECT_TRUE(info.ok());
  const wasm::Section* s = info->FindCustomSection("jwt");
  EXPECT_NE(s, nullptr);
  std::string_view token(reinterpret_cast<const char*>(module.data()) + s->content_offset,
                         s->content_size);
  size_t sig = token.rfind('.') + 1;
  return s->content_offset + sig + (token.size() - sig) / 2;
}

TEST(ModuleClaimsTest, TamperedCopiesFailEachWithItsOwnError) {
  Bytes original = LoadFixture("wc-host-0.18/echo.wasm");
  VerifyOptions now = ActorOptionsAt(SystemUnixSeconds());
  ASSERT_TRUE(VerifyModule(original, now).ok());

  Bytes code = original;
  code[CodeByteOffset(code)] ^= 0x01;
  auto st = VerifyModule(code, now).status();
  EXPECT_EQ(IdentityErrorOf(st), IdentityError::kHashMismatch) << st.message();
  EXPECT_EQ(st.code(), Code::kUnauthenticated);

  Bytes sig = original;
  size_t at = SignatureByteOffset(sig);
  sig[at] = sig[at] == 'A' ? 'B' : 'A';
  st = VerifyModule(sig, now).status();
  EXPECT_EQ(IdentityErrorOf(st), IdentityError::kBadSignature) << st.message();
  EXPECT_EQ(st.message(),
            "bad signature: claims token has invalid signature (not signed by issuer "
            "ACOJJN6WUP4ODD75XEBKKTCCUJJCY5ZKQ56XVKYK4BEJWGVAOOQHZMCW)");
}

TEST(ModuleClaimsTest, SignInspectVerifyRoundTrip) {
  Bytes loop = LoadFixture("wascap/loop.wasm");
  KeyPair account = KeyPair::Generate(KeyType::kAccount);
  KeyPair module = KeyPair::Generate(KeyType::kModule);
  ActorClaimsSpec spec;
  spec.name = "Loop";
  spec.caps = {"wasmcloud:keyvalue"};
  spec.tags = {"a", "b"};
  spec.rev = 3;
  spec.ver = "1.2.3";
  spec.call_alias = "Loop Alias";
  spec.exp = 2'000'000'000;
  ActorClaims claims =
      NewActorClaims(spec, account.public_key_text(), module.public_key_text(), 1'700'000'000);
  auto signed_module = SignModule(loop, claims, account);
  ASSERT_TRUE(signed_module.ok()) << signed_module.status().message();
  // The token went into a new last section; cutting it out gives the input back.
  EXPECT_EQ(*StripModuleToken(*signed_module), loop);

  auto id = VerifyModule(*signed_module, ActorOptionsAt(1'800'000'000));
  ASSERT_TRUE(id.ok()) << id.status().message();
  EXPECT_EQ(id->claims.sub, module.public_key_text());
  EXPECT_EQ(id->claims.wascap->hash, Sha256HexUpper(loop));
  EXPECT_EQ(id->claims.wascap->call_alias, "loop_alias");
  EXPECT_EQ(id->claims.wascap->rev, 3);
  EXPECT_EQ(id->claims.exp, 2'000'000'000u);
  EXPECT_EQ(IdentityErrorOf(VerifyModule(*signed_module, ActorOptionsAt(2'000'000'001)).status()),
            IdentityError::kExpired);

  // Re-signing replaces the section in place rather than adding a second one.
  spec.rev = 4;
  ActorClaims again =
      NewActorClaims(spec, account.public_key_text(), module.public_key_text(), 1'700'000'000);
  auto resigned = SignModule(*signed_module, again, account);
  ASSERT_TRUE(resigned.ok());
  auto info = wasm::InspectModule(*resigned);
  ASSERT_TRUE(info.ok());
  int jwt_sections = 0;
  for (const auto& s : info->sections) jwt_sections += s.name == "jwt";
  EXPECT_EQ(jwt_sections, 1);
  id = VerifyModule(*resigned, ActorOptionsAt(1'800'000'000));
  ASSERT_TRUE(id.ok()) << id.status().message();
  EXPECT_EQ(id->claims.wascap->rev, 4);
  EXPECT_EQ(id->claims.wascap->hash, Sha256HexUpper(loop));
}

TEST(ModuleClaimsTest, ResigningAFixtureKeepsItsHash) {
  // Our signer, applied to a module wascap signed, computes the same hash wascap did.
  Bytes echo = LoadFixture("wc-host-0.18/echo.wasm");
  KeyPair account = KeyPair::Generate(KeyType::kAccount);
  KeyPair module = KeyPair::Generate(KeyType::kModule);
  ActorClaimsSpec spec;
  spec.name = "Echo";
  auto out = SignModule(
      echo, NewActorClaims(spec, account.public_key_text(), module.public_key_text(), 1), account);
  ASSERT_TRUE(out.ok());
  auto id = VerifyModule(*out, ActorOptionsAt(2));
  ASSERT_TRUE(id.ok()) << id.status().message();
  EXPECT_EQ(id->claims.wascap->hash,
            "3FB296B5411E2A05DB4AB89892D0EC342BB1D7D00A9F253C708D37C47E6BD940");
  // Replaced in place: the file grew or shrank by exactly the token's change in length.
  EXPECT_EQ(static_cast<int64_t>(out->size()) - static_cast<int64_t>(echo.size()),
            static_cast<int64_t>(id->token.size()) - 601);
}

}  // namespace
}  // namespace wasmcloud::crypto
