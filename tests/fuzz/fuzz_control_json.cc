// Fuzz target for the control interface's request parsers (src/lattice/control_json.h), the
// 0.18 ones and the v1 ones (docs/control-v1.md), which read JSON from anyone who can
// publish on wasmbus.ctl.{ns}.* or wasmbus.ctl.v1.{ns}.*. Input: one selector
// byte (which request), then the request body. Properties:
//   - a parser never crashes, and an error is kMalformed with a message;
//   - what parses is answered with JSON that parses again and carries the request's
//     references unchanged (so a reply never breaks a client or loses what it asked).
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "fuzz_check.h"
#include "lattice/control_json.h"

namespace {

using namespace wasmcloud;
namespace cj = wasmcloud::lattice::control_json;

nlohmann::json Reparse(const std::string& reply) {
  auto j = nlohmann::json::parse(reply, nullptr, false);
  FUZZ_CHECK(!j.is_discarded());
  FUZZ_CHECK(j.is_object());
  return j;
}

template <typename T>
bool Failed(const Result<T>& r) {
  if (r.ok()) return false;
  FUZZ_CHECK(r.status().code() == Code::kMalformed);
  FUZZ_CHECK(!r.status().message().empty());
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const ByteView body(data + 1, size - 1);
  switch (data[0] % 12) {
    case 0: {
      auto r = cj::ParseStartActor(body);
      if (Failed(r)) break;
      auto j = Reparse(cj::StartActorAck("N", r->actor_ref, std::nullopt));
      FUZZ_CHECK(j["actor_ref"] == r->actor_ref);
      break;
    }
    case 1: {
      auto r = cj::ParseStopActor(body);
      if (Failed(r)) break;
      Reparse(cj::StopActorAck("not running: " + r->actor_ref));
      break;
    }
    case 2: {
      auto r = cj::ParseStartProvider(body);
      if (Failed(r)) break;
      auto j = Reparse(cj::StartProviderAck("N", r->provider_ref, std::nullopt));
      FUZZ_CHECK(j["provider_ref"] == r->provider_ref);
      break;
    }
    case 3: {
      auto r = cj::ParseStopProvider(body);
      if (Failed(r)) break;
      Reparse(cj::StopProviderAck(r->provider_ref + "/" + r->link_name + " " + r->contract_id));
      break;
    }
    case 4: {
      auto r = cj::ParseUpdateActor(body);
      if (Failed(r)) break;
      FUZZ_CHECK(Reparse(cj::UpdateActorAck(true))["accepted"] == true);
      break;
    }
    case 5: {
      auto r = cj::ParseActorAuction(body);
      if (Failed(r)) break;
      auto j = Reparse(cj::ActorAuctionAck(*r, "N"));
      FUZZ_CHECK(j["actor_ref"] == r->actor_ref);
      FUZZ_CHECK(j["constraints"].size() == r->constraints.size());
      break;
    }
    case 6: {
      auto r = cj::ParseProviderAuction(body);
      if (Failed(r)) break;
      auto j = Reparse(cj::ProviderAuctionAck(*r, "N"));
      FUZZ_CHECK(j["provider_ref"] == r->provider_ref);
      FUZZ_CHECK(j["link_name"] == r->link_name);
      break;
    }
    case 7:
    case 8: {
      auto r = data[0] % 12 == 7 ? cj::v1::ParseLabelPut(body) : cj::v1::ParseLabelDelete(body);
      if (Failed(r)) break;
      FUZZ_CHECK(!r->key.empty());
      // A refusal quoting what was sent is still one JSON envelope.
      auto j = Reparse(cj::v1::Failure("label " + r->key + "=" + r->value + " refused"));
      FUZZ_CHECK(j["success"] == false);
      break;
    }
    case 9:
    case 10: {
      auto r = data[0] % 12 == 9 ? cj::v1::ParseLinkPut(body) : cj::v1::ParseLinkDelete(body);
      if (Failed(r)) break;
      FUZZ_CHECK(!r->actor_id.empty() && !r->contract_id.empty() && !r->link_name.empty());
      auto j = Reparse(cj::v1::Envelope(true, "", cj::v1::LinksResponse({*r})));
      FUZZ_CHECK(j["response"].size() == 1);
      FUZZ_CHECK(j["response"][0]["actor_id"] == r->actor_id);
      FUZZ_CHECK(j["response"][0]["values"].size() == r->values.size());
      break;
    }
    case 11: {
      auto r = cj::v1::ParseRegistryPut(body);
      if (Failed(r)) break;
      FUZZ_CHECK(!r->registry.empty());
      FUZZ_CHECK(Reparse(cj::v1::Accepted("op"))["response"]["operation_id"] == "op");
      break;
    }
  }
  return 0;
}
