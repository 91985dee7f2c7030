// InvocationVerifier: each refusal of lattice.md "Verifying an inbound invocation" with
// its own reason and code, the replay set and its capacity rule, the issuer policies,
// and an accepted invocation.
#include "lattice/invocation_verifier.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "core/encoding.h"
#include "crypto/claims.h"
#include "crypto/jwt.h"
#include "spec_vectors.h"
#include "support/status_assert.h"

namespace wasmcloud::lattice {
namespace {

using crypto::KeyPair;
using crypto::KeyType;
using wasmcloud::testing::Ok;

constexpr int64_t kNow = 1700000000;  // 2023-11-14T22:13:20Z

class VerifierTest : public ::testing::Test {
 protected:
  VerifierConfig Config() {
    VerifierConfig c;
    c.now = [this] { return now_.load(); };
    return c;
  }

  // A signed call from the system origin to the served actor, issued now and expiring
  // in 30 s, unless `options` says otherwise.
  Invocation Make(SignOptions options) {
    auto inv =
        NewInvocation(host_, Entity::System(), served_, "HandleRequest", ToBytes("hello"), options);
    EXPECT_TRUE(Ok(inv));
    return inv.ok() ? *inv : Invocation{};
  }
  Invocation Make() {
    SignOptions o;
    o.iat = kNow;
    o.exp = kNow + 30;
    return Make(o);
  }

  // The token of `inv` with its claims edited and signed again by `key` (iss is left as
  // the edit makes it, so the token can claim one issuer and be signed by another).
  static std::string Resign(const std::string& token, const KeyPair& key,
                            const std::function<void(crypto::InvocationClaims&)>& edit) {
    auto claims = crypto::DecodeInvocationClaims(token);
    EXPECT_TRUE(Ok(claims));
    if (!claims.ok()) return "";
    edit(*claims);
    return crypto::SignJwt(crypto::ToJson(*claims), key);
  }

  static void ExpectRefused(const Result<Invocation>& r, Code code, const std::string& reason) {
    ASSERT_FALSE(r.ok()) << "accepted; expected: " << reason;
    EXPECT_EQ(r.status().code(), code) << CodeName(r.status().code());
    EXPECT_EQ(r.status().message(), reason);
  }

  std::atomic<int64_t> now_{kNow};
  KeyPair host_ = spec::HostKey();
  KeyPair actor_key_ = KeyPair::Generate(KeyType::kModule);
  Entity served_ = Entity::Actor(actor_key_.public_key_text());
  std::string hid_ = host_.public_key_text();
};

TEST_F(VerifierTest, AcceptsAValidInvocationIntact) {
  InvocationVerifier v(Config());
  Invocation inv = Make();
  auto r = v.Verify(Encode(inv), served_);
  ASSERT_TRUE(Ok(r));
  EXPECT_EQ(*r, inv);
  EXPECT_EQ(v.replay_entries(), 1u);
}

TEST_F(VerifierTest, AcceptsTheSection12InvocationAtItsTime) {
  // A 0.18 sender: no exp, so |now - iat| <= 60 s; served: the provider it targets.
  now_ = static_cast<int64_t>(spec::kIat) + 60;
  InvocationVerifier v(Config());
  auto r = v.Verify(spec::Hex(spec::kInvocationHex), spec::Target());
  ASSERT_TRUE(Ok(r));
  EXPECT_EQ(r->id, spec::kId);
  EXPECT_EQ(r->host_id, spec::kHostKey);
}

TEST_F(VerifierTest, TooLarge) {
  VerifierConfig c = Config();
  c.max_bytes = 100;
  InvocationVerifier v(c);
  Bytes b = Encode(Make());
  ExpectRefused(v.Verify(b, served_), Code::kResourceExhausted,
                "too large: " + std::to_string(b.size()) + " bytes, more than the limit of 100");
}

TEST_F(VerifierTest, Malformed) {
  InvocationVerifier v(Config());
  ExpectRefused(v.Verify(ToBytes("hello"), served_), Code::kMalformed,
                "malformed invocation: Invocation: expected map, found int at offset 0");
  Bytes golden = spec::Hex(spec::kInvocationHex);
  for (size_t n = 0; n < golden.size(); ++n) {
    auto r = v.Verify(ByteView(golden.data(), n), spec::Target());
    ASSERT_FALSE(r.ok());
    ASSERT_EQ(r.status().code(), Code::kMalformed) << n;
  }
}

TEST_F(VerifierTest, ReAimedToAnotherActor) {
  InvocationVerifier v(Config());
  Entity other = Entity::Actor(KeyPair::Generate(KeyType::kModule).public_key_text());
  ExpectRefused(v.Verify(Encode(Make()), other), Code::kPermissionDenied,
                "re-aimed: the invocation targets actor " + served_.id +
                    ", this subscription serves actor " + other.id);
}

TEST_F(VerifierTest, ReAimedToAnotherLinkName) {
  InvocationVerifier v(Config());
  Entity served = spec::Target();
  served.link_name = "backup";
  now_ = static_cast<int64_t>(spec::kIat);
  ExpectRefused(v.Verify(spec::Hex(spec::kInvocationHex), served), Code::kPermissionDenied,
                "re-aimed: the invocation targets provider " + std::string(spec::kTargetProvider) +
                    " (wasmcloud:keyvalue, link default), this subscription serves provider " +
                    std::string(spec::kTargetProvider) + " (wasmcloud:keyvalue, link backup)");
}

TEST_F(VerifierTest, ReAimedToAnotherContract) {
  InvocationVerifier v(Config());
  Entity served = spec::Target();
  served.contract_id = "wasmcloud:messaging";
  now_ = static_cast<int64_t>(spec::kIat);
  ExpectRefused(v.Verify(spec::Hex(spec::kInvocationHex), served), Code::kPermissionDenied,
                "re-aimed: the invocation targets provider " + std::string(spec::kTargetProvider) +
                    " (wasmcloud:keyvalue, link default), this subscription serves provider " +
                    std::string(spec::kTargetProvider) + " (wasmcloud:messaging, link default)");
}

TEST_F(VerifierTest, ReAimedFromAProviderToAnActorOfTheSameKey) {
  InvocationVerifier v(Config());
  now_ = static_cast<int64_t>(spec::kIat);
  Entity as_actor = Entity::Actor(std::string(spec::kTargetProvider));
  auto r = v.Verify(spec::Hex(spec::kInvocationHex), as_actor);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kPermissionDenied);
  EXPECT_EQ(r.status().message().rfind("re-aimed: ", 0), 0u) << r.status().message();
}

TEST_F(VerifierTest, ForgedMsgBitFlipped) {
  InvocationVerifier v(Config());
  Invocation inv = Make();
  std::string signed_hash = crypto::DecodeInvocationClaims(inv.encoded_claims)->wascap->hash;
  inv.msg[0] ^= 0x01;  // "hello" -> "iello"
  ExpectRefused(
      v.Verify(Encode(inv), served_), Code::kUnauthenticated,
      "hash mismatch: the token's hash " + signed_hash +
          " is not the hash of the invocation's URLs and msg, " +
          crypto::InvocationHash("wasmbus://system", "wasmbus://" + served_.id + "/HandleRequest",
                                 ToBytes("iello")));
}

TEST_F(VerifierTest, ExpiredWithExp) {
  InvocationVerifier v(Config());
  Bytes b = Encode(Make());  // exp = now + 30
  now_ = kNow + 33;          // 3 s past exp: beyond the 2 s skew
  ExpectRefused(v.Verify(b, served_), Code::kPermissionDenied,
                "expired: the token expired at 2023-11-14T22:13:50Z, 3 s ago (more than the 2 s "
                "of clock skew allowed)");
  now_ = kNow + 32;  // within the skew
  EXPECT_TRUE(Ok(v.Verify(b, served_)));
}

// A token may not stay valid for longer than max_age: it would hold a place in the
// replay set that long, and far-future tokens could push genuine ones out of it.
TEST_F(VerifierTest, TooLongLivedWithExp) {
  InvocationVerifier v(Config());
  SignOptions o;
  o.iat = kNow;
  o.exp = kNow + 63;  // max_age 60 + skew 2 = 62
  ExpectRefused(v.Verify(Encode(Make(o)), served_), Code::kPermissionDenied,
                "too long-lived: the token expires at 2023-11-14T22:14:23Z, 63 s from now, more "
                "than the maximum age of 60 s");
  o.exp = kNow + 62;
  EXPECT_TRUE(Ok(v.Verify(Encode(Make(o)), served_)));
}

TEST_F(VerifierTest, TooOldWithoutExp) {
  InvocationVerifier v(Config());
  SignOptions o;
  o.iat = kNow - 61;
  ExpectRefused(v.Verify(Encode(Make(o)), served_), Code::kPermissionDenied,
                "too old: the token (without exp) was issued at 2023-11-14T22:12:19Z, 61 s ago, "
                "more than the maximum age of 60 s");
  o.iat = kNow - 60;
  EXPECT_TRUE(Ok(v.Verify(Encode(Make(o)), served_)));
}

TEST_F(VerifierTest, IssuedInTheFutureWithoutExp) {
  InvocationVerifier v(Config());
  SignOptions o;
  o.iat = kNow + 61;
  ExpectRefused(v.Verify(Encode(Make(o)), served_), Code::kPermissionDenied,
                "issued in the future: the token (without exp) was issued at "
                "2023-11-14T22:14:21Z, 61 s from now, more than the maximum age of 60 s");
  o.iat = kNow + 60;
  EXPECT_TRUE(Ok(v.Verify(Encode(Make(o)), served_)));
}

TEST_F(VerifierTest, MaxAgeAndSkewAreConfigurable) {
  VerifierConfig c = Config();
  c.max_age = std::chrono::seconds(5);
  c.skew = std::chrono::seconds(0);
  InvocationVerifier v(c);
  SignOptions o;
  o.iat = kNow - 6;
  auto old = v.Verify(Encode(Make(o)), served_);
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.status().message().rfind("too old: ", 0), 0u);
  o.iat = kNow;
  o.exp = kNow - 1;
  auto expired = v.Verify(Encode(Make(o)), served_);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.status().message().rfind("expired: ", 0), 0u);
}

TEST_F(VerifierTest, NotYetValid) {
  InvocationVerifier v(Config());
  Invocation inv = Make();
  inv.encoded_claims =
      Resign(inv.encoded_claims, host_, [](crypto::InvocationClaims& c) { c.nbf = kNow + 30; });
  ExpectRefused(v.Verify(Encode(inv), served_), Code::kPermissionDenied,
                "not yet valid: the token may not be used before 2023-11-14T22:13:50Z");
}

TEST_F(VerifierTest, AlgorithmOtherThanEd25519) {
  InvocationVerifier v(Config());
  Invocation inv = Make();
  auto jwt = crypto::SplitJwt(inv.encoded_claims);
  ASSERT_TRUE(Ok(jwt));
  // Another header with a valid Ed25519 signature by the host over it.
  std::string input = Base64UrlEncode(AsBytes(R"({"typ":"jwt","alg":"HS256"})")) + "." +
                      Base64UrlEncode(AsBytes(jwt->claims_json));
  inv.encoded_claims = input + "." + Base64UrlEncode(host_.Sign(AsBytes(input)));
  ExpectRefused(v.Verify(Encode(inv), served_), Code::kUnauthenticated,
                "wrong algorithm: the token's alg is \"HS256\", only Ed25519 is accepted");

  std::string none = Base64UrlEncode(AsBytes(R"({"typ":"jwt"})")) + "." +
                     Base64UrlEncode(AsBytes(jwt->claims_json));
  inv.encoded_claims = none + "." + Base64UrlEncode(host_.Sign(AsBytes(none)));
  ExpectRefused(v.Verify(Encode(inv), served_), Code::kUnauthenticated,
                "wrong algorithm: the token's header names no alg, only Ed25519 is accepted");
}

TEST_F(VerifierTest, HeaderOtherwiseWrongOrTokenMalformed) {
  InvocationVerifier v(Config());
  Invocation inv = Make();
  auto jwt = crypto::SplitJwt(inv.encoded_claims);
  ASSERT_TRUE(Ok(jwt));
  std::string input = Base64UrlEncode(AsBytes(R"({"typ":"JWS","alg":"Ed25519"})")) + "." +
                      Base64UrlEncode(AsBytes(jwt->claims_json));
  inv.encoded_claims = input + "." + Base64UrlEncode(host_.Sign(AsBytes(input)));
  ExpectRefused(v.Verify(Encode(inv), served_), Code::kMalformed,
                R"(malformed token: header must be {"typ":"jwt","alg":"Ed25519"}, got )"
                R"({"alg":"Ed25519","typ":"JWS"})");

  inv.encoded_claims = "not a token";
  ExpectRefused(v.Verify(Encode(inv), served_), Code::kMalformed,
                "malformed token: a token has three dot-separated segments");
}

TEST_F(VerifierTest, IssuerIsNotTheSendingHost) {
  InvocationVerifier v(Config());
  Invocation inv = Make();
  KeyPair other = KeyPair::Generate(KeyType::kServer);
  std::string oid = other.public_key_text();
  inv.encoded_claims =
      Resign(inv.encoded_claims, other, [&](crypto::InvocationClaims& c) { c.iss = oid; });
  ExpectRefused(v.Verify(Encode(inv), served_), Code::kUnauthenticated,
                "issuer mismatch: the token is issued by \"" + oid +
                    "\", the invocation's host_id is " + hid_);
}

TEST_F(VerifierTest, HostIdIsNotAServerKey) {
  InvocationVerifier v(Config());
  // Signed consistently by an account key that claims to be the host.
  KeyPair account = KeyPair::Generate(KeyType::kAccount);
  std::string aid = account.public_key_text();
  Invocation inv = Make();
  inv.host_id = aid;
  inv.encoded_claims =
      Resign(inv.encoded_claims, account, [&](crypto::InvocationClaims& c) { c.iss = aid; });
  ExpectRefused(v.Verify(Encode(inv), served_), Code::kUnauthenticated,
                "bad host id: host_id \"" + aid +
                    "\" is not a host (server, N...) public key (it is of type account)");

  inv.host_id = "NOTAKEY";
  auto r = v.Verify(Encode(inv), served_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnauthenticated);
  EXPECT_EQ(r.status().message().rfind(
                "bad host id: host_id \"NOTAKEY\" is not a host (server, N...) public key (bad "
                "length",
                0),
            0u)
      << r.status().message();
}

TEST_F(VerifierTest, SubjectIsNotTheInvocationId) {
  InvocationVerifier v(Config());
  Invocation inv = Make();
  std::string signed_id = inv.id;
  inv.id = crypto::NewUuidV4();
  ExpectRefused(v.Verify(Encode(inv), served_), Code::kUnauthenticated,
                "subject mismatch: the token's subject \"" + signed_id +
                    "\" is not the invocation id \"" + inv.id + "\"");
}

TEST_F(VerifierTest, SenderValuesInReasonsAreEscapedAndCut) {
  InvocationVerifier v(Config());
  Invocation inv = Make();
  std::string signed_id = inv.id;
  inv.id = "\x01" + std::string(300, 'x');
  ExpectRefused(v.Verify(Encode(inv), served_), Code::kUnauthenticated,
                "subject mismatch: the token's subject \"" + signed_id +
                    "\" is not the invocation id \"\\x01" + std::string(199, 'x') +
                    "... (301 bytes)\"");
}

TEST_F(VerifierTest, TamperedOriginUrl) {
  InvocationVerifier v(Config());
  Invocation inv = Make();  // signed with origin wasmbus://system
  std::string actor = KeyPair::Generate(KeyType::kModule).public_key_text();
  inv.origin = Entity::Actor(actor);
  ExpectRefused(v.Verify(Encode(inv), served_), Code::kUnauthenticated,
                "origin mismatch: the token's origin_url \"wasmbus://system\" is not the "
                "invocation's origin wasmbus://" +
                    actor);
}

TEST_F(VerifierTest, TamperedTargetUrl) {
  InvocationVerifier v(Config());
  Invocation inv = Make();  // signed for HandleRequest
  inv.operation = "Deploy";
  ExpectRefused(v.Verify(Encode(inv), served_), Code::kUnauthenticated,
                "target mismatch: the token's target_url \"wasmbus://" + served_.id +
                    "/HandleRequest\" is not the invocation's target wasmbus://" + served_.id +
                    "/Deploy");
}

TEST_F(VerifierTest, TamperedHash) {
  InvocationVerifier v(Config());
  Invocation inv = Make();
  std::string zeros(64, '0');
  inv.encoded_claims = Resign(inv.encoded_claims, host_,
                              [&](crypto::InvocationClaims& c) { c.wascap->hash = zeros; });
  ExpectRefused(
      v.Verify(Encode(inv), served_), Code::kUnauthenticated,
      "hash mismatch: the token's hash " + zeros +
          " is not the hash of the invocation's URLs and msg, " +
          crypto::InvocationHash("wasmbus://system", "wasmbus://" + served_.id + "/HandleRequest",
                                 ToBytes("hello")));
}

TEST_F(VerifierTest, BadSignature) {
  InvocationVerifier v(Config());
  Invocation inv = Make();
  // Claims that name the host as issuer, signed by someone else.
  KeyPair other = KeyPair::Generate(KeyType::kServer);
  inv.encoded_claims = Resign(inv.encoded_claims, other, [](crypto::InvocationClaims&) {});
  std::string reason = "bad signature: the token is not signed by host " + hid_;
  ExpectRefused(v.Verify(Encode(inv), served_), Code::kUnauthenticated, reason);

  // The host's own signature with one bit flipped.
  Invocation flipped = Make();
  auto jwt = crypto::SplitJwt(flipped.encoded_claims);
  ASSERT_TRUE(Ok(jwt));
  jwt->signature[10] ^= 0x20;
  flipped.encoded_claims = jwt->signing_input + "." + Base64UrlEncode(jwt->signature);
  ExpectRefused(v.Verify(Encode(flipped), served_), Code::kUnauthenticated, reason);
  EXPECT_EQ(v.replay_entries(), 0u);
}

TEST_F(VerifierTest, Replayed) {
  InvocationVerifier v(Config());
  Invocation inv = Make();
  Bytes b = Encode(inv);
  ASSERT_TRUE(Ok(v.Verify(b, served_)));
  std::string jti = crypto::DecodeInvocationClaims(inv.encoded_claims)->jti;
  ExpectRefused(v.Verify(b, served_), Code::kPermissionDenied,
                "replayed: token " + jti + " of host " + hid_ + " was already accepted");
  EXPECT_EQ(v.replay_entries(), 1u);
}

TEST_F(VerifierTest, OnlyAcceptedTokensAreRemembered) {
  VerifierConfig c = Config();
  c.issuers.kind = IssuerPolicy::Kind::kList;
  c.issuers.keys = {KeyPair::Generate(KeyType::kServer).public_key_text()};
  InvocationVerifier refusing(c);
  Bytes b = Encode(Make());
  EXPECT_FALSE(refusing.Verify(b, served_).ok());
  EXPECT_FALSE(refusing.Verify(b, served_).ok());
  EXPECT_EQ(refusing.replay_entries(), 0u);
}

TEST_F(VerifierTest, ConcurrentCopiesAcceptedOnce) {
  InvocationVerifier v(Config());
  Bytes b = Encode(Make());
  std::atomic<int> accepted{0};
  std::atomic<int> replayed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto r = v.Verify(b, served_);
      if (r.ok()) {
        ++accepted;
      } else if (r.status().message().rfind("replayed: ", 0) == 0) {
        ++replayed;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(accepted.load(), 1);
  EXPECT_EQ(replayed.load(), 7);
}

TEST_F(VerifierTest, ReplayCapacityNeverLetsAForgottenPairThrough) {
  VerifierConfig c = Config();
  c.replay_capacity = 2;
  InvocationVerifier v(c);
  auto make = [&](int64_t exp) {
    SignOptions o;
    o.iat = kNow;
    o.exp = exp;
    Invocation inv = Make(o);
    return std::make_pair(Encode(inv), crypto::DecodeInvocationClaims(inv.encoded_claims)->jti);
  };
  auto [a, a_jti] = make(kNow + 10);
  auto [b, b_jti] = make(kNow + 20);
  auto [c3, c_jti] = make(kNow + 30);
  ASSERT_TRUE(Ok(v.Verify(a, served_)));
  ASSERT_TRUE(Ok(v.Verify(b, served_)));
  EXPECT_EQ(v.replay_entries(), 2u);
  // Full: accepting C forgets A, the pair that expires first.
  ASSERT_TRUE(Ok(v.Verify(c3, served_)));
  EXPECT_EQ(v.replay_entries(), 2u);
  // A is no longer remembered, and still cannot be replayed, although it has not expired.
  std::string window =
      " expires no later than tokens already forgotten (the replay set holds at "
      "most 2)";
  ExpectRefused(v.Verify(a, served_), Code::kPermissionDenied,
                "too old for the replay window: token " + a_jti + " of host " + hid_ + window);
  // Nor can a new token that expires no later than A (never seen, but indistinguishable
  // from a forgotten one).
  auto [d, d_jti] = make(kNow + 5);
  ExpectRefused(v.Verify(d, served_), Code::kPermissionDenied,
                "too old for the replay window: token " + d_jti + " of host " + hid_ + window);
  // B and C are still remembered as replays.
  ExpectRefused(v.Verify(b, served_), Code::kPermissionDenied,
                "replayed: token " + b_jti + " of host " + hid_ + " was already accepted");
  ExpectRefused(v.Verify(c3, served_), Code::kPermissionDenied,
                "replayed: token " + c_jti + " of host " + hid_ + " was already accepted");
  // A token that would be the first to go while the set is full is refused too.
  auto [e, e_jti] = make(kNow + 15);
  ExpectRefused(v.Verify(e, served_), Code::kPermissionDenied,
                "too old for the replay window: token " + e_jti + " of host " + hid_ + window);
  // A later one takes B's place.
  auto [f, f_jti] = make(kNow + 40);
  ASSERT_TRUE(Ok(v.Verify(f, served_)));
  ExpectRefused(v.Verify(b, served_), Code::kPermissionDenied,
                "too old for the replay window: token " + b_jti + " of host " + hid_ + window);
  EXPECT_EQ(v.replay_entries(), 2u);
}

TEST_F(VerifierTest, ExpiredPairsAreDropped) {
  VerifierConfig c = Config();
  InvocationVerifier v(c);
  SignOptions o;
  o.iat = kNow;
  o.exp = kNow + 10;
  ASSERT_TRUE(Ok(v.Verify(Encode(Make(o)), served_)));
  EXPECT_EQ(v.replay_entries(), 1u);
  now_ = kNow + 100;  // the first token is long expired
  o.iat = now_;
  o.exp = now_ + 10;
  ASSERT_TRUE(Ok(v.Verify(Encode(Make(o)), served_)));
  EXPECT_EQ(v.replay_entries(), 1u);
}

TEST_F(VerifierTest, UntrustedIssuerUnderAList) {
  VerifierConfig c = Config();
  auto policy = IssuerPolicy::Parse(KeyPair::Generate(KeyType::kServer).public_key_text());
  ASSERT_TRUE(Ok(policy));
  c.issuers = *policy;
  InvocationVerifier v(c);
  ExpectRefused(
      v.Verify(Encode(Make()), served_), Code::kPermissionDenied,
      "untrusted issuer: host " + hid_ + " is not one of the accepted invocation issuers");

  VerifierConfig listed = Config();
  auto with_host =
      IssuerPolicy::Parse(KeyPair::Generate(KeyType::kServer).public_key_text() + "," + hid_);
  ASSERT_TRUE(Ok(with_host));
  listed.issuers = *with_host;
  InvocationVerifier ok(listed);
  EXPECT_TRUE(Ok(ok.Verify(Encode(Make()), served_)));
}

TEST_F(VerifierTest, LatticePolicyAsksTheCallback) {
  std::vector<std::string> asked;
  bool member = false;
  VerifierConfig c = Config();
  c.issuers.kind = IssuerPolicy::Kind::kLattice;
  c.issuers.is_lattice_host = [&](std::string_view key) {
    asked.emplace_back(key);
    return member;
  };
  InvocationVerifier v(c);
  Bytes b = Encode(Make());
  ExpectRefused(v.Verify(b, served_), Code::kPermissionDenied,
                "untrusted issuer: host " + hid_ +
                    " is not a host of this lattice (invocation issuers: lattice)");
  EXPECT_EQ(asked, std::vector<std::string>{hid_});
  member = true;
  EXPECT_TRUE(Ok(v.Verify(b, served_)));
  EXPECT_EQ(asked.size(), 2u);

  // No callback: nobody is known to be in the lattice.
  VerifierConfig none = Config();
  none.issuers.kind = IssuerPolicy::Kind::kLattice;
  InvocationVerifier v2(none);
  auto r = v2.Verify(Encode(Make()), served_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().rfind("untrusted issuer: ", 0), 0u);
}

TEST(IssuerPolicyTest, Parse) {
  auto any = IssuerPolicy::Parse("any");
  ASSERT_TRUE(Ok(any));
  EXPECT_EQ(any->kind, IssuerPolicy::Kind::kAny);
  auto lattice = IssuerPolicy::Parse(" lattice ");
  ASSERT_TRUE(Ok(lattice));
  EXPECT_EQ(lattice->kind, IssuerPolicy::Kind::kLattice);

  std::string n1 = KeyPair::Generate(KeyType::kServer).public_key_text();
  std::string n2 = KeyPair::Generate(KeyType::kServer).public_key_text();
  auto list = IssuerPolicy::Parse(n1 + ", " + n2);
  ASSERT_TRUE(Ok(list));
  EXPECT_EQ(list->kind, IssuerPolicy::Kind::kList);
  EXPECT_EQ(list->keys, (std::vector<std::string>{n1, n2}));
}

TEST(IssuerPolicyTest, ParseRefusesWhatIsNotAHostKey) {
  std::string n1 = KeyPair::Generate(KeyType::kServer).public_key_text();
  std::string account = KeyPair::Generate(KeyType::kAccount).public_key_text();
  auto wrong_type = IssuerPolicy::Parse(n1 + "," + account);
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_EQ(wrong_type.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(wrong_type.status().message(),
            "invocation issuers: \"" + account +
                "\" is a key of type account, not a host (server, N...) key");

  auto garbage = IssuerPolicy::Parse(n1 + ",nope");
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(garbage.status().message().rfind(
                "invocation issuers: \"nope\" is not a host (N...) public key (bad length", 0),
            0u)
      << garbage.status().message();

  auto empty_entry = IssuerPolicy::Parse(n1 + ",,");
  ASSERT_FALSE(empty_entry.ok());
  EXPECT_NE(empty_entry.status().message().find("\"\" is not a host"), std::string::npos);

  auto empty = IssuerPolicy::Parse("");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace wasmcloud::lattice
