// LinkBinder's lanes (src/host/link_binder.h): a provider's lane exists while it has work
// and for a second after, then goes with its thread; a later change makes a new one.
// (What the binds do across hosts is in lattice_host_test.cc.)
#include "host/link_binder.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>

#include "host/provider_table.h"
#include "lattice/lattice_store.h"
#include "lattice/link_definition.h"
#include "lattice/memory_kv_bucket.h"
#include "support/log_capture.h"

namespace wasmcloud::host {
namespace {

using wasmcloud::testing::Eventually;
using namespace std::chrono_literals;

constexpr char kProvider[] = "VAHNM37G3ARA3KOADKKW3Y3FBBLVIAHPVFYTRIHHFTCGRPDJNSGR6XA3";
constexpr char kActor[] = "MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5";

lattice::LinkDefinition Link(const std::string& value) {
  return {kActor, kProvider, "wasmcloud:keyvalue", "default", {{"v", value}}};
}

// A provider in the table, not started: its binds are no-ops that still run on its lane.
struct Fixture {
  Fixture() {
    auto entry = std::make_shared<ProviderEntry>();
    entry->public_key = kProvider;
    entry->contract_id = "wasmcloud:keyvalue";
    entry->link_name = "default";
    EXPECT_TRUE(table.Reserve(entry, 0ms).ok());
  }
  lattice::LatticeStore store{std::make_shared<lattice::MemoryKvBucket>("LATTICEDATA_test")};
  ProviderTable table{[] {}};
};

TEST(LinkBinderTest, AProviderWithWorkHasALaneAndOthersNone) {
  Fixture f;
  // A linger no test run waits for: the lane is there after its work.
  LinkBinder binder(f.store, f.table, {}, std::chrono::minutes(10));
  EXPECT_EQ(binder.lane_count(), 0u);
  binder.OnLinkPut(Link("1"), std::nullopt);
  EXPECT_TRUE(binder.Outcome(Link("1")).ok());
  EXPECT_EQ(binder.lane_count(), 1u);
  binder.OnLinkPut(Link("2"), Link("1"));  // the same lane
  EXPECT_TRUE(binder.Outcome(Link("2")).ok());
  EXPECT_EQ(binder.lane_count(), 1u);
  // A provider that is not in the table gets no lane.
  auto other = Link("3");
  other.provider_id = "VBBQNNCGUKIXEWLL5HL5XJE57BS3GU5DMDOKZS6ROEWPQFHEDP6NGVSM";
  binder.OnLinkPut(other, std::nullopt);
  EXPECT_EQ(binder.lane_count(), 1u);
  binder.Close();  // ends the lane's thread, still waiting for work
  EXPECT_EQ(binder.lane_count(), 0u);
  binder.OnLinkPut(Link("4"), Link("2"));  // ignored once closed
  EXPECT_EQ(binder.lane_count(), 0u);
}

TEST(LinkBinderTest, AnIdleLaneGoesWithItsThreadAndANewOneServesTheNextChange) {
  Fixture f;
  LinkBinder binder(f.store, f.table, {}, 20ms);
  for (int round = 1; round <= 3; ++round) {
    SCOPED_TRACE(round);
    binder.OnLinkPut(Link(std::to_string(round)), std::nullopt);
    EXPECT_TRUE(binder.Outcome(Link(std::to_string(round))).ok());
    ASSERT_TRUE(Eventually([&] { return binder.lane_count() == 0; }, 10s));
  }
  binder.Close();
}

}  // namespace
}  // namespace wasmcloud::host
