#include "lattice/lattice_store_conformance.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <initializer_list>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/log.h"
#include "crypto/jwt.h"
#include "crypto/sha256.h"
#include "crypto/verify.h"
#include "support/log_capture.h"

namespace wasmcloud::lattice {

// --- StoreRecorder

void StoreRecorder::Add(Call call) {
  {
    std::lock_guard lock(mu_);
    calls_.push_back(std::move(call));
  }
  cv_.notify_all();
}

void StoreRecorder::OnLinkPut(const LinkDefinition& link,
                              const std::optional<LinkDefinition>& previous) {
  Call c;
  c.kind = Call::Kind::kLinkPut;
  c.link = link;
  c.previous = previous;
  Add(std::move(c));
}

void StoreRecorder::OnLinkDeleted(const LinkDefinition& link) {
  Call c;
  c.kind = Call::Kind::kLinkDeleted;
  c.link = link;
  Add(std::move(c));
}

void StoreRecorder::OnClaims(const ClaimsRecord& record) {
  Call c;
  c.kind = Call::Kind::kClaims;
  c.claims = record;
  c.public_key = record.claims.sub;
  Add(std::move(c));
}

void StoreRecorder::OnAlias(const std::string& alias, const std::string& public_key) {
  Call c;
  c.kind = Call::Kind::kAlias;
  c.name = alias;
  c.public_key = public_key;
  Add(std::move(c));
}

void StoreRecorder::OnOciRef(const std::string& oci_ref, const std::string& public_key) {
  Call c;
  c.kind = Call::Kind::kOciRef;
  c.name = oci_ref;
  c.public_key = public_key;
  Add(std::move(c));
}

std::vector<StoreRecorder::Call> StoreRecorder::Calls() const {
  std::lock_guard lock(mu_);
  return calls_;
}

size_t StoreRecorder::size() const {
  std::lock_guard lock(mu_);
  return calls_.size();
}

bool StoreRecorder::WaitUntil(const std::function<bool(const std::vector<Call>&)>& done,
                              std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return done(calls_); });
}

bool StoreRecorder::WaitForCall(const std::function<bool(const Call&)>& match,
                                std::chrono::milliseconds timeout) {
  return WaitUntil(
      [&](const std::vector<Call>& calls) {
        return std::any_of(calls.begin(), calls.end(), match);
      },
      timeout);
}

// --- DegradedRecorder

void DegradedRecorder::OnDegraded(bool degraded, const std::string& why) {
  {
    std::lock_guard lock(mu_);
    calls_.emplace_back(degraded, why);
  }
  cv_.notify_all();
}

std::vector<std::pair<bool, std::string>> DegradedRecorder::Calls() const {
  std::lock_guard lock(mu_);
  return calls_;
}

bool DegradedRecorder::WaitFor(size_t count, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return calls_.size() >= count; });
}

// --- helpers

SignedClaims TestActor::Sign(const crypto::ActorClaimsSpec& spec) const {
  crypto::ActorClaims claims =
      crypto::NewActorClaims(spec, account.public_key_text(), module.public_key_text(),
                             static_cast<uint64_t>(crypto::SystemUnixSeconds()));
  auto token = crypto::EncodeClaims(claims, account);
  EXPECT_TRUE(token.ok()) << token.status().ToString();
  return {claims, token.ok() ? *token : std::string()};
}

LinkDefinition MakeLink(std::string actor_id, std::string contract_id, std::string link_name,
                        std::string provider_id, LinkValues values) {
  LinkDefinition link;
  link.actor_id = std::move(actor_id);
  link.contract_id = std::move(contract_id);
  link.link_name = std::move(link_name);
  link.provider_id = std::move(provider_id);
  link.values = std::move(values);
  return link;
}

void LatticeStoreConformance::SetUp() {
  test_bucket_ = CreateTestBucket(GetParam(), KvBucketSpec{});
}

void LatticeStoreConformance::TearDown() { test_bucket_.reset(); }

std::unique_ptr<StoreHost> LatticeStoreConformance::NewHost(LatticeStoreOptions options) {
  auto handle = RawHandle();
  if (!handle) return nullptr;
  auto host = std::make_unique<StoreHost>();
  host->handle = handle;
  host->recorder = std::make_unique<StoreRecorder>();
  host->store = std::make_unique<LatticeStore>(handle, std::move(options));
  host->store->AddListener(host->recorder.get());
  return host;
}

std::unique_ptr<StoreHost> LatticeStoreConformance::StartHost(LatticeStoreOptions options) {
  auto host = NewHost(std::move(options));
  if (!host) return nullptr;
  Status started = host->store->Start(kKvWait);
  EXPECT_TRUE(started.ok()) << started.ToString();
  if (!started.ok()) return nullptr;
  EXPECT_TRUE(host->store->ready());
  return host;
}

std::shared_ptr<KvBucket> LatticeStoreConformance::RawHandle() {
  if (!test_bucket_) return nullptr;
  return OpenHandle(*test_bucket_);
}

namespace {

using Call = StoreRecorder::Call;
using Json = nlohmann::json;

constexpr const char* kHttp = "wasmcloud:httpserver";
constexpr const char* kKv = "wasmcloud:keyvalue";

#define ASSERT_OK(expr)                                    \
  do {                                                     \
    const ::wasmcloud::Status assert_ok_ = (expr);         \
    ASSERT_TRUE(assert_ok_.ok()) << assert_ok_.ToString(); \
  } while (0)

std::function<bool(const Call&)> LinkPutOf(const LinkDefinition& link) {
  return [link](const Call& c) { return c.kind == Call::Kind::kLinkPut && c.link == link; };
}

std::function<bool(const Call&)> CallOf(Call::Kind kind, std::string public_key) {
  return [kind, public_key](const Call& c) { return c.kind == kind && c.public_key == public_key; };
}

// The JSON value stored under `key`; null when absent or not JSON.
Json StoredJson(KvBucket& bucket, const std::string& key) {
  auto entry = bucket.Get(key);
  EXPECT_TRUE(entry.ok()) << entry.status().ToString();
  if (!entry.ok() || !entry->has_value()) return nullptr;
  Json j = Json::parse(AsChars((*entry)->value), nullptr, false);
  return j.is_discarded() ? Json(nullptr) : j;
}

uint64_t RawPut(KvBucket& bucket, const std::string& key, std::string_view value) {
  auto rev = bucket.Put(key, AsBytes(value));
  EXPECT_TRUE(rev.ok()) << key << ": " << rev.status().ToString();
  return rev.ok() ? *rev : 0;
}

// Collects the warnings logged while it lives (instead of printing them). The sink holds
// its own reference to what it fills, so a late log line from a watch thread is harmless.
class WarningCapture {
 public:
  WarningCapture() : lines_(std::make_shared<Lines>()) {
    SetLogSink([lines = lines_](LogLevel level, std::string_view, std::string_view msg) {
      if (level < LogLevel::kWarn) return;
      std::lock_guard lock(lines->mu);
      lines->text.emplace_back(msg);
    });
  }
  ~WarningCapture() { SetLogSink({}); }
  WarningCapture(const WarningCapture&) = delete;
  WarningCapture& operator=(const WarningCapture&) = delete;

  // The warnings that contain `part`.
  std::vector<std::string> Matching(std::string_view part) const {
    std::lock_guard lock(lines_->mu);
    std::vector<std::string> out;
    for (const std::string& line : lines_->text) {
      if (line.find(part) != std::string::npos) out.push_back(line);
    }
    return out;
  }
  // How many warnings contain every one of `parts`.
  size_t Count(std::initializer_list<std::string_view> parts) const {
    std::lock_guard lock(lines_->mu);
    return std::count_if(lines_->text.begin(), lines_->text.end(), [&](const std::string& line) {
      return std::all_of(parts.begin(), parts.end(),
                         [&](std::string_view p) { return line.find(p) != std::string::npos; });
    });
  }

 private:
  struct Lines {
    std::mutex mu;
    std::vector<std::string> text;
  };
  std::shared_ptr<Lines> lines_;
};

crypto::ActorClaimsSpec Spec(std::string name, std::vector<std::string> caps = {kHttp}) {
  crypto::ActorClaimsSpec spec;
  spec.name = std::move(name);
  spec.caps = std::move(caps);
  return spec;
}

TEST_P(LatticeStoreConformance, ALinkPutOnOneHostReachesTheOther) {
  auto a = StartHost();
  auto b = StartHost();
  ASSERT_TRUE(a && b);
  LinkDefinition link = MakeLink("Mactor", kHttp, "default", "Vprovider", {{"PORT", "8080"}});
  ASSERT_OK(a->store->PutLink(link));
  EXPECT_EQ(a->store->FindLink("Mactor", kHttp, "default"), link);

  ASSERT_TRUE(b->recorder->WaitForCall(LinkPutOf(link)));
  EXPECT_EQ(b->store->FindLink("Mactor", kHttp, "default"), link);
  for (const auto& host : {a.get(), b.get()}) {
    auto calls = host->recorder->Calls();
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].previous, std::nullopt);
    EXPECT_EQ(host->store->Links(), std::vector<LinkDefinition>{link});
    EXPECT_EQ(host->store->LinksOfActor("Mactor"), std::vector<LinkDefinition>{link});
    EXPECT_EQ(host->store->LinksOfProvider("Vprovider", "default"),
              std::vector<LinkDefinition>{link});
    EXPECT_TRUE(host->store->LinksOfProvider("Vprovider", "other").empty());
    EXPECT_TRUE(host->store->LinksOfActor("Mother").empty());
    EXPECT_EQ(host->store->FindLink("Mactor", kHttp, "other"), std::nullopt);
  }

  // New values: the listener gets the old definition too.
  LinkDefinition changed = link;
  changed.values["PORT"] = "9090";
  ASSERT_OK(a->store->PutLink(changed));
  ASSERT_TRUE(b->recorder->WaitForCall(LinkPutOf(changed)));
  auto calls = b->recorder->Calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].previous, link);
  EXPECT_EQ(b->store->FindLink("Mactor", kHttp, "default"), changed);

  // The bucket holds it under LINKDEF_{id}, as lattice.md says.
  std::string key = "LINKDEF_" + LinkId("Mactor", kHttp, "default");
  Json stored = StoredJson(*RawHandle(), key);
  ASSERT_TRUE(stored.is_object()) << key;
  EXPECT_EQ(stored.value("id", ""), LinkId("Mactor", kHttp, "default"));
  EXPECT_EQ(stored.value("provider_id", ""), "Vprovider");
  EXPECT_EQ(stored["values"]["PORT"], "9090");
}

TEST_P(LatticeStoreConformance, LinksAreOrderedAndFiltered) {
  auto a = StartHost();
  ASSERT_TRUE(a);
  std::vector<LinkDefinition> links = {
      MakeLink("Mb", kKv, "default", "Vredis"), MakeLink("Ma", kHttp, "default", "Vhttp"),
      MakeLink("Ma", kKv, "default", "Vredis"), MakeLink("Ma", kKv, "cache", "Vmem"),
      MakeLink("Mab", kKv, "default", "Vredis")};
  for (const auto& l : links) ASSERT_OK(a->store->PutLink(l));
  std::vector<LinkDefinition> sorted = links;
  std::sort(sorted.begin(), sorted.end(), [](const auto& x, const auto& y) {
    return std::tie(x.actor_id, x.contract_id, x.link_name) <
           std::tie(y.actor_id, y.contract_id, y.link_name);
  });
  EXPECT_EQ(a->store->Links(), sorted);
  EXPECT_EQ(a->store->LinksOfActor("Ma"),
            (std::vector<LinkDefinition>{links[1], links[3], links[2]}));
  EXPECT_EQ(a->store->LinksOfProvider("Vredis", "default"),
            (std::vector<LinkDefinition>{links[2], links[4], links[0]}));
}

TEST_P(LatticeStoreConformance, DeleteLinkReachesTheOtherHost) {
  auto a = StartHost();
  auto b = StartHost();
  ASSERT_TRUE(a && b);
  LinkDefinition link = MakeLink("Mactor", kKv, "default", "Vredis", {{"URL", "redis://x"}});
  ASSERT_OK(a->store->PutLink(link));
  ASSERT_TRUE(b->recorder->WaitForCall(LinkPutOf(link)));

  // Deleted by the other host.
  auto deleted = b->store->DeleteLink("Mactor", kKv, "default");
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(*deleted, link);
  EXPECT_EQ(b->store->FindLink("Mactor", kKv, "default"), std::nullopt);
  ASSERT_TRUE(a->recorder->WaitForCall(
      [&](const Call& c) { return c.kind == Call::Kind::kLinkDeleted && c.link == link; }));
  EXPECT_EQ(a->store->FindLink("Mactor", kKv, "default"), std::nullopt);
  EXPECT_TRUE(a->store->Links().empty());

  auto again = a->store->DeleteLink("Mactor", kKv, "default");
  EXPECT_EQ(again.status().code(), Code::kNotFound) << again.status().ToString();
  auto absent = RawHandle()->Get("LINKDEF_" + LinkId("Mactor", kKv, "default"));
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->has_value());
}

TEST_P(LatticeStoreConformance, ListenersSeeChangesInOrder) {
  auto a = StartHost();
  auto b = StartHost();
  ASSERT_TRUE(a && b);
  std::vector<LinkDefinition> links;
  for (int i = 0; i < 50; ++i) {
    links.push_back(MakeLink("M" + std::to_string(i % 7), kHttp, "l" + std::to_string(i), "V"));
    ASSERT_OK(a->store->PutLink(links.back()));
    if (i % 5 == 4) {
      ASSERT_TRUE(a->store->DeleteLink(links[i - 2].actor_id, kHttp, links[i - 2].link_name).ok());
    }
  }
  std::vector<Call> expected = a->recorder->Calls();
  ASSERT_EQ(expected.size(), 60u);
  ASSERT_TRUE(b->recorder->WaitUntil([](const auto& calls) { return calls.size() >= 60; }));
  auto seen = b->recorder->Calls();
  ASSERT_EQ(seen.size(), expected.size());
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].kind, expected[i].kind) << i;
    EXPECT_EQ(seen[i].link, expected[i].link) << i;
  }
  EXPECT_EQ(a->store->Links(), b->store->Links());
}

TEST_P(LatticeStoreConformance, ClaimsArePutVerifiedAndShared) {
  auto a = StartHost();
  auto b = StartHost();
  ASSERT_TRUE(a && b);
  TestActor actor;
  auto [claims, token] = actor.Sign(Spec("echo"));
  ASSERT_OK(a->store->PutClaims(claims, token));

  auto mine = a->store->Claims(actor.public_key());
  ASSERT_TRUE(mine.has_value());
  EXPECT_EQ(mine->jwt, token);
  EXPECT_EQ(mine->claims.sub, actor.public_key());
  EXPECT_EQ(mine->claims.iss, actor.account.public_key_text());
  ASSERT_TRUE(mine->claims.wascap.has_value());
  EXPECT_EQ(mine->claims.wascap->name, "echo");

  ASSERT_TRUE(b->recorder->WaitForCall(CallOf(Call::Kind::kClaims, actor.public_key())));
  auto theirs = b->store->Claims(actor.public_key());
  ASSERT_TRUE(theirs.has_value());
  EXPECT_EQ(theirs->jwt, token);
  EXPECT_EQ(crypto::ToJson(theirs->claims), crypto::ToJson(claims));
  auto all = b->store->AllClaims();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all.begin()->first, actor.public_key());

  // The bucket value: the decoded claims plus the token.
  Json stored = StoredJson(*RawHandle(), "CLAIMS_" + actor.public_key());
  ASSERT_TRUE(stored.is_object());
  EXPECT_EQ(stored.value("jwt", ""), token);
  EXPECT_EQ(stored.value("sub", ""), actor.public_key());
  EXPECT_EQ(stored.value("iss", ""), actor.account.public_key_text());
  EXPECT_EQ(stored["wascap"]["name"], "echo");
  EXPECT_EQ(stored["wascap"]["caps"], Json::array({kHttp}));

  // Expiry is the dispatcher's business: expired claims are stored and read.
  TestActor old;
  crypto::ActorClaimsSpec spec = Spec("old");
  uint64_t now = static_cast<uint64_t>(crypto::SystemUnixSeconds());
  spec.nbf = now - 7200;
  spec.exp = now - 3600;
  auto [old_claims, old_token] = old.Sign(spec);
  ASSERT_OK(a->store->PutClaims(old_claims, old_token));
  ASSERT_TRUE(b->recorder->WaitForCall(CallOf(Call::Kind::kClaims, old.public_key())));
  EXPECT_TRUE(b->store->Claims(old.public_key()).has_value());
}

TEST_P(LatticeStoreConformance, PutClaimsRefusesWhatDoesNotVerify) {
  auto a = StartHost();
  ASSERT_TRUE(a);
  TestActor actor, other;
  auto [claims, token] = actor.Sign(Spec("echo"));
  crypto::KeyPair mallory = crypto::KeyPair::Generate(crypto::KeyType::kAccount);
  std::string forged = crypto::SignJwt(crypto::ToJson(claims), mallory);
  EXPECT_FALSE(a->store->PutClaims(claims, forged).ok());
  auto [other_claims, other_token] = other.Sign(Spec("other"));
  EXPECT_FALSE(a->store->PutClaims(claims, other_token).ok());  // the token is another's
  EXPECT_FALSE(a->store->PutClaims(claims, "not.a.token").ok());
  auto absent = RawHandle()->Get("CLAIMS_" + actor.public_key());
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->has_value());
  EXPECT_FALSE(a->store->Claims(actor.public_key()).has_value());
}

TEST_P(LatticeStoreConformance, InvalidClaimsInTheBucketAreIgnored) {
  WarningCapture warnings;
  auto a = StartHost();
  ASSERT_TRUE(a);
  auto raw = RawHandle();
  ASSERT_TRUE(raw);
  TestActor victim, other, sentinel;
  // Not structured bindings: clang 14 cannot capture those in a lambda.
  SignedClaims victim_signed = victim.Sign(Spec("victim"));
  const crypto::ActorClaims& claims = victim_signed.claims;
  const std::string& token = victim_signed.token;
  auto value_with = [&](const std::string& jwt) {
    Json j = Json::parse(crypto::ToJson(claims), nullptr, false);
    j["jwt"] = jwt;
    return j.dump();
  };
  std::string key = "CLAIMS_" + victim.public_key();
  // A bad signature: the victim's claims signed by someone else (iss still the account).
  crypto::KeyPair mallory = crypto::KeyPair::Generate(crypto::KeyType::kAccount);
  RawPut(*raw, key, value_with(crypto::SignJwt(crypto::ToJson(claims), mallory)));
  // A valid token, but of another actor: sub is not the key's.
  auto [other_claims, other_token] = other.Sign(Spec("other"));
  RawPut(*raw, key, value_with(other_token));
  // A token signed by the module key itself (issuer of the wrong type).
  auto self_signed = crypto::EncodeClaims(
      crypto::NewActorClaims(Spec("self"), victim.public_key(), victim.public_key(), 1),
      victim.module);
  ASSERT_TRUE(self_signed.ok());
  RawPut(*raw, key, value_with(*self_signed));
  // Garbage of every shape.
  for (std::string garbage :
       {std::string("{not json"), std::string("[1,2,3]"), std::string("\"x\""), std::string("{}"),
        std::string(R"({"jwt":42})"), std::string(R"({"jwt":"a.b.c"})"),
        std::string(R"({"jwt":""})"), std::string("\xff\xfe\x00", 3), std::string(100000, '['),
        std::string(50000, '[') + std::string(50000, ']')}) {
    RawPut(*raw, key, garbage);
  }
  RawPut(*raw, "CLAIMS_", value_with(token));
  RawPut(*raw, "CLAIMS_notakey", value_with(token));

  // A valid value after all of them: once it is applied, so were they.
  auto [good_claims, good_token] = sentinel.Sign(Spec("good"));
  ASSERT_OK(a->store->PutClaims(good_claims, good_token));
  auto late = StartHost();
  ASSERT_TRUE(late);
  for (const auto& host : {a.get(), late.get()}) {
    EXPECT_FALSE(host->store->Claims(victim.public_key()).has_value());
    EXPECT_FALSE(host->store->Claims(other.public_key()).has_value());
    auto all = host->store->AllClaims();
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all.begin()->first, sentinel.public_key());
    auto calls = host->recorder->Calls();
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].public_key, sentinel.public_key());
  }

  // Each ignored value was logged, by both hosts (the late one saw the last values only).
  EXPECT_EQ(warnings.Count({"CLAIMS_" + victim.public_key(), "bad signature"}), 1u);
  EXPECT_EQ(warnings.Count({"CLAIMS_" + victim.public_key(), "is not " + victim.public_key()}), 1u);
  EXPECT_EQ(warnings.Count({"CLAIMS_" + victim.public_key(), "wrong key type"}), 1u);
  EXPECT_EQ(warnings.Count({"CLAIMS_" + victim.public_key()}), 13u + 1u);
  EXPECT_EQ(warnings.Count({"CLAIMS_notakey"}), 2u);

  // The victim's real claims still go in afterwards.
  ASSERT_OK(a->store->PutClaims(claims, token));
  EXPECT_TRUE(a->store->Claims(victim.public_key()).has_value());
}

TEST_P(LatticeStoreConformance, ClaimsAreGrowOnly) {
  auto a = StartHost();
  auto b = StartHost();
  ASSERT_TRUE(a && b);
  auto raw = RawHandle();
  TestActor one, two;
  auto [c1, t1] = one.Sign(Spec("one"));
  auto [c2, t2] = two.Sign(Spec("two"));
  ASSERT_OK(a->store->PutClaims(c1, t1));
  ASSERT_OK(b->store->PutClaims(c2, t2));
  auto rev = raw->Get("CLAIMS_" + one.public_key());
  ASSERT_TRUE(rev.ok() && rev->has_value());

  // The same token again writes nothing (once the mirror has it).
  ASSERT_OK(a->store->PutClaims(c1, t1));
  auto again = raw->Get("CLAIMS_" + one.public_key());
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ((*again)->revision, (*rev)->revision);

  // Claims of both actors are kept; a new token replaces the actor's old one.
  crypto::ActorClaimsSpec spec = Spec("one");
  spec.rev = 2;
  SignedClaims renewed = one.Sign(spec);
  const crypto::ActorClaims& c1b = renewed.claims;
  const std::string& t1b = renewed.token;
  ASSERT_OK(b->store->PutClaims(c1b, t1b));
  EXPECT_EQ(b->store->Claims(one.public_key())->jwt, t1b);
  ASSERT_TRUE(a->recorder->WaitUntil([&](const auto&) {
    auto r = a->store->Claims(one.public_key());
    return r && r->jwt == t1b;
  }));
  for (const auto& host : {a.get(), b.get()}) {
    auto all = host->store->AllClaims();
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all.at(one.public_key()).wascap->rev, 2);
    EXPECT_TRUE(all.count(two.public_key()));
  }
}

TEST_P(LatticeStoreConformance, TheFirstAliasClaimantWins) {
  auto a = StartHost();
  auto b = StartHost();
  ASSERT_TRUE(a && b);
  TestActor first, second;
  auto owner = a->store->ClaimAlias("echo", first.public_key());
  ASSERT_TRUE(owner.ok()) << owner.status().ToString();
  EXPECT_EQ(*owner, first.public_key());
  EXPECT_EQ(a->store->AliasOwner("echo"), first.public_key());

  // The second claimant gets the owner's key (whether b's mirror has the alias yet or not).
  auto taken = b->store->ClaimAlias("echo", second.public_key());
  ASSERT_TRUE(taken.ok()) << taken.status().ToString();
  EXPECT_EQ(*taken, first.public_key());
  auto mine = a->store->ClaimAlias("echo", first.public_key());
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(*mine, first.public_key());

  ASSERT_TRUE(b->recorder->WaitForCall(CallOf(Call::Kind::kAlias, first.public_key())));
  EXPECT_EQ(b->store->AliasOwner("echo"), first.public_key());
  EXPECT_EQ(b->store->AliasOwner("other"), "");
  Json stored = StoredJson(*RawHandle(), "ALIAS_echo");
  EXPECT_EQ(stored, Json({{"alias", "echo"}, {"public_key", first.public_key()}}));

  // An alias that is not a key as it is.
  auto odd = a->store->ClaimAlias("team/echo.v1", second.public_key());
  ASSERT_TRUE(odd.ok()) << odd.status().ToString();
  EXPECT_EQ(*odd, second.public_key());
  EXPECT_EQ(StoredJson(*RawHandle(), "ALIAS_team/echo=2Ev1").value("public_key", ""),
            second.public_key());
  EXPECT_EQ(a->store->ClaimAlias("", first.public_key()).status().code(), Code::kInvalidArgument);
}

TEST_P(LatticeStoreConformance, RacingAliasClaimantsAgreeOnTheOwner) {
  auto a = StartHost();
  auto b = StartHost();
  ASSERT_TRUE(a && b);
  constexpr int kClaimants = 8;
  std::vector<std::string> keys, answers(kClaimants);
  for (int i = 0; i < kClaimants; ++i) keys.push_back(TestActor().public_key());
  std::vector<std::thread> threads;
  for (int i = 0; i < kClaimants; ++i) {
    threads.emplace_back([&, i] {
      LatticeStore& store = i % 2 == 0 ? *a->store : *b->store;
      auto owner = store.ClaimAlias("contested", keys[i]);
      EXPECT_TRUE(owner.ok()) << owner.status().ToString();
      if (owner.ok()) answers[i] = *owner;
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> distinct(answers.begin(), answers.end());
  ASSERT_EQ(distinct.size(), 1u);
  const std::string& winner = *distinct.begin();
  EXPECT_NE(std::find(keys.begin(), keys.end(), winner), keys.end());
  for (const auto& host : {a.get(), b.get()}) {
    ASSERT_TRUE(host->recorder->WaitForCall(CallOf(Call::Kind::kAlias, winner)));
    EXPECT_EQ(host->store->AliasOwner("contested"), winner);
    EXPECT_EQ(host->recorder->size(), 1u);
  }
}

TEST_P(LatticeStoreConformance, OciRefsUseEncodedKeys) {
  EXPECT_EQ(EncodeKeyPart("127.0.0.1:5000/echo:0.1"), "127=2E0=2E0=2E1=3A5000/echo=3A0=2E1");
  EXPECT_EQ(EncodeKeyPart("a=b"), "a=3Db");
  std::string all_bytes;
  for (int c = 0; c < 256; ++c) all_bytes += static_cast<char>(c);
  for (const std::string& text :
       {std::string(), std::string("plain_Text-09/x"), std::string("="), std::string("=3D"),
        std::string("wasmcloud.azurecr.io/echo@sha256:0123abcd"), std::string("\xc3\xbcn\xc3\xafx"),
        all_bytes}) {
    std::string encoded = EncodeKeyPart(text);
    EXPECT_EQ(encoded.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                        "0123456789_/-="),
              std::string::npos)
        << encoded;
    auto decoded = DecodeKeyPart(encoded);
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(*decoded, text);
  }
  for (const char* bad : {"=", "=4", "=4g", "=2e", "=41", "a.b", "a b", "a=", "=zz"}) {
    EXPECT_EQ(DecodeKeyPart(bad).status().code(), Code::kMalformed) << bad;
  }

  auto a = StartHost();
  auto b = StartHost();
  ASSERT_TRUE(a && b);
  TestActor echo;
  const std::string ref = "127.0.0.1:5000/echo:0.1";
  ASSERT_OK(a->store->PutOciRef(ref, echo.public_key()));
  EXPECT_EQ(a->store->ResolveOciRef(ref), echo.public_key());
  ASSERT_TRUE(b->recorder->WaitForCall(CallOf(Call::Kind::kOciRef, echo.public_key())));
  EXPECT_EQ(b->store->ResolveOciRef(ref), echo.public_key());
  EXPECT_EQ(b->store->ResolveOciRef("127.0.0.1:5000/echo:0.2"), "");
  EXPECT_EQ(b->store->OciRefs(), (std::map<std::string, std::string>{{ref, echo.public_key()}}));
  EXPECT_EQ(b->recorder->Calls()[0].name, ref);
  Json stored = StoredJson(*RawHandle(), "REFMAP_127=2E0=2E0=2E1=3A5000/echo=3A0=2E1");
  EXPECT_EQ(stored, Json({{"oci_url", ref}, {"public_key", echo.public_key()}}));
  EXPECT_EQ(a->store->PutOciRef("", echo.public_key()).code(), Code::kInvalidArgument);
}

// A reference whose encoded key would pass the 255 bytes a key may have (dots and colons
// take three bytes each) is stored under the SHA-256 of the reference, and found, applied
// and deleted as any other.
TEST_P(LatticeStoreConformance, AReferenceTooLongForAKeyIsStoredUnderItsHash) {
  std::string ref = "registry.example.com:5000/";
  for (int i = 0; i < 12; ++i) ref += "a.b.c.d.e/";
  ref += "echo@sha256:" + std::string(64, 'f');
  ASSERT_GT(std::string("REFMAP_").size() + EncodeKeyPart(ref).size(), 255u);
  const std::string key = NameKey("REFMAP_", ref);
  EXPECT_EQ(key, "REFMAP_=SHA256_" + HexEncode(crypto::Sha256(AsBytes(ref))));
  EXPECT_EQ(NameKey("REFMAP_", "a:b"), "REFMAP_a=3Ab");  // short names keep their form

  auto a = StartHost();
  auto b = StartHost();
  ASSERT_TRUE(a && b);
  TestActor echo;
  ASSERT_OK(a->store->PutOciRef(ref, echo.public_key()));
  EXPECT_EQ(a->store->ResolveOciRef(ref), echo.public_key());
  ASSERT_TRUE(b->recorder->WaitForCall(CallOf(Call::Kind::kOciRef, echo.public_key())));
  EXPECT_EQ(b->store->ResolveOciRef(ref), echo.public_key());
  EXPECT_EQ(StoredJson(*RawHandle(), key),
            Json({{"oci_url", ref}, {"public_key", echo.public_key()}}));
  // Someone else deletes it: the mirrors follow (a delete makes no listener call, so this
  // looks until the time a write takes).
  ASSERT_TRUE(RawHandle()->Delete(key).ok());
  EXPECT_TRUE(wasmcloud::testing::Eventually([&] { return b->store->ResolveOciRef(ref).empty(); },
                                             kKvWait));
  // An alias as long is stored the same way.
  const std::string alias(300, '.');
  TestActor other;
  auto owner = a->store->ClaimAlias(alias, other.public_key());
  ASSERT_TRUE(owner.ok()) << owner.status().ToString();
  EXPECT_EQ(*owner, other.public_key());
  EXPECT_TRUE(wasmcloud::testing::Eventually(
      [&] { return b->store->AliasOwner(alias) == other.public_key(); }, kKvWait));
}

TEST_P(LatticeStoreConformance, ALateJoinerSeesEverythingWhenStartReturns) {
  auto a = StartHost();
  ASSERT_TRUE(a);
  constexpr int kLinks = 1000;
  std::vector<LinkDefinition> links;
  for (int i = 0; i < kLinks; ++i) {
    links.push_back(MakeLink("M" + std::to_string(i), kHttp, "default", "Vhttp",
                             {{"PORT", std::to_string(8000 + i)}}));
  }
  // Four writers, to keep a networked bucket's round trips short.
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      for (int i = w; i < kLinks; i += 4) EXPECT_TRUE(a->store->PutLink(links[i]).ok()) << i;
    });
  }
  for (auto& t : writers) t.join();
  TestActor actor;
  auto [claims, token] = actor.Sign(Spec("late"));
  ASSERT_OK(a->store->PutClaims(claims, token));
  ASSERT_TRUE(a->store->ClaimAlias("late", actor.public_key()).ok());
  ASSERT_OK(a->store->PutOciRef("registry/late:1", actor.public_key()));

  auto late = NewHost();
  ASSERT_TRUE(late);
  EXPECT_FALSE(late->store->ready());
  ASSERT_OK(late->store->Start(kKvWait));
  // No waiting from here on: Start returned after the initial values were applied.
  EXPECT_TRUE(late->store->ready());
  EXPECT_EQ(late->store->Links().size(), static_cast<size_t>(kLinks));
  EXPECT_EQ(late->store->FindLink("M999", kHttp, "default"), links[999]);
  EXPECT_TRUE(late->store->Claims(actor.public_key()).has_value());
  EXPECT_EQ(late->store->AliasOwner("late"), actor.public_key());
  EXPECT_EQ(late->store->ResolveOciRef("registry/late:1"), actor.public_key());
  auto calls = late->recorder->Calls();
  ASSERT_EQ(calls.size(), static_cast<size_t>(kLinks) + 3);
  std::set<std::string> actors;
  for (const Call& c : calls) {
    if (c.kind == Call::Kind::kLinkPut) actors.insert(c.link.actor_id);
  }
  EXPECT_EQ(actors.size(), static_cast<size_t>(kLinks));
  EXPECT_EQ(late->store->Links(), a->store->Links());
}

TEST_P(LatticeStoreConformance, AWriterReadsItsOwnWrites) {
  auto a = StartHost();
  auto b = StartHost();  // another watcher on the bucket
  ASSERT_TRUE(a && b);
  TestActor actor;
  auto [claims, token] = actor.Sign(Spec("ryw"));
  for (int i = 0; i < 50; ++i) {
    std::string n = std::to_string(i);
    LinkDefinition link = MakeLink("M" + n, kKv, "default", "V" + n);
    ASSERT_OK(a->store->PutLink(link));
    ASSERT_EQ(a->store->FindLink("M" + n, kKv, "default"), link) << i;
    ASSERT_OK(a->store->PutOciRef("ref:" + n, "M" + n));
    ASSERT_EQ(a->store->ResolveOciRef("ref:" + n), "M" + n) << i;
    auto owner = a->store->ClaimAlias("alias" + n, "M" + n);
    ASSERT_TRUE(owner.ok()) << owner.status().ToString();
    ASSERT_EQ(a->store->AliasOwner("alias" + n), "M" + n) << i;
    ASSERT_TRUE(a->store->DeleteLink("M" + n, kKv, "default").ok());
    ASSERT_EQ(a->store->FindLink("M" + n, kKv, "default"), std::nullopt) << i;
  }
  ASSERT_OK(a->store->PutClaims(claims, token));
  EXPECT_TRUE(a->store->Claims(actor.public_key()).has_value());
}

// Writes from inside its listener calls: on the watch thread, which must not wait for itself.
class WritingListener : public LatticeStoreListener {
 public:
  explicit WritingListener(LatticeStore* store) : store_(store) {}
  void OnLinkPut(const LinkDefinition& link, const std::optional<LinkDefinition>&) override {
    if (link.link_name != "trigger") return;
    Status st = store_->PutOciRef("written/by-listener:1", link.actor_id);
    Status st2 = store_->PutLink(MakeLink(link.actor_id, link.contract_id, "follow-up", "V"));
    auto owner = store_->ClaimAlias("listener-alias", link.actor_id);
    std::lock_guard lock(mu_);
    statuses_.push_back(st);
    statuses_.push_back(st2);
    statuses_.push_back(owner.status());
  }
  std::vector<Status> statuses() {
    std::lock_guard lock(mu_);
    return statuses_;
  }

 private:
  LatticeStore* store_;
  std::mutex mu_;
  std::vector<Status> statuses_;
};

TEST_P(LatticeStoreConformance, AListenerThatWritesDoesNotDeadlock) {
  std::unique_ptr<WritingListener> writer;  // outlives the store
  auto a = NewHost();
  ASSERT_TRUE(a);
  writer = std::make_unique<WritingListener>(a->store.get());
  a->store->AddListener(writer.get());
  ASSERT_OK(a->store->Start(kKvWait));
  ASSERT_OK(a->store->PutLink(MakeLink("Mactor", kHttp, "trigger", "Vhttp")));
  // PutLink returned after the listeners ran, and theirs did not wait.
  auto statuses = writer->statuses();
  ASSERT_EQ(statuses.size(), 3u);
  for (const Status& st : statuses) EXPECT_TRUE(st.ok()) << st.ToString();
  ASSERT_TRUE(a->recorder->WaitForCall(CallOf(Call::Kind::kOciRef, "Mactor")));
  ASSERT_TRUE(a->recorder->WaitForCall(CallOf(Call::Kind::kAlias, "Mactor")));
  EXPECT_TRUE(a->store->FindLink("Mactor", kHttp, "follow-up").has_value());
  EXPECT_EQ(a->store->ResolveOciRef("written/by-listener:1"), "Mactor");
}

TEST_P(LatticeStoreConformance, VersionGrowsWithEveryChange) {
  auto a = StartHost();
  auto b = StartHost();
  ASSERT_TRUE(a && b);
  uint64_t va = a->store->version();
  uint64_t vb = b->store->version();
  LinkDefinition link = MakeLink("Mactor", kHttp, "default", "Vhttp");
  ASSERT_OK(a->store->PutLink(link));
  EXPECT_GT(a->store->version(), va);
  va = a->store->version();
  ASSERT_TRUE(b->recorder->WaitForCall(LinkPutOf(link)));
  EXPECT_GT(b->store->version(), vb);

  TestActor actor;
  auto [claims, token] = actor.Sign(Spec("v"));
  ASSERT_OK(a->store->PutClaims(claims, token));
  EXPECT_GT(a->store->version(), va);
  va = a->store->version();
  ASSERT_OK(a->store->PutOciRef("r:1", actor.public_key()));
  EXPECT_GT(a->store->version(), va);
  va = a->store->version();
  ASSERT_TRUE(a->store->ClaimAlias("v", actor.public_key()).ok());
  EXPECT_GT(a->store->version(), va);
  va = a->store->version();
  ASSERT_TRUE(a->store->DeleteLink("Mactor", kHttp, "default").ok());
  EXPECT_GT(a->store->version(), va);
}

TEST_P(LatticeStoreConformance, StartStopAndTheirErrors) {
  auto a = NewHost();
  ASSERT_TRUE(a);
  LinkDefinition link = MakeLink("Mactor", kHttp, "default", "Vhttp");
  EXPECT_EQ(a->store->PutLink(link).code(), Code::kFailedPrecondition);  // not started
  ASSERT_OK(a->store->Start(kKvWait));
  EXPECT_EQ(a->store->Start(kKvWait).code(), Code::kFailedPrecondition);
  ASSERT_OK(a->store->PutLink(link));
  a->store->Stop();
  a->store->Stop();
  // The mirror stays readable; writes are refused.
  EXPECT_EQ(a->store->FindLink("Mactor", kHttp, "default"), link);
  EXPECT_EQ(a->store->PutLink(link).code(), Code::kFailedPrecondition);
  EXPECT_TRUE(a->store->ready());
}

TEST_P(LatticeStoreConformance, HostileValuesAreIgnored) {
  WarningCapture warnings;
  auto a = StartHost();
  ASSERT_TRUE(a);
  auto raw = RawHandle();
  ASSERT_TRUE(raw);
  LinkDefinition x = MakeLink("Mx", kHttp, "default", "V");
  LinkDefinition y = MakeLink("My", kHttp, "default", "V");
  // A link under another link's key.
  RawPut(*raw, "LINKDEF_" + LinkId("Mx", kHttp, "default"), LinkToJson(y));
  RawPut(*raw, "LINKDEF_" + LinkId("Mx", kHttp, "default"), R"({"actor_id":"Mx"})");
  RawPut(*raw, "LINKDEF_" + LinkId("Mx", kHttp, "default"), std::string(200000, '{'));
  RawPut(*raw, "LINKDEF_" + LinkId("Mx", kHttp, "default"),
         std::string(100000, '[') + std::string(100000, ']'));
  RawPut(*raw, "LINKDEF_x", "null");
  RawPut(*raw, "REFMAP_a=3Ab", R"({"oci_url":"c:d","public_key":"Mx"})");  // wrong key
  RawPut(*raw, "REFMAP_a=3Ab", R"({"oci_url":"a:b"})");
  RawPut(*raw, "REFMAP_a=3Ab", R"({"oci_url":"a:b","public_key":7})");
  RawPut(*raw, "ALIAS_echo", R"({"alias":"other","public_key":"Mx"})");
  RawPut(*raw, "ALIAS_echo", R"(["alias","echo"])");
  RawPut(*raw, "ALIAS_echo", std::string("\x80\x81", 2));
  RawPut(*raw, "SOMETHING_ELSE", "{}");
  ASSERT_TRUE(raw->Delete("LINKDEF_" + LinkId("Mz", kHttp, "default")).ok());  // absent

  ASSERT_OK(a->store->PutLink(x));  // applied after everything above
  auto late = StartHost();
  ASSERT_TRUE(late);
  for (const auto& host : {a.get(), late.get()}) {
    EXPECT_EQ(host->store->Links(), std::vector<LinkDefinition>{x});
    EXPECT_TRUE(host->store->OciRefs().empty());
    EXPECT_EQ(host->store->AliasOwner("echo"), "");
    EXPECT_EQ(host->store->AliasOwner("other"), "");
    EXPECT_EQ(host->recorder->size(), 1u);
  }
  EXPECT_EQ(late->store->ready(), true);
  // 11 ignored values seen by the first host, and the 3 still current by the late one.
  EXPECT_EQ(warnings.Count({"ignoring"}), 11u + 3u);
  EXPECT_EQ(warnings.Count({"SOMETHING_ELSE"}), 0u);  // not lattice data: not a warning
}

// Anyone who may write to the bucket chooses how many hostile values there are: they are
// logged at most 20 a second (a burst of 20), and the ones not logged are counted in the
// next line that is. Every value is either logged or counted.
TEST_P(LatticeStoreConformance, IgnoredValuesAreLoggedAtARateAndCountedOtherwise) {
  WarningCapture warnings;
  auto a = StartHost();
  ASSERT_TRUE(a);
  auto raw = RawHandle();
  ASSERT_TRUE(raw);
  // Each under a key of its own: a JetStream bucket keeps one value per key, and a watch
  // that comes to a value already replaced gets only the newer one.
  auto key = [](size_t i) {
    return "LINKDEF_" + LinkId("M" + std::to_string(i), kHttp, "default");
  };
  LinkDefinition x = MakeLink("Mx", kHttp, "default", "V");
  // At most the burst and 20 a second since the first line (rounded up).
  const auto start = std::chrono::steady_clock::now();
  auto most = [&] {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
    return static_cast<size_t>(20 + 20 * ms / 1000 + 1);
  };
  size_t sent = 0;
  for (; sent < 300; ++sent) RawPut(*raw, key(sent), "not json");
  ASSERT_OK(a->store->PutLink(x));  // applied after everything above
  EXPECT_LE(warnings.Count({"ignoring the value of"}), most());
  // The ones not logged are counted in the next line logged: go on, one bad value at a
  // time, until every value is logged or counted (at most 20 lines a second: soon).
  auto accounted = [&] {
    size_t counted = 0;
    for (const std::string& line : warnings.Matching("more ignored value(s) were not logged")) {
      const size_t at = line.find(" more ignored");
      const size_t start = line.rfind(' ', at - 1) + 1;
      counted += std::stoul(line.substr(start, at - start));
    }
    return warnings.Count({"ignoring the value of LINKDEF_"}) + counted;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (accounted() != sent) {
    ASSERT_LT(accounted(), sent);
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << accounted() << " of " << sent;
    RawPut(*raw, key(sent), "not json");
    ++sent;
    // Another value each time (a repeat writes nothing): returns once it was applied, so
    // the bad value before it has been too.
    x.provider_id = "V" + std::to_string(sent);
    ASSERT_OK(a->store->PutLink(x));
  }
  EXPECT_GT(warnings.Count({"more ignored value(s) were not logged"}), 0u);
  EXPECT_LE(warnings.Count({"ignoring the value of LINKDEF_"}), most());
}

// Bad values already in the bucket when a host starts: the count of those not logged is
// said once the initial values are in, not left for a later bad value that may not come.
TEST_P(LatticeStoreConformance, AStartOverManyBadValuesSaysHowManyWereNotLogged) {
  WarningCapture warnings;
  auto raw = RawHandle();
  ASSERT_TRUE(raw);
  const size_t bad = 100;
  for (size_t i = 0; i < bad; ++i) {
    RawPut(*raw, "LINKDEF_" + LinkId("M" + std::to_string(i), kHttp, "default"), "[1]");
  }
  auto a = StartHost();
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->store->ready());
  const std::vector<std::string> said = warnings.Matching("more ignored value(s) were not logged");
  ASSERT_EQ(said.size(), 1u);
  const size_t logged = warnings.Count({"ignoring the value of LINKDEF_"});
  EXPECT_LE(logged, 21u);  // the burst (the values come faster than a token refills)
  EXPECT_EQ(said[0], "lattice data: " + std::to_string(bad - logged) +
                         " more ignored value(s) were not logged (at most 20 lines a second)");
}

}  // namespace
}  // namespace wasmcloud::lattice
