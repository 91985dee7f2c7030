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
  ProviderDescription kv;
  kv.id = "VP";
  kv.link_name = "default";
  kv.contract_id = "wasmcloud:keyvalue";
  kv.name = "KV";
  kv.revision = 1;
  kv.healthy = false;  // not in the 0.18 form
  kv.health_message = "down";
  inv.providers = {kv};
  EXPECT_EQ(
      cj::InventoryJson(inv),
      R"({"host_id":"N","labels":{"hostcore.os":"linux"},"actors":[{"id":"MA","name":"Echo","revision":3},{"id":"MB","image_ref":"reg/b:1","revision":0}],"providers":[{"id":"VP","link_name":"default","name":"KV","revision":1}]})");
  EXPECT_EQ(
      cj::LinksJson({{"MA", "VP", "wasmcloud:keyvalue", "default", {{"URL", "x"}}}}),
      R"({"links":[{"actor_id":"MA","provider_id":"VP","link_name":"default","contract_id":"wasmcloud:keyvalue","values":{"URL":"x"}}]})");
  EXPECT_EQ(
      cj::ClaimsJson({{"MA", "AB", "a,b", "2", "", "Echo", "alias"}}),
      R"({"claims":[{"values":{"sub":"MA","iss":"AB","caps":"a,b","rev":"2","version":""}}]})");
}

TEST(ControlJsonTest, V1RepliesAreOneEnvelope) {
  namespace v1 = cj::v1;
  EXPECT_EQ(v1::Subject("default", "host.ping"), "wasmbus.ctl.v1.default.host.ping");
  EXPECT_EQ(v1::QueueGroup("ns"), "wasmbus.ctl.v1.ns");
  EXPECT_EQ(v1::Failure("no \"x\"\n"), R"({"success":false,"message":"no \"x\"\n"})");
  EXPECT_EQ(v1::Accepted("op-1"),
            R"({"success":true,"message":"","response":{"operation_id":"op-1"}})");
  EXPECT_EQ(v1::Envelope(true, "", "[]"), R"({"success":true,"message":"","response":[]})");
  v1::HostDetails host;
  host.summary = {"N", 7};
  host.labels = {{"zone", "eu"}};
  host.version = "0.1.0";
  host.lattice = "default";
  EXPECT_EQ(
      v1::PingResponse(host),
      R"({"id":"N","labels":{"zone":"eu"},"uptime_seconds":7,"version":"0.1.0","lattice":"default"})");
  HostInventory inv;
  inv.host_id = "N";
  ProviderDescription up, down, unknown;
  up.id = "VA";
  up.link_name = "default";
  up.contract_id = "c:a";
  up.healthy = true;
  down = up;
  down.id = "VB";
  down.healthy = false;
  down.health_message = "gone";
  unknown = up;
  unknown.id = "VC";
  unknown.healthy.reset();
  inv.providers = {up, down, unknown};
  EXPECT_EQ(
      v1::InventoryResponse(inv, host),
      R"({"host_id":"N","labels":{},"actors":[],"providers":[)"
      R"({"id":"VA","link_name":"default","contract_id":"c:a","health":"healthy","revision":0},)"
      R"({"id":"VB","link_name":"default","contract_id":"c:a","health":"unhealthy","health_message":"gone","revision":0},)"
      R"({"id":"VC","link_name":"default","contract_id":"c:a","health":"pending","revision":0}],)"
      R"("failed_links":[],"uptime_seconds":7,"version":"0.1.0"})");
  inv.providers.clear();
  inv.failed_links = {{{"MA", "VB", "c:a", "default", {{"PORT", "80"}}}, "in use"}};
  EXPECT_EQ(
      v1::InventoryResponse(inv, host),
      R"({"host_id":"N","labels":{},"actors":[],"providers":[],"failed_links":[)"
      R"({"actor_id":"MA","provider_id":"VB","contract_id":"c:a","link_name":"default","error":"in use"}],)"
      R"("uptime_seconds":7,"version":"0.1.0"})");
  EXPECT_EQ(
      v1::LinksResponse({{"MA", "VP", "c:x", "default", {}}}),
      R"([{"id":")" + LinkId("MA", "c:x", "default") +
          R"(","actor_id":"MA","provider_id":"VP","link_name":"default","contract_id":"c:x","values":{}}])");
  EXPECT_EQ(
      v1::ClaimsResponse({{"MA", "AB", "", "0", "", std::nullopt, "my/alias"}}),
      R"([{"sub":"MA","iss":"AB","caps":"","rev":"0","version":"","call_alias":"my/alias"}])");
}

TEST(ControlJsonTest, V1RequestsSayWhatIsMissing) {
  namespace v1 = cj::v1;
  auto link = v1::ParseLinkPut(
      AsBytes(R"({"actor_id":"MA","provider_id":"VP","contract_id":"c:x","values":{"A":"1"}})"));
  ASSERT_TRUE(link.ok()) << link.status().message();
  EXPECT_EQ(link->link_name, "default");
  EXPECT_EQ(link->values.at("A"), "1");
  EXPECT_EQ(v1::ParseLinkPut(AsBytes(R"({"actor_id":"MA","contract_id":"c"})")).status().message(),
            "link put: \"provider_id\" is missing");
  EXPECT_EQ(v1::ParseLinkPut(AsBytes(R"({"actor_id":"MA","provider_id":"V","contract_id":"c",)"
                                     R"("values":{"A":1}})"))
                .status()
                .message(),
            "link put: value \"A\" is not a string");
  EXPECT_EQ(v1::ParseLinkDelete(AsBytes(R"({"actor_id":"","contract_id":"c"})")).status().message(),
            "link delete: \"actor_id\" is empty");
  EXPECT_EQ(v1::ParseLabelPut(AsBytes(R"({"key":"k"})")).status().message(),
            "label put: \"value\" is missing");
  EXPECT_TRUE(v1::ParseLabelDelete(AsBytes(R"({"key":"k"})")).ok());
  EXPECT_EQ(v1::ParseRegistryPut(AsBytes("[]")).status().code(), Code::kMalformed);
  auto reg = v1::ParseRegistryPut(AsBytes(R"({"registry":"r:5000","username":"u"})"));
  ASSERT_TRUE(reg.ok());
  EXPECT_EQ(reg->password, "");
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
