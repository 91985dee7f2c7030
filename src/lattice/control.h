// What a host answers to the control interface (lattice.md, "Control"), independent of
// how the question arrives: the 0.18 JSON subjects and the v1 dialect (src/nats/) both
// call one ControlHandler, which the host implements.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "lattice/link_definition.h"

namespace wasmcloud::lattice {

struct ActorDescription {
  std::string id;
  std::optional<std::string> image_ref;
  std::optional<std::string> name;
  int32_t revision = 0;
};

struct ProviderDescription {
  std::string id;
  std::string link_name;
  std::string contract_id;
  std::optional<std::string> image_ref;
  std::optional<std::string> name;
  int32_t revision = 0;
  // The last health check (v1 only): nullopt before the first; the message when unhealthy.
  std::optional<bool> healthy;
  std::string health_message;
};

// A link whose provider runs on this host and refused to bind it (v1 inventory only).
struct FailedLink {
  LinkDefinition link;
  std::string error;
};

// 0.18 HostInventory (get.{host}.inv).
struct HostInventory {
  std::string host_id;
  std::map<std::string, std::string> labels;
  std::vector<ActorDescription> actors;        // by public key
  std::vector<ProviderDescription> providers;  // by (public key, link name); built-ins too
  std::vector<FailedLink> failed_links;        // v1 only
};

// 0.18 Host (get.hosts).
struct HostSummary {
  std::string id;
  uint64_t uptime_seconds = 0;
};

using Constraints = std::map<std::string, std::string>;

class ControlHandler {
 public:
  virtual ~ControlHandler() = default;

  virtual HostSummary Summary() = 0;
  virtual HostInventory Inventory() = 0;
  virtual std::map<std::string, std::string> Labels() const = 0;

  // Auctions (0.18 rule): this host qualifies when every constraint key is one of its
  // labels with an identical value, and the actor (resolved through the OCI map when a
  // reference) is not running here / the provider is not running here with that link.
  virtual bool QualifiesForActor(std::string_view actor_ref, const Constraints& constraints) = 0;
  virtual bool QualifiesForProvider(std::string_view provider_ref, std::string_view link_name,
                                    const Constraints& constraints) = 0;
  // Whether the host is running (not yet started, or stopping: commands are refused).
  virtual bool IsRunning() = 0;
  // Whether actor `actor_id` (a public key, as 0.18's `upd` names it) runs here.
  virtual bool RunsActor(std::string_view actor_id) = 0;

  // Commands. Each returns when done (the 0.18 transport acknowledges first and runs the
  // command afterwards; that is the transport's choice). Errors as the Host API's.
  virtual Status StartActor(std::string_view oci_ref) = 0;
  virtual Status StopActor(std::string_view actor_ref) = 0;
  virtual Status UpdateActor(std::string_view actor_id, std::string_view new_oci_ref) = 0;
  virtual Status StartProvider(std::string_view oci_ref, std::string_view link_name) = 0;
  virtual Status StopProvider(std::string_view provider_ref, std::string_view link_name,
                              std::string_view contract_id) = 0;
  virtual Status PutLabel(std::string_view key, std::string_view value) = 0;
  virtual Status DeleteLabel(std::string_view key) = 0;

  // v1 only (docs/control-v1.md). A link written to (or removed from) the lattice data;
  // returns after the write is acknowledged. Errors as Host::SetLink / RemoveLink.
  virtual Status PutLink(const LinkDefinition& link) = 0;
  virtual Status DeleteLink(std::string_view actor_id, std::string_view contract_id,
                            std::string_view link_name) = 0;
  // Asks whoever runs the host to stop it (as SIGTERM would); returns at once.
  // kFailedPrecondition when the embedder did not allow remote stops.
  virtual Status RequestStop() = 0;
  // Credentials for later pulls from `registry` ("HOST[:PORT]"), before any other source.
  virtual Status PutRegistryCredentials(std::string_view registry, std::string_view username,
                                        std::string_view password) = 0;
};

}  // namespace wasmcloud::lattice
