// The ProviderHost a provider holds is valid only between the host's Start and the return
// of its Stop, but the provider may call it from any thread at any time (its own threads
// outlive Stop's request, a C library keeps the wc_host_api it was created with). A
// HostGate stands between them: calls made through it reach the host between Attach and
// Detach and find no host otherwise, and Detach waits for the calls that are in the host
// on other threads. Used by the wc_host_api of a provider library (native_library.cc) and
// by the host that a guarded provider sees (guarded_provider.cc).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>

#include "provider/provider.h"

namespace wasmcloud::provider {

class HostGate {
 public:
  HostGate() = default;
  HostGate(const HostGate&) = delete;
  HostGate& operator=(const HostGate&) = delete;

  // Calls reach `host` from now on; nothing after Detach (a stopped provider stays stopped).
  void Attach(ProviderHost* host);

  // Calls find no host from now on. Returns once the calls that are in the host on other
  // threads have returned; those on this thread's own stack (a provider stopped from
  // inside a call it forwarded) are not waited for, which would never end.
  void Detach();

  // Whether Detach has been called (a call without a host says "stopped", not "not yet
  // started").
  bool detached() const;

  // One call through the gate: host() is the host for as long as this lives, or nullptr
  // outside Attach..Detach.
  class Hold {
   public:
    explicit Hold(HostGate& gate);
    ~Hold();
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;
    ProviderHost* host() const { return host_; }

   private:
    HostGate& gate_;
    ProviderHost* host_ = nullptr;
  };

 private:
  mutable std::mutex mu_;
  std::condition_variable idle_;
  ProviderHost* host_ = nullptr;  // guarded by mu_
  size_t in_flight_ = 0;          // holds with a host; guarded by mu_
  bool detached_ = false;         // guarded by mu_
};

}  // namespace wasmcloud::provider
