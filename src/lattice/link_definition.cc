#include "lattice/link_definition.h"

#include <exception>
#include <nlohmann/json.hpp>
#include <utility>

#include "crypto/sha256.h"
#include "wire/msgpack.h"

namespace wasmcloud::lattice {
namespace {

using Json = nlohmann::ordered_json;

Status BadJson(std::string detail) { return Malformed("link definition JSON: " + detail); }

Status JsonString(const Json& obj, const char* key, std::string* out) {
  auto it = obj.find(key);
  if (it == obj.end()) return BadJson("missing key \"" + std::string(key) + "\"");
  if (!it->is_string()) return BadJson("key \"" + std::string(key) + "\" is not a string");
  *out = it->get<std::string>();
  return Status::Ok();
}

Result<LinkDefinition> FromJson(std::string_view json) {
  Json j = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return BadJson("not valid JSON");
  if (!j.is_object()) return BadJson("not a JSON object");
  LinkDefinition link;
  WC_RETURN_IF_ERROR(JsonString(j, "actor_id", &link.actor_id));
  WC_RETURN_IF_ERROR(JsonString(j, "provider_id", &link.provider_id));
  WC_RETURN_IF_ERROR(JsonString(j, "contract_id", &link.contract_id));
  WC_RETURN_IF_ERROR(JsonString(j, "link_name", &link.link_name));
  // "id" is derived from the other keys (LinkId), so it is not read.
  auto values = j.find("values");
  if (values != j.end()) {
    if (!values->is_object()) return BadJson("key \"values\" is not an object");
    for (const auto& [k, v] : values->items()) {
      if (!v.is_string()) {
        std::string shown = k.size() <= 64 ? k : k.substr(0, 64) + "...";
        return BadJson(
            "key \"values\": " + Json(shown).dump(-1, ' ', false, Json::error_handler_t::replace) +
            " is not a string");
      }
      link.values[k] = v.get<std::string>();
    }
  }
  return link;
}

}  // namespace

std::string LinkId(std::string_view actor_id, std::string_view contract_id,
                   std::string_view link_name) {
  std::string joined;
  joined.reserve(actor_id.size() + contract_id.size() + link_name.size());
  joined.append(actor_id).append(contract_id).append(link_name);
  return crypto::Sha256HexUpper(AsBytes(joined));
}

std::string LinkToJson(const LinkDefinition& link) {
  Json j = Json::object();
  j["id"] = LinkId(link.actor_id, link.contract_id, link.link_name);
  j["actor_id"] = link.actor_id;
  j["provider_id"] = link.provider_id;
  j["contract_id"] = link.contract_id;
  j["link_name"] = link.link_name;
  Json values = Json::object();
  for (const auto& [k, v] : link.values) values[k] = v;
  j["values"] = std::move(values);
  // Invalid UTF-8 (possible in msgpack strings, which are not checked) becomes U+FFFD
  // instead of an exception.
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Result<LinkDefinition> LinkFromJson(std::string_view json) {
  try {
    return FromJson(json);
  } catch (const std::exception& e) {
    return BadJson(e.what());
  }
}

Bytes EncodeLinkDefinition(const LinkDefinition& link) {
  wire::Writer w;
  w.MapHeader(5);
  w.Str("actor_id");
  w.Str(link.actor_id);
  w.Str("provider_id");
  w.Str(link.provider_id);
  w.Str("contract_id");
  w.Str(link.contract_id);
  w.Str("link_name");
  w.Str(link.link_name);
  w.Str("values");
  w.StrMap(link.values);
  return w.Take();
}

Result<LinkDefinition> DecodeLinkDefinition(ByteView data) {
  LinkDefinition link;
  wire::StructReader s("LinkDefinition");
  s.Str("actor_id", &link.actor_id);
  s.Str("provider_id", &link.provider_id);
  s.Str("contract_id", &link.contract_id);
  s.Str("link_name", &link.link_name);
  s.StrMap("values", &link.values);
  WC_RETURN_IF_ERROR(s.Decode(data));
  return link;
}

}  // namespace wasmcloud::lattice
