// A provider whose constructor throws: wasmcloud_provider_create fails with the message.
#include <wasmcloud/provider_sdk.h>

#include <stdexcept>

namespace {

class Throwing : public wasmcloud::sdk::Provider {
 public:
  Throwing() { throw std::runtime_error("cannot reach the backing store"); }
  wasmcloud::sdk::Descriptor Describe() const override { return {"test:throwing", "", ""}; }
  wasmcloud::sdk::Bytes HandleCall(const std::string&, const std::string&, const uint8_t*,
                                   size_t) override {
    return {};
  }
};

}  // namespace

WASMCLOUD_PROVIDER(Throwing)
