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

namespace {

// with_contracts: each provider's "contract_id" too (v1; 0.18 had none).
Json InventoryValue(const HostInventory& inventory, bool with_contracts) {
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
    if (with_contracts) {
      x["contract_id"] = p.contract_id;
      // "pending" before the first check.
      x["health"] = !p.healthy ? "pending" : *p.healthy ? "healthy" : "unhealthy";
      if (p.healthy && !*p.healthy) x["health_message"] = p.health_message;
    }
    if (p.image_ref) x["image_ref"] = *p.image_ref;
    if (p.name) x["name"] = *p.name;
    x["revision"] = p.revision;
    providers.push_back(std::move(x));
  }
  j["providers"] = std::move(providers);
  return j;
}

// with_ids: each link's "id" first (v1; 0.18 had none).
Json LinksValue(const std::vector<LinkDefinition>& links, bool with_ids) {
  Json list = Json::array();
  for (const LinkDefinition& l : links) {
    Json x;
    if (with_ids) x["id"] = LinkId(l.actor_id, l.contract_id, l.link_name);
    x["actor_id"] = l.actor_id;
    x["provider_id"] = l.provider_id;
    x["link_name"] = l.link_name;
    x["contract_id"] = l.contract_id;
    Json values = Json::object();
    for (const auto& [k, v] : l.values) values[k] = v;
    x["values"] = std::move(values);
    list.push_back(std::move(x));
  }
  return list;
}

}  // namespace

std::string InventoryJson(const HostInventory& inventory) {
  return Dump(InventoryValue(inventory, false));
}

std::string LinksJson(const std::vector<LinkDefinition>& links) {
  Json j;
  j["links"] = LinksValue(links, false);
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

namespace v1 {

std::string Subject(std::string_view ns, std::string_view suffix) {
  std::string s = "wasmbus.ctl.v1.";
  s += ns;
  s += '.';
  s += suffix;
  return s;
}

std::string QueueGroup(std::string_view ns) { return "wasmbus.ctl.v1." + std::string(ns); }

namespace {

Result<std::string> NonEmpty(const Json& j, const char* key, std::string_view what) {
  WC_ASSIGN_OR_RETURN(std::string v, Required(j, key, what));
  if (v.empty()) return Malformed(std::string(what) + ": \"" + key + "\" is empty");
  return v;
}

std::string LinkNameOrDefault(std::string name) { return name.empty() ? "default" : name; }

}  // namespace

Result<LabelCommand> ParseLabelPut(ByteView json) {
  constexpr std::string_view what = "label put";
  WC_ASSIGN_OR_RETURN(Json j, ParseObject(json, what));
  LabelCommand c;
  WC_ASSIGN_OR_RETURN(c.key, NonEmpty(j, "key", what));
  WC_ASSIGN_OR_RETURN(c.value, Required(j, "value", what));
  return c;
}

Result<LabelCommand> ParseLabelDelete(ByteView json) {
  constexpr std::string_view what = "label delete";
  WC_ASSIGN_OR_RETURN(Json j, ParseObject(json, what));
  LabelCommand c;
  WC_ASSIGN_OR_RETURN(c.key, NonEmpty(j, "key", what));
  return c;
}

Result<LinkDefinition> ParseLinkPut(ByteView json) {
  constexpr std::string_view what = "link put";
  WC_ASSIGN_OR_RETURN(Json j, ParseObject(json, what));
  LinkDefinition l;
  WC_ASSIGN_OR_RETURN(l.actor_id, NonEmpty(j, "actor_id", what));
  WC_ASSIGN_OR_RETURN(l.provider_id, NonEmpty(j, "provider_id", what));
  WC_ASSIGN_OR_RETURN(l.contract_id, NonEmpty(j, "contract_id", what));
  WC_ASSIGN_OR_RETURN(std::string name, Optional(j, "link_name", what));
  l.link_name = LinkNameOrDefault(std::move(name));
  if (auto it = j.find("values"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) return Malformed(std::string(what) + ": \"values\" is not an object");
    for (const auto& [k, v] : it->items()) {
      if (!v.is_string()) {
        return Malformed(std::string(what) + ": value \"" + k + "\" is not a string");
      }
      l.values[k] = v.get<std::string>();
    }
  }
  return l;
}

Result<LinkDefinition> ParseLinkDelete(ByteView json) {
  constexpr std::string_view what = "link delete";
  WC_ASSIGN_OR_RETURN(Json j, ParseObject(json, what));
  LinkDefinition l;
  WC_ASSIGN_OR_RETURN(l.actor_id, NonEmpty(j, "actor_id", what));
  WC_ASSIGN_OR_RETURN(l.contract_id, NonEmpty(j, "contract_id", what));
  WC_ASSIGN_OR_RETURN(std::string name, Optional(j, "link_name", what));
  l.link_name = LinkNameOrDefault(std::move(name));
  return l;
}

Result<RegistryCommand> ParseRegistryPut(ByteView json) {
  constexpr std::string_view what = "registry put";
  WC_ASSIGN_OR_RETURN(Json j, ParseObject(json, what));
  RegistryCommand c;
  WC_ASSIGN_OR_RETURN(c.registry, NonEmpty(j, "registry", what));
  WC_ASSIGN_OR_RETURN(c.username, Optional(j, "username", what));
  WC_ASSIGN_OR_RETURN(c.password, Optional(j, "password", what));
  return c;
}

std::string Envelope(bool success, std::string_view message,
                     const std::optional<std::string>& response_json) {
  Json head;
  head["success"] = success;
  head["message"] = message;
  std::string out = Dump(head);
  if (response_json) {
    out.pop_back();  // the closing brace
    out += ",\"response\":";
    out += *response_json;
    out += '}';
  }
  return out;
}

std::string Failure(std::string_view message) { return Envelope(false, message); }

std::string Accepted(std::string_view operation_id) {
  Json j;
  j["operation_id"] = operation_id;
  return Envelope(true, "", Dump(j));
}

namespace {

Json LabelsValue(const std::map<std::string, std::string>& labels) {
  Json j = Json::object();
  for (const auto& [k, v] : labels) j[k] = v;
  return j;
}

}  // namespace

std::string PingResponse(const HostDetails& host) {
  Json j;
  j["id"] = host.summary.id;
  j["labels"] = LabelsValue(host.labels);
  j["uptime_seconds"] = host.summary.uptime_seconds;
  j["version"] = host.version;
  j["lattice"] = host.lattice;
  return Dump(j);
}

std::string InventoryResponse(const HostInventory& inventory, const HostDetails& host) {
  Json j = InventoryValue(inventory, true);
  Json failed = Json::array();
  for (const FailedLink& f : inventory.failed_links) {
    Json x;
    x["actor_id"] = f.link.actor_id;
    x["provider_id"] = f.link.provider_id;
    x["contract_id"] = f.link.contract_id;
    x["link_name"] = f.link.link_name;
    x["error"] = f.error;
    failed.push_back(std::move(x));
  }
  j["failed_links"] = std::move(failed);
  j["uptime_seconds"] = host.summary.uptime_seconds;
  j["version"] = host.version;
  return Dump(j);
}

std::string LinksResponse(const std::vector<LinkDefinition>& links) {
  return Dump(LinksValue(links, true));
}

std::string ClaimsResponse(const std::vector<ClaimsValues>& claims) {
  Json list = Json::array();
  for (const ClaimsValues& c : claims) {
    Json x;
    x["sub"] = c.sub;
    x["iss"] = c.iss;
    if (c.name) x["name"] = *c.name;
    x["caps"] = c.caps;
    x["rev"] = c.rev;
    x["version"] = c.version;
    if (c.call_alias) x["call_alias"] = *c.call_alias;
    list.push_back(std::move(x));
  }
  return Dump(list);
}

}  // namespace v1

}  // namespace wasmcloud::lattice::control_json
