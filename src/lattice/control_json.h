// The 0.18 control interface's JSON (spec §7.5): the requests a client sends on
// wasmbus.ctl.{ns}.* and the replies a host sends back, byte-compatible with what the
// 0.18 host (serde_json) produced. Pure codecs: no transport, no host; the control server
// (src/host/control_server.h) uses them, and fuzz_control_json feeds them hostile bytes.
//
// Parsing is lenient where 0.18 was (unknown keys ignored, optional fields may be absent
// or null) and strict where a wrong value would do harm: a request that is not a JSON
// object, a required field missing or not a string, a constraint value that is not a
// string, or a body over kMaxControlRequest is kMalformed with a message that names it.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"
#include "lattice/control.h"
#include "lattice/link_definition.h"

namespace wasmcloud::lattice::control_json {

// No control request needs more (they name references, keys and a few labels).
inline constexpr size_t kMaxControlRequest = 64 * 1024;

// cmd.{host}.la
struct StartActorCommand {
  std::string actor_ref;
  std::string host_id;
};
// cmd.{host}.sa ("count", sent by 0.19's client crate, is accepted and ignored)
struct StopActorCommand {
  std::string host_id;
  std::string actor_ref;
};
// cmd.{host}.lp (link_name absent or empty: "default")
struct StartProviderCommand {
  std::string host_id;
  std::string provider_ref;
  std::string link_name;
};
// cmd.{host}.sp
struct StopProviderCommand {
  std::string host_id;
  std::string provider_ref;
  std::string link_name;
  std::string contract_id;
};
// cmd.{host}.upd
struct UpdateActorCommand {
  std::string host_id;
  std::string actor_id;
  std::string new_actor_ref;
};
// auction.actor
struct ActorAuctionRequest {
  std::string actor_ref;
  Constraints constraints;
};
// auction.provider
struct ProviderAuctionRequest {
  std::string provider_ref;
  std::string link_name;
  Constraints constraints;
};

Result<StartActorCommand> ParseStartActor(ByteView json);
Result<StopActorCommand> ParseStopActor(ByteView json);
Result<StartProviderCommand> ParseStartProvider(ByteView json);
Result<StopProviderCommand> ParseStopProvider(ByteView json);
Result<UpdateActorCommand> ParseUpdateActor(ByteView json);
Result<ActorAuctionRequest> ParseActorAuction(ByteView json);
Result<ProviderAuctionRequest> ParseProviderAuction(ByteView json);

// Replies. `failure`: nullopt is JSON null (success).
std::string StartActorAck(std::string_view host_id, std::string_view actor_ref,
                          const std::optional<std::string>& failure);
std::string StopActorAck(const std::optional<std::string>& failure);
std::string StartProviderAck(std::string_view host_id, std::string_view provider_ref,
                             const std::optional<std::string>& failure);
std::string StopProviderAck(const std::optional<std::string>& failure);
std::string UpdateActorAck(bool accepted);
// {"actor_ref","constraints","host_id"} / {"provider_ref","link_name","host_id"}
std::string ActorAuctionAck(const ActorAuctionRequest& request, std::string_view host_id);
std::string ProviderAuctionAck(const ProviderAuctionRequest& request, std::string_view host_id);
// get.hosts: {"id","uptime"}
std::string HostJson(const HostSummary& host);
// get.{host}.inv: HostInventory, absent optional fields left out (0.18 skip_serializing_if).
std::string InventoryJson(const HostInventory& inventory);
// get.links: {"links":[{"actor_id","provider_id","link_name","contract_id","values"}]}
std::string LinksJson(const std::vector<LinkDefinition>& links);
// get.claims: {"claims":[{"values":{"sub","iss","caps","rev","version"}}]}, one per actor:
// caps comma-separated, rev in decimal ("0" when none), version "" when none.
struct ClaimsValues {
  std::string sub, iss, caps, rev, version;
  std::optional<std::string> name, call_alias;  // v1 only
};
std::string ClaimsJson(const std::vector<ClaimsValues>& claims);

// --- The v1 dialect (docs/control-v1.md) on wasmbus.ctl.v1.{ns}.* ---
// Request bodies that have the 0.18 shape (actor start/stop/update, provider start/stop,
// auctions) use the parsers above; these are the v1-only ones.
namespace v1 {

// "wasmbus.ctl.v1.{ns}.{suffix}", and the queue group of link.* and claims.get.
std::string Subject(std::string_view ns, std::string_view suffix);
std::string QueueGroup(std::string_view ns);

struct LabelCommand {
  std::string key;
  std::string value;  // label.put only
};
struct RegistryCommand {
  std::string registry;  // "HOST[:PORT]"
  std::string username;
  std::string password;
};
// label.put {"key","value"} / label.del {"key"}; a key must be non-empty.
Result<LabelCommand> ParseLabelPut(ByteView json);
Result<LabelCommand> ParseLabelDelete(ByteView json);
// link.put {"actor_id","provider_id","contract_id","link_name"?,"values"?: {str: str}};
// link.del {"actor_id","contract_id","link_name"?}. link_name absent or "": "default".
Result<LinkDefinition> ParseLinkPut(ByteView json);
Result<LinkDefinition> ParseLinkDelete(ByteView json);
// registry.put {"registry","username"?,"password"?}
Result<RegistryCommand> ParseRegistryPut(ByteView json);

// The envelope: {"success","message"} plus "response" when `response_json` (a JSON text)
// is given.
std::string Envelope(bool success, std::string_view message,
                     const std::optional<std::string>& response_json = std::nullopt);
std::string Failure(std::string_view message);
// success with {"operation_id"}
std::string Accepted(std::string_view operation_id);

struct HostDetails {
  HostSummary summary;
  std::map<std::string, std::string> labels;
  std::string version;
  std::string lattice;
};
// host.ping's response: {"id","labels","uptime_seconds","version","lattice"}
std::string PingResponse(const HostDetails& host);
// host.get's response: the inventory with uptime_seconds, version and each provider's
// contract_id.
std::string InventoryResponse(const HostInventory& inventory, const HostDetails& host);
// link.get's: [{"id","actor_id","provider_id","link_name","contract_id","values"}]
std::string LinksResponse(const std::vector<LinkDefinition>& links);
// claims.get's: [{"sub","iss","name"?,"caps","rev","version","call_alias"?}]
std::string ClaimsResponse(const std::vector<ClaimsValues>& claims);

}  // namespace v1

}  // namespace wasmcloud::lattice::control_json
