#include "provider/extras.h"

#include <sodium.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "crypto/claims.h"
#include "crypto/sodium_init.h"
#include "wire/core.h"
#include "wire/extras.h"

namespace wasmcloud::provider {

const std::string_view kExtrasJwt =
    "eyJ0eXAiOiJqd3QiLCJhbGciOiJFZDI1NTE5In0."
    "eyJqdGkiOiJxaFBJdWJMZnRxNE1RdlkxbkQzODJsIiwiaWF0IjoxNjE0ODc3ODM5LCJpc3MiOiJBQ09KSk42V1VQNE"
    "9ERDc1WEVCS0tUQ0NVSkpDWTVaS1E1NlhWS1lLNEJFSldHVkFPT1FIWk1DVyIsInN1YiI6IlZESFBLR0ZLREkzNFk0"
    "Uk40UFdXWkhSWVo2MzczSFlSU05ORU00VVRETExPR081QjM3VFNWUkVQIiwid2FzY2FwIjp7Im5hbWUiOiJ3YXNtY2"
    "xvdWQgRXh0cmFzIiwiY2FwaWQiOiJ3YXNtY2xvdWQ6ZXh0cmFzIiwidmVuZG9yIjoid2FzbWNsb3VkIiwidGFyZ2V0"
    "X2hhc2hlcyI6e319fQ."
    "tD3rA1M7fpzyt5-bX1nevdKG4e8GNNjRfNP5Mdz0MHnoZ2R-Qs6APwp2m6PvM9T5-Q4_wBzb_ZpVUoTSi_2RAQ";

namespace {

class ExtrasProvider final : public Provider {
 public:
  ExtrasProvider() { crypto::EnsureSodium(); }

  ProviderDescriptor Describe() const override {
    return {std::string(kExtrasContractId), "wasmcloud Extras", "0.18"};
  }

  Status Start(ProviderHost* /*host*/) override { return Status::Ok(); }
  // Nothing to set up per actor: any linked actor may call, and the host has already
  // checked the link and the actor's claims.
  Status BindActor(std::string_view, const LinkValues&) override { return Status::Ok(); }
  Status RemoveActor(std::string_view) override { return Status::Ok(); }

  Result<Bytes> HandleCall(std::string_view actor, std::string_view operation,
                           ByteView payload) override {
    if (operation == "HealthRequest") {
      // 0.18 answered without looking at the payload.
      return wire::Encode(wire::HealthResponse{.healthy = true, .message = ""});
    }
    if (operation != "RequestGuid" && operation != "RequestRandom" &&
        operation != "RequestSequence") {
      return NotFound("bad dispatch: " + std::string(kExtrasContractId) + " has no operation \"" +
                      std::string(operation) + "\"");
    }
    auto request = wire::DecodeGeneratorRequest(payload);
    if (!request.ok()) {
      return request.status().WithContext(std::string(operation) +
                                          ": the payload is not a GeneratorRequest");
    }
    wire::GeneratorResult result;
    if (operation == "RequestGuid") {
      result.guid = crypto::NewUuidV4();
    } else if (operation == "RequestRandom") {
      if (request->random) {
        WC_ASSIGN_OR_RETURN(result.random_number, RandomInRange(request->min, request->max));
      }
    } else {
      result.sequence_number = NextSequence(actor);
    }
    return wire::Encode(result);
  }

  void Stop() override {}

 private:
  // Uniform in [min, max). 0.18 (rand's gen_range) panicked on min >= max.
  static Result<uint32_t> RandomInRange(uint32_t min, uint32_t max) {
    if (min >= max) {
      return InvalidArgument("RequestRandom: min (" + std::to_string(min) +
                             ") must be less than max (" + std::to_string(max) + ")");
    }
    // randombytes_uniform avoids modulo bias.
    return min + randombytes_uniform(max - min);
  }

  uint64_t NextSequence(std::string_view actor) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sequences_.try_emplace(std::string(actor), 0).first;
    return it->second++;
  }

  std::mutex mu_;
  std::unordered_map<std::string, uint64_t> sequences_;  // guarded by mu_
};

}  // namespace

std::shared_ptr<Provider> NewExtrasProvider() { return std::make_shared<ExtrasProvider>(); }

Result<crypto::ProviderClaims> ExtrasClaims() { return crypto::DecodeProviderClaims(kExtrasJwt); }

}  // namespace wasmcloud::provider
