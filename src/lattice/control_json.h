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
#include <optional>
#include <string>
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
};
std::string ClaimsJson(const std::vector<ClaimsValues>& claims);

}  // namespace wasmcloud::lattice::control_json
