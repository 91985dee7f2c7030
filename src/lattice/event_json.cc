#include "lattice/event_json.h"

#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

namespace wasmcloud::lattice {
namespace {

using Json = nlohmann::ordered_json;

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

// A member of the event's data as JSON of the 0.18 shape: the value, or `fallback`.
Json Member(const nlohmann::json& data, const char* key, Json fallback) {
  if (!data.is_object()) return fallback;
  auto it = data.find(key);
  if (it == data.end() || it->is_null()) return fallback;
  return Json::parse(it->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

Json UpdateBody(const nlohmann::json& data) {
  Json body;
  body["actor"] = Member(data, "public_key", "");
  body["old_revision"] = Member(data, "old_revision", 0);
  body["new_revision"] = Member(data, "new_revision", 0);
  return body;
}

// `fields` first in that order, then any other member (as `from` has them).
Json Ordered(const nlohmann::json& from, std::initializer_list<const char*> fields) {
  Json out = Json::object();
  for (const char* f : fields) {
    auto it = from.find(f);
    if (it != from.end())
      out[f] = Json::parse(it->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  for (const auto& [k, v] : from.items()) {
    if (!out.contains(k))
      out[k] = Json::parse(v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  return out;
}

// Claims<Actor> in wascap 0.6's field order (the heartbeat's data holds them as a sorted
// JSON object).
Json WascapOrder(const nlohmann::json& claims) {
  if (!claims.is_object()) return Json::parse(claims.dump());
  Json out = Ordered(claims, {"exp", "jti", "iat", "iss", "sub", "nbf", "wascap"});
  if (claims.contains("wascap") && claims["wascap"].is_object()) {
    out["wascap"] = Ordered(claims["wascap"],
                            {"name", "hash", "tags", "caps", "rev", "ver", "call_alias", "prov"});
  }
  return out;
}

std::optional<Json> LegacyEvent(const LatticeEvent& e) {
  const std::string& t = e.type;
  if (t == kHostStarted) return Json("HostStarted");
  if (t == kHostStopped) return Json("HostStopped");
  Json body;
  const char* variant = nullptr;
  if (t == kActorStarted) {
    variant = "ActorStarted";
    body["actor"] = Member(e.data, "public_key", "");
    body["image_ref"] = Member(e.data, "image_ref", nullptr);
  } else if (t == kActorStopped) {
    variant = "ActorStopped";
    body["actor"] = Member(e.data, "public_key", "");
  } else if (t == kActorUpdateBegan) {
    variant = "ActorUpdateBegan";
    body = UpdateBody(e.data);
  } else if (t == kActorUpdated) {
    variant = "ActorUpdateCompleted";
    body = UpdateBody(e.data);
  } else if (t == kProviderStarted) {
    variant = "ProviderStarted";
    body["contract_id"] = Member(e.data, "contract_id", "");
    body["link_name"] = Member(e.data, "link_name", "");
    body["provider_id"] = Member(e.data, "public_key", "");
    body["image_ref"] = Member(e.data, "image_ref", nullptr);
  } else if (t == kProviderStopped) {
    variant = "ProviderStopped";
    body["contract_id"] = Member(e.data, "contract_id", "");
    body["link_name"] = Member(e.data, "link_name", "");
    body["provider_id"] = Member(e.data, "public_key", "");
  } else if (t == kHostHeartbeat) {
    variant = "Heartbeat";
    Json claims = Json::array();
    if (e.data.is_object() && e.data.contains("claims") && e.data["claims"].is_array()) {
      for (const auto& c : e.data["claims"]) claims.push_back(WascapOrder(c));
    }
    body["claims"] = std::move(claims);
    body["entities"] = Member(e.data, "entities", Json::object());
  } else {
    return std::nullopt;
  }
  Json j;
  j[variant] = std::move(body);
  return j;
}

}  // namespace

std::optional<std::string> ToPublishedEvent(const LatticeEvent& event) {
  std::optional<Json> body = LegacyEvent(event);
  if (!body) return std::nullopt;
  Json j;
  j["event"] = std::move(*body);
  Json header;
  header["host_origin"] = event.host_id;
  header["timestamp"] = event.time_ms < 0 ? 0 : event.time_ms / 1000;
  j["header"] = std::move(header);
  return Dump(j);
}

std::string Rfc3339Millis(int64_t unix_millis) {
  if (unix_millis < 0) unix_millis = 0;
  std::time_t secs = static_cast<std::time_t>(unix_millis / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(unix_millis % 1000));
  return buf;
}

std::string ToCloudEvent(const LatticeEvent& event, const std::string& id) {
  Json j;
  j["specversion"] = "1.0";
  j["id"] = id;
  j["source"] = event.host_id;
  j["type"] = "com.wasmcloud.lattice." + event.type;
  j["time"] = Rfc3339Millis(event.time_ms);
  j["datacontenttype"] = "application/json";
  j["data"] =
      Json::parse(event.data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  return Dump(j);
}

}  // namespace wasmcloud::lattice
