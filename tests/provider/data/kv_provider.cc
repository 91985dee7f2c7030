// An in-memory wasmcloud:keyvalue provider written with the SDK, with only "Add" (enough
// for the upstream kvcounter actor): {key, value: i32} -> {value: i32}. It uses the
// project's msgpack codecs (wc_wire, linked statically into the library).
// To test failing providers, the key ":fail" throws a std::runtime_error and ":throw-int"
// throws an int from HandleCall (kvcounter makes the key from the request path).
#include <wasmcloud/provider_sdk.h>

#include <map>
#include <mutex>
#include <stdexcept>
#include <string>

#include "wire/keyvalue.h"

namespace {

class MemoryKeyValue : public wasmcloud::sdk::Provider {
 public:
  wasmcloud::sdk::Descriptor Describe() const override {
    return {"wasmcloud:keyvalue", "In-memory key-value (test)", "0.1.0"};
  }

  wasmcloud::sdk::Bytes HandleCall(const std::string& actor, const std::string& operation,
                                   const uint8_t* data, size_t len) override {
    if (operation != "Add")
      throw wasmcloud::sdk::Error("keyvalue (test): no operation " + operation);
    auto args = wasmcloud::wire::DecodeAddArgs({data, len});
    if (!args.ok()) throw wasmcloud::sdk::Error("Add: " + args.status().message());
    if (args->key == ":fail") throw std::runtime_error("backing store unavailable");
    if (args->key == ":throw-int") throw 42;
    std::lock_guard lock(mu_);
    int32_t& value = values_[actor + "/" + args->key];
    value += args->value;
    return wasmcloud::wire::Encode(wasmcloud::wire::AddResponse{value});
  }

 private:
  std::mutex mu_;
  std::map<std::string, int32_t> values_;  // per actor: "<actor>/<key>"
};

}  // namespace

WASMCLOUD_PROVIDER(MemoryKeyValue)
