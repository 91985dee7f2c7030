// A ProviderHost for tests of a provider on its own (no real host): it records the
// provider's log lines and answers every call to an actor as the host does for an actor
// that is not running. Header-only; the test links wc_provider.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/log.h"
#include "core/status.h"
#include "provider/provider.h"

namespace wasmcloud::testing {

class LogRecordingHost final : public provider::ProviderHost {
 public:
  Result<Bytes> CallActor(std::string_view actor, std::string_view, ByteView) override {
    return NotFound("actor " + std::string(actor) + " is not running on this host (test)");
  }
  void Log(LogLevel, std::string_view line) override {
    std::lock_guard lock(mu_);
    lines_.emplace_back(line);
  }
  std::vector<std::string> Lines() {
    std::lock_guard lock(mu_);
    return lines_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> lines_;
};

}  // namespace wasmcloud::testing
