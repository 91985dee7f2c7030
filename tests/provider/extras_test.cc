#include "provider/extras.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/bytes.h"
#include "crypto/verify.h"
#include "support/run_command.h"
#include "support/uuid.h"
#include "wire/core.h"
#include "wire/extras.h"

namespace wasmcloud::provider {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr std::string_view kActorA = "MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5";
constexpr std::string_view kActorB = "MCFMFDWFHGKELOXPCNCDXKK5OFLHBVEWRAOXR5JSQUD2TOFRE3DFPM7E";

// Records every call the provider makes on its host; extras should make none.
class RecordingHost : public ProviderHost {
 public:
  Result<Bytes> CallActor(std::string_view actor, std::string_view, ByteView) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++calls_;
    return NotFound("no actor " + std::string(actor));
  }
  void Log(LogLevel, std::string_view) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++calls_;
  }
  int calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

 private:
  mutable std::mutex mu_;
  int calls_ = 0;
};

class ExtrasTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(extras_->Start(&host_).ok()); }
  void TearDown() override {
    extras_->Stop();
    EXPECT_EQ(host_.calls(), 0);
  }

  Result<wire::GeneratorResult> Call(std::string_view actor, std::string_view op,
                                     const wire::GeneratorRequest& request) {
    WC_ASSIGN_OR_RETURN(Bytes reply, extras_->HandleCall(actor, op, wire::Encode(request)));
    return wire::DecodeGeneratorResult(reply);
  }
  uint64_t Sequence(std::string_view actor) {
    auto r = Call(actor, "RequestSequence", {.sequence = true});
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? r->sequence_number : ~uint64_t{0};
  }

  RecordingHost host_;
  std::shared_ptr<Provider> extras_ = NewExtrasProvider();
};

TEST_F(ExtrasTest, DescribesItself) {
  EXPECT_EQ(extras_->Describe().contract_id, "wasmcloud:extras");
  EXPECT_TRUE(extras_->BindActor(kActorA, {}).ok());
  EXPECT_TRUE(extras_->RemoveActor(kActorA).ok());
  EXPECT_TRUE(extras_->Health().ok());
}

TEST_F(ExtrasTest, SequenceCountsFromZeroPerActor) {
  EXPECT_EQ(Sequence(kActorA), 0u);
  EXPECT_EQ(Sequence(kActorA), 1u);
  EXPECT_EQ(Sequence(kActorB), 0u);
  EXPECT_EQ(Sequence(kActorA), 2u);
  EXPECT_EQ(Sequence(kActorB), 1u);
}

TEST_F(ExtrasTest, SequenceResultHasOnlyTheNumber) {
  Sequence(kActorA);
  auto r = Call(kActorA, "RequestSequence", {.sequence = true});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(
      *r, (wire::GeneratorResult{.guid = std::nullopt, .sequence_number = 1, .random_number = 0}));
  // The bytes 0.18 writes for this result (spec §12, with 1 for 5).
  auto bytes = extras_->HandleCall(kActorA, "RequestSequence",
                                   wire::Encode(wire::GeneratorRequest{.sequence = true}));
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(HexEncode(*bytes),
            "83a467756964c0ae73657175656e63654e756d62657202ad72616e646f6d5f6e756d62657200");
}

TEST_F(ExtrasTest, ConcurrentSequenceGivesEachNumberOnce) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 500;
  std::vector<std::vector<uint64_t>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto r = extras_->HandleCall(kActorA, "RequestSequence",
                                     wire::Encode(wire::GeneratorRequest{.sequence = true}));
        if (!r.ok()) continue;
        auto result = wire::DecodeGeneratorResult(*r);
        if (result.ok()) seen[t].push_back(result->sequence_number);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::vector<uint64_t> all;
  for (const auto& s : seen) all.insert(all.end(), s.begin(), s.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), size_t{kThreads * kPerThread});
  for (size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i], i);
  EXPECT_EQ(Sequence(kActorB), 0u);
}

TEST_F(ExtrasTest, GuidIsALowercaseUuidV4) {
  EXPECT_FALSE(wasmcloud::testing::IsUuidV4("6f1c2a4e-1b2c-3d4e-8f00-123456789abc"));  // version 3
  EXPECT_FALSE(wasmcloud::testing::IsUuidV4("6F1C2A4E-1B2C-4D4E-8F00-123456789ABC"));  // uppercase
  std::set<std::string> guids;
  for (int i = 0; i < 100; ++i) {
    auto r = Call(kActorA, "RequestGuid", {.guid = true});
    ASSERT_TRUE(r.ok()) << r.status().message();
    ASSERT_TRUE(r->guid.has_value());
    EXPECT_TRUE(wasmcloud::testing::IsUuidV4(*r->guid)) << *r->guid;
    EXPECT_EQ(r->sequence_number, 0u);
    EXPECT_EQ(r->random_number, 0u);
    guids.insert(*r->guid);
  }
  EXPECT_EQ(guids.size(), 100u);
  // A GUID request does not advance the sequence.
  EXPECT_EQ(Sequence(kActorA), 0u);
}

TEST_F(ExtrasTest, RandomStaysInItsHalfOpenRange) {
  std::set<uint32_t> values;
  for (int i = 0; i < 2000; ++i) {
    auto r = Call(kActorA, "RequestRandom", {.random = true, .min = 10, .max = 20});
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_GE(r->random_number, 10u);
    EXPECT_LT(r->random_number, 20u);
    EXPECT_FALSE(r->guid.has_value());
    EXPECT_EQ(r->sequence_number, 0u);
    values.insert(r->random_number);
  }
  // 2000 draws miss one of 10 values with probability about 10 * 0.9^2000.
  EXPECT_EQ(values.size(), 10u);

  auto one = Call(kActorA, "RequestRandom", {.random = true, .min = 7, .max = 8});
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->random_number, 7u);
  auto wide = Call(kActorA, "RequestRandom", {.random = true, .min = 0, .max = UINT32_MAX});
  ASSERT_TRUE(wide.ok());
  EXPECT_LT(wide->random_number, UINT32_MAX);
}

TEST_F(ExtrasTest, RandomWithMinNotBelowMaxIsAnError) {
  for (auto [min, max] : {std::pair<uint32_t, uint32_t>{5, 5}, {9, 3}, {0, 0}}) {
    auto r = extras_->HandleCall(
        kActorA, "RequestRandom",
        wire::Encode(wire::GeneratorRequest{.random = true, .min = min, .max = max}));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(r.status().message(), "RequestRandom: min (" + std::to_string(min) +
                                        ") must be less than max (" + std::to_string(max) + ")");
  }
}

TEST_F(ExtrasTest, RandomWithoutTheFlagIsAllDefault) {
  // As 0.18: without `random` the range is not looked at, even when it is empty.
  auto r = Call(kActorA, "RequestRandom", {.random = false, .min = 9, .max = 3});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, wire::GeneratorResult{});
}

TEST_F(ExtrasTest, PayloadThatDoesNotDecodeIsAnError) {
  const std::vector<Bytes> bad = {
      {},                                   // empty (0.18 failed too)
      {0xc1},                               // never-used marker
      {0x81, 0xa4, 'g', 'u', 'i', 'd'},     // map cut short
      wire::Encode(wire::HealthRequest{}),  // a map without the fields
      *HexDecode("85a467756964a17800"),     // guid: "x" (a str, not a bool)
  };
  for (std::string_view op : {"RequestGuid", "RequestRandom", "RequestSequence"}) {
    for (const Bytes& payload : bad) {
      auto r = extras_->HandleCall(kActorA, op, payload);
      ASSERT_FALSE(r.ok()) << op << " " << HexEncode(payload);
      EXPECT_EQ(r.status().code(), Code::kMalformed);
      EXPECT_THAT(r.status().message(),
                  StartsWith(std::string(op) + ": the payload is not a GeneratorRequest: "));
    }
  }
  // A failed request does not count.
  EXPECT_EQ(Sequence(kActorA), 0u);
}

TEST_F(ExtrasTest, RequestFromAnArrayDecodes) {
  // rmp-serde also reads a struct from an array by position.
  auto r = extras_->HandleCall(kActorA, "RequestRandom", *HexDecode("95c2c2c30305"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  auto result = wire::DecodeGeneratorResult(*r);
  ASSERT_TRUE(result.ok());
  EXPECT_GE(result->random_number, 3u);
  EXPECT_LT(result->random_number, 5u);
}

TEST_F(ExtrasTest, UnknownOperationIsBadDispatch) {
  for (std::string_view op : {"RequestThing", "", "requestguid", "BindActor"}) {
    auto r = extras_->HandleCall(kActorA, op, wire::Encode(wire::GeneratorRequest{.guid = true}));
    ASSERT_FALSE(r.ok()) << op;
    EXPECT_EQ(r.status().code(), Code::kNotFound);
    EXPECT_THAT(r.status().message(), StartsWith("bad dispatch"));
    EXPECT_THAT(r.status().message(), HasSubstr("\"" + std::string(op) + "\""));
  }
}

TEST_F(ExtrasTest, HealthRequestIsHealthy) {
  for (const Bytes& payload : {wire::Encode(wire::HealthRequest{}), Bytes{}}) {
    auto r = extras_->HandleCall("system", "HealthRequest", payload);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(HexEncode(*r), "82a76865616c746879c3a76d657373616765a0");
  }
}

TEST(ExtrasClaimsTest, IsTheUpstreamTokenAndVerifies) {
  auto index_bytes = ReadFile(testing::FixturePath("fixtures_index.json"));
  ASSERT_TRUE(index_bytes.ok()) << index_bytes.status().message();
  auto index = nlohmann::json::parse(index_bytes->begin(), index_bytes->end());
  std::string upstream;
  for (const auto& e : index["builtin_provider_jwts"]) {
    if (e["claims"]["sub"] == kExtrasPublicKey) upstream = e["jwt"];
  }
  EXPECT_EQ(kExtrasJwt, upstream);

  auto verified = crypto::VerifyProviderToken(kExtrasJwt, crypto::VerifyOptions::ForProvider());
  ASSERT_TRUE(verified.ok()) << verified.status().message();
  EXPECT_EQ(verified->sub, kExtrasPublicKey);

  auto claims = ExtrasClaims();
  ASSERT_TRUE(claims.ok()) << claims.status().message();
  EXPECT_EQ(claims->iss, "ACOJJN6WUP4ODD75XEBKKTCCUJJCY5ZKQ56XVKYK4BEJWGVAOOQHZMCW");
  EXPECT_EQ(claims->sub, kExtrasPublicKey);
  EXPECT_EQ(claims->iat, 1614877839u);
  EXPECT_EQ(claims->jti, "qhPIubLftq4MQvY1nD382l");
  EXPECT_FALSE(claims->exp.has_value());
  ASSERT_TRUE(claims->wascap.has_value());
  EXPECT_EQ(claims->wascap->name, "wasmcloud Extras");
  EXPECT_EQ(claims->wascap->capid, "wasmcloud:extras");
  EXPECT_EQ(claims->wascap->vendor, "wasmcloud");
  EXPECT_TRUE(claims->wascap->target_hashes.empty());
  EXPECT_EQ(claims->wascap->capid, NewExtrasProvider()->Describe().contract_id);
}

}  // namespace
}  // namespace wasmcloud::provider
