// A wasmcloud:keyvalue provider that knows one operation, "Add" (what the upstream
// kvcounter actor calls): a msgpack map {key: string, value: i32} in, {value: i32} out,
// counted per actor. Built against the installed provider SDK (see CMakeLists.txt).
#include <wasmcloud/provider_sdk.h>

#include <cstdint>
#include <map>
#include <msgpack.hpp>
#include <mutex>
#include <string>

namespace {

namespace sdk = wasmcloud::sdk;

class Counter : public sdk::Provider {
 public:
  using Provider::Provider;

  sdk::Descriptor Describe() const override {
    return {"wasmcloud:keyvalue", "Counter (out of tree)", "0.1.0"};
  }

  void BindActor(const std::string& actor, const sdk::LinkValues&) override {
    host().Log(WC_LOG_INFO, "counting for " + actor);
  }

  sdk::Bytes HandleCall(const std::string& actor, const std::string& operation, const uint8_t* data,
                        size_t len) override {
    if (operation != "Add") throw sdk::Error("this provider only knows Add, not " + operation);
    std::string key;
    int32_t add = 0;
    try {
      msgpack::object_handle oh = msgpack::unpack(reinterpret_cast<const char*>(data), len);
      auto args = oh.get().as<std::map<std::string, msgpack::object>>();
      key = args.at("key").as<std::string>();
      add = args.at("value").as<int32_t>();
    } catch (const std::exception& e) {
      throw sdk::Error(std::string("Add: bad arguments: ") + e.what());
    }
    int32_t value = 0;
    {
      std::lock_guard lock(mu_);  // HandleCall runs on several threads at once
      value = values_[actor + "/" + key] += add;
    }
    msgpack::sbuffer out;
    msgpack::packer<msgpack::sbuffer> pk(out);
    pk.pack_map(1);
    pk.pack(std::string("value"));
    pk.pack(value);
    return sdk::Bytes(out.data(), out.data() + out.size());
  }

 private:
  std::mutex mu_;
  std::map<std::string, int32_t> values_;
};

}  // namespace

WASMCLOUD_PROVIDER(Counter)
