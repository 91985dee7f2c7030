// The 0.18 control interface's JSON, byte for byte as the 0.18 host's serde_json wrote it
// (spec §7.5), and the events' two forms (spec §7.6, CloudEvents 1.0).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/bytes.h"
#include "lattice/control_json.h"
#include "lattice/event_json.h"

namespace wasmcloud::lattice {
namespace {

namespace cj = control_json;

TEST(ControlJsonTest, RepliesAreThe018Bytes) {
  EXPECT_EQ(cj::HostJson({"NABC", 42}), R"({"id":"NABC","uptime":42})");
  EXPECT_EQ(cj::StartActorAck("NABC", "reg/echo:1", std::nullopt),
            R"({"host_id":"NABC","actor_ref":"reg/echo:1","failure":null})");
  EXPECT_EQ(cj::StopActorAck("gone"), R"({"failure":"gone"})");
  EXPECT_EQ(cj::StartProviderAck("N", "reg/kv:1", std::nullopt),
            R"({"host_id":"N","provider_ref":"reg/kv:1","failure":null})");
  EXPECT_EQ(cj::StopProviderAck(std::nullopt), R"({"failure":null})");
  EXPECT_EQ(cj::UpdateActorAck(false), R"({"accepted":false})");
  EXPECT_EQ(cj::ActorAuctionAck({"reg/echo:1", {{"zone", "eu"}}}, "N"),
            R"({"actor_ref":"reg/echo:1","constraints":{"zone":"eu"},"host_id":"N"})");
  EXPECT_EQ(cj::ProviderAuctionAck({"reg/kv:1", "default", {}}, "N"),
            R"({"provider_ref":"reg/kv:1","link_name":"default","host_id":"N"})");
  HostInventory inv;
  inv.host_id = "N";
  inv.labels = {{"hostcore.os", "linux"}};
  inv.actors = {{"MA", std::nullopt, "Echo", 3}, {"MB", "reg/b:1", std::nullopt, 0}};
  inv.providers = {{"VP", "default", "wasmcloud:keyvalue", std::nullopt, "KV", 1}};
  EXPECT_EQ(
      cj::InventoryJson(inv),
      R"({"host_id":"N","labels":{"hostcore.os":"linux"},"actors":[{"id":"MA","name":"Echo","revision":3},{"id":"MB","image_ref":"reg/b:1","revision":0}],"providers":[{"id":"VP","link_name":"default","name":"KV","revision":1}]})");
  EXPECT_EQ(
      cj::LinksJson({{"MA", "VP", "wasmcloud:keyvalue", "default", {{"URL", "x"}}}}),
      R"({"links":[{"actor_id":"MA","provider_id":"VP","link_name":"default","contract_id":"wasmcloud:keyvalue","values":{"URL":"x"}}]})");
  EXPECT_EQ(
      cj::ClaimsJson({{"MA", "AB", "a,b", "2", ""}}),
      R"({"claims":[{"values":{"sub":"MA","iss":"AB","caps":"a,b","rev":"2","version":""}}]})");
}

TEST(ControlJsonTest, RequestsParseLeniently018AndRefuseWhatWouldDoHarm) {
  auto la = cj::ParseStartActor(AsBytes(R"({"actor_ref":"r:1","host_id":"N","extra":[1]})"));
  ASSERT_TRUE(la.ok());
  EXPECT_EQ(la->actor_ref, "r:1");
  EXPECT_EQ(la->host_id, "N");
  auto sa = cj::ParseStopActor(AsBytes(R"({"actor_ref":"M","count":3,"host_id":null})"));
  ASSERT_TRUE(sa.ok());
  EXPECT_EQ(sa->host_id, "");
  auto auction = cj::ParseActorAuction(AsBytes(R"({"actor_ref":"r","constraints":null})"));
  ASSERT_TRUE(auction.ok());
  EXPECT_TRUE(auction->constraints.empty());

  EXPECT_EQ(cj::ParseStartActor(AsBytes("")).status().message(),
            "start actor command: the request is not valid JSON");
  EXPECT_EQ(cj::ParseStartActor(AsBytes("\"x\"")).status().message(),
            "start actor command: the request is not a JSON object");
  EXPECT_EQ(cj::ParseStartActor(AsBytes("{}")).status().message(),
            "start actor command: \"actor_ref\" is missing");
  EXPECT_EQ(
      cj::ParseUpdateActor(AsBytes(R"({"actor_id":"M","new_actor_ref":1})")).status().message(),
      "update actor command: \"new_actor_ref\" is not a string");
  EXPECT_EQ(cj::ParseActorAuction(AsBytes(R"({"actor_ref":"r","constraints":{"a":1}})"))
                .status()
                .message(),
            "actor auction: constraint \"a\" is not a string");
  std::string big = R"({"actor_ref":")" + std::string(cj::kMaxControlRequest, 'x') + "\"}";
  EXPECT_EQ(cj::ParseStartActor(AsBytes(big)).status().code(), Code::kMalformed);
}

TEST(EventJsonTest, EventsIn018FormAndAsCloudEvents) {
  LatticeEvent e;
  e.type = kActorStarted;
  e.host_id = "NHOST";
  e.time_ms = 1764892800123;  // 2025-12-05T00:00:00.123Z
  e.data = {{"public_key", "MA"}, {"name", "Echo"}, {"revision", 1}};
  EXPECT_EQ(
      ToPublishedEvent(e),
      R"({"event":{"ActorStarted":{"actor":"MA","image_ref":null}},"header":{"host_origin":"NHOST","timestamp":1764892800}})");
  auto ce = nlohmann::json::parse(ToCloudEvent(e, "id-1"));
  EXPECT_EQ(ce["specversion"], "1.0");
  EXPECT_EQ(ce["id"], "id-1");
  EXPECT_EQ(ce["source"], "NHOST");
  EXPECT_EQ(ce["type"], "com.wasmcloud.lattice.actor_started");
  EXPECT_EQ(ce["time"], "2025-12-05T00:00:00.123Z");
  EXPECT_EQ(ce["datacontenttype"], "application/json");
  EXPECT_EQ(ce["data"]["name"], "Echo");

  e.type = kHostStarted;
  EXPECT_EQ(ToPublishedEvent(e),
            R"({"event":"HostStarted","header":{"host_origin":"NHOST","timestamp":1764892800}})");
  e.type = kProviderStopped;
  e.data = {{"public_key", "VP"}, {"contract_id", "c"}, {"link_name", "default"}};
  EXPECT_EQ(
      ToPublishedEvent(e),
      R"({"event":{"ProviderStopped":{"contract_id":"c","link_name":"default","provider_id":"VP"}},"header":{"host_origin":"NHOST","timestamp":1764892800}})");
  // Heartbeat claims in wascap's field order, whatever order the event's data has them in.
  e.type = kHostHeartbeat;
  e.data = nlohmann::json::parse(
      R"({"claims":[{"iat":1,"iss":"A","jti":"j","sub":"M","wascap":{"caps":["c"],"hash":"H","name":"N","prov":false,"rev":1,"tags":[]}}],"entities":{"M":"Running"}})");
  EXPECT_EQ(
      ToPublishedEvent(e),
      R"({"event":{"Heartbeat":{"claims":[{"jti":"j","iat":1,"iss":"A","sub":"M","wascap":{"name":"N","hash":"H","tags":[],"caps":["c"],"rev":1,"prov":false}}],"entities":{"M":"Running"}}},"header":{"host_origin":"NHOST","timestamp":1764892800}})");
  e.type = kLinkdefSet;  // 0.18 had no link events
  EXPECT_FALSE(ToPublishedEvent(e).has_value());
}

}  // namespace
}  // namespace wasmcloud::lattice
