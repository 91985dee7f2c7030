#include "lattice/control_json.h"

#include <nlohmann/json.hpp>

namespace wasmcloud::lattice::control_json {
namespace {

using Json = nlohmann::ordered_json;

std::string Dump(const Json& j) {
  // Strings from a request were valid UTF-8 when parsed; replace keeps anything else
  // (a label a host was given) from throwing.
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Result<Json> ParseObject(ByteView bytes, std::string_view what) {
  if (bytes.size() > kMaxControlRequest) {
    return Malformed(std::string(what) + ": request of " + std::to_string(bytes.size()) +
                     " bytes is over the limit of " + std::to_string(kMaxControlRequest));
  }
  const char* begin = reinterpret_cast<const char*>(bytes.data());
  Json j = Json::parse(begin, begin + bytes.size(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Malformed(std::string(what) + ": the request is not valid JSON");
  if (!j.is_object()) return Malformed(std::string(what) + ": the request is not a JSON object");
  return j;
}

// A required string member.
Result<std::string> Required(const Json& j, const char* key, std::string_view what) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    return Malformed(std::string(what) + ": \"" + key + "\" is missing");
  }
  if (!it->is_string()) return Malformed(std::string(what) + ": \"" + key + "\" is not a string");
  return it->get<std::string>();
}

// An optional string member ("" when absent or null).
Result<std::string> Optional(const Json& j, const char* key, std::string_view what) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::string();
  if (!it->is_string()) return Malformed(std::string(what) + ": \"" + key + "\" is not a string");
  return it->get<std::string>();
}

Result<Constraints> ParseConstraints(const Json& j, std::string_view what) {
  Constraints out;
  auto it = j.find("constraints");
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_object()) {
    return Malformed(std::string(what) + ": \"constraints\" is not an object");
  }
  for (const auto& [k, v] : it->items()) {
    if (!v.is_string()) {
      return Malformed(std::string(what) + ": constraint \"" + k + "\" is not a string");
    }
    out[k] = v.get<std::string>();
  }
  return out;
}

Json Failure(const std::optional<std::string>& failure) {
  return failure ? Json(*failure) : Json(nullptr);
}

Json ConstraintsJson(const Constraints& c) {
  Json j = Json::object();
  for (const auto& [k, v] : c) j[k] = v;
  return j;
}

}  // namespace

Result<StartActorCommand> ParseStartActor(ByteView json) {
  constexpr std::string_view what = "start actor command";
  WC_ASSIGN_OR_RETURN(Json j, ParseObject(json, what));
  StartActorCommand c;
  WC_ASSIGN_OR_RETURN(c.actor_ref, Required(j, "actor_ref", what));
  WC_ASSIGN_OR_RETURN(c.host_id, Optional(j, "host_id", what));
  return c;
}

Result<StopActorCommand> ParseStopActor(ByteView json) {
  constexpr std::string_view what = "stop actor command";
  WC_ASSIGN_OR_RETURN(Json j, ParseObject(json, what));
  StopActorCommand c;
  WC_ASSIGN_OR_RETURN(c.actor_ref, Required(j, "actor_ref", what));
  WC_ASSIGN_OR_RETURN(c.host_id, Optional(j, "host_id", what));
  return c;
}

Result<StartProviderCommand> ParseStartProvider(ByteView json) {
  constexpr std::string_view what = "start provider command";
  WC_ASSIGN_OR_RETURN(Json j, ParseObject(json, what));
  StartProviderCommand c;
  WC_ASSIGN_OR_RETURN(c.provider_ref, Required(j, "provider_ref", what));
  WC_ASSIGN_OR_RETURN(c.link_name, Optional(j, "link_name", what));
  WC_ASSIGN_OR_RETURN(c.host_id, Optional(j, "host_id", what));
  return c;
}

Result<StopProviderCommand> ParseStopProvider(ByteView json) {
  constexpr std::string_view what = "stop provider command";
  WC_ASSIGN_OR_RETURN(Json j, ParseObject(json, what));
  StopProviderCommand c;
  WC_ASSIGN_OR_RETURN(c.provider_ref, Required(j, "provider_ref", what));
  WC_ASSIGN_OR_RETURN(c.link_name, Optional(j, "link_name", what));
  WC_ASSIGN_OR_RETURN(c.contract_id, Optional(j, "contract_id", what));
  WC_ASSIGN_OR_RETURN(c.host_id, Optional(j, "host_id", what));
  return c;
}

Result<UpdateActorCommand> ParseUpdateActor(ByteView json) {
  constexpr std::string_view what = "update actor command";
  WC_ASSIGN_OR_RETURN(Json j, ParseObject(json, what));
  UpdateActorCommand c;
  WC_ASSIGN_OR_RETURN(c.actor_id, Required(j, "actor_id", what));
  WC_ASSIGN_OR_RETURN(c.new_actor_ref, Required(j, "new_actor_ref", what));
  WC_ASSIGN_OR_RETURN(c.host_id, Optional(j, "host_id", what));
  return c;
}

Result<ActorAuctionRequest> ParseActorAuction(ByteView json) {
  constexpr std::string_view what = "actor auction";
  WC_ASSIGN_OR_RETURN(Json j, ParseObject(json, what));
  ActorAuctionRequest r;
  WC_ASSIGN_OR_RETURN(r.actor_ref, Required(j, "actor_ref", what));
  WC_ASSIGN_OR_RETURN(r.constraints, ParseConstraints(j, what));
  return r;
}

Result<ProviderAuctionRequest> ParseProviderAuction(ByteView json) {
  constexpr std::string_view what = "provider auction";
  WC_ASSIGN_OR_RETURN(Json j, ParseObject(json, what));
  ProviderAuctionRequest r;
  WC_ASSIGN_OR_RETURN(r.provider_ref, Required(j, "provider_ref", what));
  WC_ASSIGN_OR_RETURN(r.link_name, Optional(j, "link_name", what));
  WC_ASSIGN_OR_RETURN(r.constraints, ParseConstraints(j, what));
  return r;
}

std::string StartActorAck(std::string_view host_id, std::string_view actor_ref,
                          const std::optional<std::string>& failure) {
  Json j;
  j["host_id"] = host_id;
  j["actor_ref"] = actor_ref;
  j["failure"] = Failure(failure);
  return Dump(j);
}

std::string StopActorAck(const std::optional<std::string>& failure) {
  Json j;
  j["failure"] = Failure(failure);
  return Dump(j);
}

std::string StartProviderAck(std::string_view host_id, std::string_view provider_ref,
                             const std::optional<std::string>& failure) {
  Json j;
  j["host_id"] = host_id;
  j["provider_ref"] = provider_ref;
  j["failure"] = Failure(failure);
  return Dump(j);
}

std::string StopProviderAck(const std::optional<std::string>& failure) {
  Json j;
  j["failure"] = Failure(failure);
  return Dump(j);
}

std::string UpdateActorAck(bool accepted) {
  Json j;
  j["accepted"] = accepted;
  return Dump(j);
}

std::string ActorAuctionAck(const ActorAuctionRequest& request, std::string_view host_id) {
  Json j;
  j["actor_ref"] = request.actor_ref;
  j["constraints"] = ConstraintsJson(request.constraints);
  j["host_id"] = host_id;
  return Dump(j);
}

std::string ProviderAuctionAck(const ProviderAuctionRequest& request, std::string_view host_id) {
  Json j;
  j["provider_ref"] = request.provider_ref;
  j["link_name"] = request.link_name;
  j["host_id"] = host_id;
  return Dump(j);
}

std::string HostJson(const HostSummary& host) {
  Json j;
  j["id"] = host.id;
  j["uptime"] = host.uptime_seconds;
  return Dump(j);
}

std::string InventoryJson(const HostInventory& inventory) {
  Json j;
  j["host_id"] = inventory.host_id;
  Json labels = Json::object();
  for (const auto& [k, v] : inventory.labels) labels[k] = v;
  j["labels"] = std::move(labels);
  Json actors = Json::array();
  for (const ActorDescription& a : inventory.actors) {
    Json x;
    x["id"] = a.id;
    if (a.image_ref) x["image_ref"] = *a.image_ref;
    if (a.name) x["name"] = *a.name;
    x["revision"] = a.revision;
    actors.push_back(std::move(x));
  }
  j["actors"] = std::move(actors);
  Json providers = Json::array();
  for (const ProviderDescription& p : inventory.providers) {
    Json x;
    x["id"] = p.id;
    x["link_name"] = p.link_name;
    if (p.image_ref) x["image_ref"] = *p.image_ref;
    if (p.name) x["name"] = *p.name;
    x["revision"] = p.revision;
    providers.push_back(std::move(x));
  }
  j["providers"] = std::move(providers);
  return Dump(j);
}

std::string LinksJson(const std::vector<LinkDefinition>& links) {
  Json list = Json::array();
  for (const LinkDefinition& l : links) {
    Json x;
    x["actor_id"] = l.actor_id;
    x["provider_id"] = l.provider_id;
    x["link_name"] = l.link_name;
    x["contract_id"] = l.contract_id;
    Json values = Json::object();
    for (const auto& [k, v] : l.values) values[k] = v;
    x["values"] = std::move(values);
    list.push_back(std::move(x));
  }
  Json j;
  j["links"] = std::move(list);
  return Dump(j);
}

std::string ClaimsJson(const std::vector<ClaimsValues>& claims) {
  Json list = Json::array();
  for (const ClaimsValues& c : claims) {
    Json values;
    values["sub"] = c.sub;
    values["iss"] = c.iss;
    values["caps"] = c.caps;
    values["rev"] = c.rev;
    values["version"] = c.version;
    Json x;
    x["values"] = std::move(values);
    list.push_back(std::move(x));
  }
  Json j;
  j["claims"] = std::move(list);
  return Dump(j);
}

}  // namespace wasmcloud::lattice::control_json
