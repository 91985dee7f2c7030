// Who calls and who is called: the 0.18 WasmCloudEntity (an actor, or a capability
// provider under a contract id and link name), its wasmbus:// URLs (§7.2) and its msgpack
// form.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "wire/msgpack.h"

namespace wasmcloud::lattice {

// The origin of calls made by a host itself (the embedder's CallActor, a 0.18 client's
// call_actor): the actor id "system", URL wasmbus://system.
inline constexpr std::string_view kSystemId = "system";

struct Entity {
  enum class Kind { kActor, kCapability };
  Kind kind = Kind::kActor;
  std::string id;           // actor or provider public key; "system" for a host itself
  std::string contract_id;  // capabilities only
  std::string link_name;    // capabilities only

  static Entity Actor(std::string id) { return {Kind::kActor, std::move(id), {}, {}}; }
  static Entity Capability(std::string id, std::string contract_id, std::string link_name) {
    return {Kind::kCapability, std::move(id), std::move(contract_id), std::move(link_name)};
  }
  static Entity System() { return Actor(std::string(kSystemId)); }

  bool is_actor() const { return kind == Kind::kActor; }
  bool is_capability() const { return kind == Kind::kCapability; }
  bool is_system() const { return kind == Kind::kActor && id == kSystemId; }
  bool operator==(const Entity&) const = default;

  // wasmbus://{pk} for an actor; for a capability
  // wasmbus://{contract id, ':' → '/', ' ' → '_', lowercased}/{link name, ' ' → '_',
  // lowercased}/{pk} (0.18 dispatch.rs `url`).
  std::string Url() const;
  // "{Url()}/{operation}": what an invocation's target_url is.
  std::string OperationUrl(std::string_view operation) const;
  // "actor M…" / "provider V… (wasmcloud:keyvalue, link default)", for messages.
  std::string ToString() const;
};

// msgpack, as rmp-serde writes the 0.18 enum: Actor(pk) → {0: pk} (81 00 <str>);
// Capability → {1: {"id", "contract_id", "link_name"}} (81 01 83 …).
void WriteEntity(wire::Writer& w, const Entity& e);
// Reads either variant; the variant key may be its index (0/1) or its name
// ("Actor"/"Capability"), and a Capability body a map by name or an array, as rmp-serde
// accepts. kMalformed otherwise, saying what was found and where.
Result<Entity> ReadEntity(wire::Reader& r);

}  // namespace wasmcloud::lattice
