#include "crypto/claims.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/encoding.h"
#include "crypto/identity_error.h"
#include "crypto/jwt.h"
#include "crypto/verify.h"
#include "test_data.h"

namespace wasmcloud::crypto {
namespace {

using nlohmann::json;
using testdata::LoadFixtureJson;

std::string SeedFor(const json& vectors, const std::string& public_key) {
  for (const auto& e : vectors["fixture_keys"]) {
    if (e["public_key"] == public_key) return e["seed"];
  }
  return "";
}

// Ed25519 is deterministic: signing header.claims of an upstream token with its
// issuer's seed gives back its signature byte for byte.
TEST(JwtResignTest, ReproducesUpstreamSignatures) {
  json v = LoadFixtureJson("nkeys_vectors.json");
  ASSERT_EQ(v["jwt_resign"].size(), 4u);
  for (const auto& e : v["jwt_resign"]) {
    std::string seed = SeedFor(v, e["iss"]);
    ASSERT_FALSE(seed.empty()) << "no seed for " << e["iss"];
    auto issuer = KeyPair::FromSeed(seed);
    ASSERT_TRUE(issuer.ok());
    std::string input = e["signing_input_text"];
    EXPECT_EQ(Base64UrlEncode(issuer->Sign(AsBytes(input))),
              e["expected_signature_b64url"].get<std::string>());

    // The same token, decoded and re-encoded by us from its claims, is identical: our
    // JSON writer keeps wascap's key order and compact form.
    std::string token = input + "." + e["expected_signature_b64url"].get<std::string>();
    auto claims = DecodeActorClaims(token);
    ASSERT_TRUE(claims.ok()) << claims.status().message();
    EXPECT_EQ(claims->sub, e["sub"].get<std::string>());
    auto encoded = EncodeClaims(*claims, *issuer);
    ASSERT_TRUE(encoded.ok());
    EXPECT_EQ(*encoded, token);
    VerifyOptions opts = VerifyOptions::ForActor();
    opts.now = [] { return int64_t{1700000000}; };
    EXPECT_TRUE(VerifyActorToken(token, opts).ok());
  }
}

// Every fixture token (actors, provider archives, built-in providers) re-encodes to
// itself from its decoded claims, so field order and optional fields are right.
TEST(ClaimsJsonTest, FixtureClaimsReencodeExactly) {
  json index = LoadFixtureJson("fixtures_index.json");
  int checked = 0;
  auto check = [&](const std::string& token, bool provider) {
    auto jwt = SplitJwt(token);
    ASSERT_TRUE(jwt.ok());
    EXPECT_EQ(jwt->header_json, kJwtHeader);
    if (provider) {
      auto c = ParseProviderClaims(jwt->claims_json);
      ASSERT_TRUE(c.ok()) << c.status().message();
      EXPECT_EQ(ToJson(*c), jwt->claims_json);
      EXPECT_TRUE(VerifyProviderToken(token, VerifyOptions::ForProvider()).ok());
    } else {
      auto c = ParseActorClaims(jwt->claims_json);
      ASSERT_TRUE(c.ok()) << c.status().message();
      EXPECT_EQ(ToJson(*c), jwt->claims_json);
      EXPECT_TRUE(VerifyActorToken(token, VerifyOptions::ForActor()).ok());
    }
    ++checked;
  };
  for (const auto& w : index["wasm"]) {
    if (w.contains("jwt")) check(w["jwt"], false);
  }
  for (const auto& p : index["provider_archives"]) check(p["jwt"], true);
  for (const auto& p : index["builtin_provider_jwts"]) check(p["jwt"], true);
  EXPECT_EQ(checked, 12);
}

TEST(ClaimsJsonTest, ProviderClaimsFields) {
  json index = LoadFixtureJson("fixtures_index.json");
  for (const auto& p : index["provider_archives"]) {
    auto c = VerifyProviderToken(p["jwt"].get<std::string>(), VerifyOptions::ForProvider());
    ASSERT_TRUE(c.ok()) << c.status().message();
    const json& want = p["claims"];
    EXPECT_EQ(c->iss, want["iss"]);
    EXPECT_EQ(c->sub, want["sub"]);
    EXPECT_EQ(c->wascap->capid, want["wascap"]["capid"]);
    EXPECT_EQ(c->wascap->vendor, want["wascap"]["vendor"]);
    ASSERT_EQ(c->wascap->target_hashes.size(), want["wascap"]["target_hashes"].size());
    for (const auto& [target, hash] : c->wascap->target_hashes) {
      EXPECT_EQ(hash, want["wascap"]["target_hashes"][target]);
    }
  }
  ProviderClaims unnamed;
  unnamed.jti = "x";
  unnamed.iss = "A";
  unnamed.sub = "V";
  unnamed.wascap = ProviderMetadata{};
  unnamed.wascap->capid = "wasmcloud:extras";
  EXPECT_EQ(ToJson(unnamed),
            R"({"jti":"x","iat":0,"iss":"A","sub":"V","wascap":{"name":null,"capid":)"
            R"("wasmcloud:extras","vendor":"","target_hashes":{}}})");
}

// §12 of the protocol sheet: the anti-forgery token of a full Invocation, byte for byte.
TEST(InvocationClaimsTest, SpecVector) {
  auto host = KeyPair::FromSeed("SNAAAAICAMCAKBQHBAEQUCYMBUHA6EARCIJRIFIWC4MBSGQ3DQOR4H2D5U");
  ASSERT_TRUE(host.ok());
  const std::string origin = "wasmbus://MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5";
  const std::string target =
      "wasmbus://wasmcloud/keyvalue/default/"
      "VAHNM37G4ARHZ3CYHB3L34M6TYQWQR6IZ4QVYC4NYZWTJCJ2LWP7S6Z2/"
      "Get";
  Bytes msg = *HexDecode("81a36b6579a7636f756e746572");
  InvocationClaims c;
  c.jti = "Zr6b4wq2kJ8h1Qm0aX9cD3";
  c.iat = 1620000000;
  c.iss = host->public_key_text();
  c.sub = "8b0b2b8e-6f3c-4d2a-9a51-1f2e3d4c5b6a";
  c.wascap = InvocationMetadata{target, origin, InvocationHash(origin, target, msg)};
  EXPECT_EQ(c.wascap->hash, "F2832FA3D5BD92658708210F3DE80BD2B13C5BB7B999888990597410CD011E38");
  auto token = EncodeClaims(c, *host);
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(*token,
            "eyJ0eXAiOiJqd3QiLCJhbGciOiJFZDI1NTE5In0.eyJqdGkiOiJacjZiNHdxMmtKOGgxUW0wYVg5Y0QzIiwia"
            "WF0IjoxNjIwMDAwMDAwLCJpc3MiOiJOQUIyQ0I1NzZQSEJCUFE1T0RPUlJaMkxZQ01XUFpHV0dDTjJLREs3RF"
            "hPSU1aQVNLVVkzUlNXQiIsInN1YiI6IjhiMGIyYjhlLTZmM2MtNGQyYS05YTUxLTFmMmUzZDRjNWI2YSIsInd"
            "hc2NhcCI6eyJ0YXJnZXRfdXJsIjoid2FzbWJ1czovL3dhc21jbG91ZC9rZXl2YWx1ZS9kZWZhdWx0L1ZBSE5N"
            "MzdHNEFSSFozQ1lIQjNMMzRNNlRZUVdRUjZJWjRRVllDNE5ZWldUSkNKMkxXUDdTNloyL0dldCIsIm9yaWdpb"
            "l91cmwiOiJ3YXNtYnVzOi8vTUJDRk9QTTZKVzJBUEpMWEpEM1o1TzRDTjdDUFlKMkI0RlRLTEpVUjVZUjVNSV"
            "RJVTdIRDNXRDUiLCJoYXNoIjoiRjI4MzJGQTNENUJEOTI2NTg3MDgyMTBGM0RFODBCRDJCMTNDNUJCN0I5OTk"
            "4ODg5OTA1OTc0MTBDRDAxMUUzOCJ9fQ.Xjd69uzy1fkWV_Pr4i84rICkdHIUjpkK8kxqaqQl7JLJuIJMi2Y2S"
            "0XrjA2DcTb5bEA_FYx66xH6svmQvd6oAw");
  auto back = VerifyInvocationToken(*token, VerifyOptions::ForInvocation());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->sub, c.sub);
  EXPECT_EQ(back->wascap->origin_url, origin);
  // An actor key cannot issue invocations.
  EXPECT_EQ(IdentityErrorOf(VerifyInvocationToken(*token,
                                                  [] {
                                                    VerifyOptions o =
                                                        VerifyOptions::ForInvocation();
                                                    o.issuer_types = {KeyType::kAccount};
                                                    return o;
                                                  }())
                                .status()),
            IdentityError::kWrongKeyType);
}

TEST(CallAliasTest, NormalisedLikeWascap) {
  EXPECT_EQ(NormalizeCallAlias("wasmcloud/examples/ponger"), "wasmcloud/examples/ponger");
  EXPECT_EQ(NormalizeCallAlias("  My Cool-Actor.v2  "), "my_cool_actor_v2");
  EXPECT_EQ(NormalizeCallAlias("caf\xc3\xa9 bar"), "caf_bar");
  EXPECT_EQ(NormalizeCallAlias("\xc2\xa0x\xe3\x80\x80"), "x");  // Unicode spaces are trimmed
  EXPECT_EQ(NormalizeCallAlias("\xc3\xa9 x"), "_x");            // é is dropped after the trim
  EXPECT_EQ(NormalizeCallAlias("\xe2\x84\xaa"), "k");           // KELVIN SIGN lowercases to k
}

TEST(ClaimsTest, NewActorClaimsLikeWascap) {
  ActorClaimsSpec spec;
  spec.name = "Echo";
  spec.caps = {"wasmcloud:httpserver"};
  spec.call_alias = "My Echo";
  ActorClaims c = NewActorClaims(spec, "Aiss", "Msub", 1234);
  EXPECT_EQ(c.jti.size(), 22u);
  EXPECT_NE(c.jti, NewActorClaims(spec, "A", "M", 1).jti);
  EXPECT_EQ(ToJson(c), R"({"jti":")" + c.jti +
                           R"(","iat":1234,"iss":"Aiss","sub":"Msub","wascap":{"name":"Echo",)"
                           R"("hash":"","tags":[],"caps":["wasmcloud:httpserver"],)"
                           R"("call_alias":"my_echo","prov":false}})");
}

TEST(ClaimsTest, MalformedTokensSayWhy) {
  auto kind = [](std::string_view token) {
    return IdentityErrorOf(DecodeActorClaims(token).status());
  };
  EXPECT_EQ(kind(""), IdentityError::kMalformedToken);
  EXPECT_EQ(kind("a.b"), IdentityError::kMalformedToken);
  EXPECT_EQ(kind("a.b.c.d"), IdentityError::kMalformedToken);
  std::string h(kJwtHeaderB64);
  auto body = [&](std::string_view j) { return h + "." + Base64UrlEncode(AsBytes(j)) + ".AA"; };
  EXPECT_EQ(kind(body("[]")), IdentityError::kMalformedToken);
  EXPECT_EQ(kind(body("{")), IdentityError::kMalformedToken);
  auto st = DecodeActorClaims(body(R"({"jti":"x","iat":-1,"iss":"A","sub":"M"})")).status();
  EXPECT_EQ(st.message(), "malformed token: claims member \"iat\" is not a non-negative integer");
  st = DecodeActorClaims(body(R"({"jti":"x","iat":1,"iss":"A"})")).status();
  EXPECT_EQ(st.message(), "malformed token: claims lack \"sub\"");
  st = DecodeActorClaims(body(R"({"jti":"x","iat":1,"iss":"A","sub":"M","wascap":{"rev":1}})"))
           .status();
  EXPECT_EQ(st.message(), "malformed token: wascap lack \"hash\"");
  st = DecodeActorClaims(
           body(R"({"jti":"x","iat":1,"iss":"A","sub":"M","wascap":{"hash":"","rev":3000000000}})"))
           .status();
  EXPECT_EQ(st.message(), "malformed token: wascap member \"rev\" is not a 32-bit integer");
  // Unknown members are ignored, as serde does.
  EXPECT_TRUE(
      DecodeActorClaims(body(R"({"jti":"x","iat":1,"iss":"A","sub":"M","extra":[1,{}]})")).ok());
  // Header check is part of verification.
  std::string other = Base64UrlEncode(AsBytes(R"({"typ":"JWT","alg":"ed25519-nkey"})"));
  KeyPair kp = KeyPair::Generate(KeyType::kAccount);
  std::string token = SignJwt(R"({"jti":"x","iat":1,"iss":")" + kp.public_key_text() +
                                  R"(","sub":"M","wascap":{"hash":""}})",
                              kp);
  std::string forged = other + token.substr(token.find('.'));
  EXPECT_EQ(IdentityErrorOf(VerifyActorToken(forged, {}).status()), IdentityError::kMalformedToken);
}

TEST(VerifyTest, EachFailureHasItsOwnError) {
  KeyPair account = KeyPair::Generate(KeyType::kAccount);
  KeyPair module = KeyPair::Generate(KeyType::kModule);
  ActorClaimsSpec spec;
  spec.name = "t";
  spec.exp = 2000;
  spec.nbf = 1000;
  ActorClaims c = NewActorClaims(spec, account.public_key_text(), module.public_key_text(), 900);
  std::string token = *EncodeClaims(c, account);
  VerifyOptions opts = VerifyOptions::ForActor();
  int64_t now = 1500;
  opts.now = [&now] { return now; };
  EXPECT_TRUE(VerifyActorToken(token, opts).ok());
  now = 999;
  auto st = VerifyActorToken(token, opts).status();
  EXPECT_EQ(IdentityErrorOf(st), IdentityError::kNotYetValid);
  EXPECT_EQ(st.message(), "not yet valid: claims cannot be used before 1970-01-01T00:16:40Z");
  now = 1000;
  EXPECT_TRUE(VerifyActorToken(token, opts).ok());
  now = 2000;
  EXPECT_TRUE(VerifyActorToken(token, opts).ok());
  now = 2001;
  st = VerifyActorToken(token, opts).status();
  EXPECT_EQ(IdentityErrorOf(st), IdentityError::kExpired);
  EXPECT_EQ(st.code(), Code::kFailedPrecondition);
  now = 1500;

  // Signed by someone else than iss.
  KeyPair mallory = KeyPair::Generate(KeyType::kAccount);
  std::string forged = SignJwt(ToJson(c), mallory);
  st = VerifyActorToken(forged, opts).status();
  EXPECT_EQ(IdentityErrorOf(st), IdentityError::kBadSignature);
  EXPECT_EQ(st.code(), Code::kUnauthenticated);

  // A module key issuing, an account as subject.
  ActorClaims wrong = c;
  wrong.iss = module.public_key_text();
  st = VerifyActorToken(*EncodeClaims(wrong, module), opts).status();
  EXPECT_EQ(IdentityErrorOf(st), IdentityError::kWrongKeyType);
  EXPECT_EQ(st.message(), "wrong key type: issuer " + module.public_key_text() +
                              " is a module key, expected account (A...)");
  wrong = c;
  wrong.sub = mallory.public_key_text();
  st = VerifyActorToken(*EncodeClaims(wrong, account), opts).status();
  EXPECT_EQ(IdentityErrorOf(st), IdentityError::kWrongKeyType);
  // The host may choose to accept any type, as 0.18 did.
  VerifyOptions lax = opts;
  lax.issuer_types.clear();
  lax.subject_types.clear();
  EXPECT_TRUE(VerifyActorToken(*EncodeClaims(wrong, account), lax).ok());
  // A subject that is not a key at all.
  wrong.sub = "not-a-key";
  st = VerifyActorToken(*EncodeClaims(wrong, account), opts).status();
  EXPECT_EQ(IdentityErrorOf(st), IdentityError::kBadLength);

  // No metadata.
  ActorClaims bare = c;
  bare.wascap.reset();
  st = VerifyActorToken(*EncodeClaims(bare, account), opts).status();
  EXPECT_EQ(IdentityErrorOf(st), IdentityError::kMalformedToken);

  // Encoding refuses claims whose iss is not the signer.
  EXPECT_EQ(EncodeClaims(c, mallory).status().code(), Code::kInvalidArgument);
}

TEST(IdentityErrorTest, SurvivesContext) {
  Status st = IdentityStatus(IdentityError::kBadSignatureLength, "x");
  EXPECT_EQ(IdentityErrorOf(st), IdentityError::kBadSignatureLength);
  EXPECT_EQ(IdentityErrorOf(st.WithContext("a.wasm")), IdentityError::kBadSignatureLength);
  EXPECT_EQ(IdentityErrorOf(Malformed("bad signature: not ours")), IdentityError::kNone);
  EXPECT_EQ(IdentityErrorOf(Status::Ok()), IdentityError::kNone);
}

}  // namespace
}  // namespace wasmcloud::crypto
