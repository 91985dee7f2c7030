#include "provider/host_gate.h"

#include <algorithm>
#include <vector>

namespace wasmcloud::provider {
namespace {
// The gates whose host this thread is in (one entry per Hold with a host, innermost last).
thread_local std::vector<const HostGate*> tl_held;
}  // namespace

void HostGate::Attach(ProviderHost* host) {
  std::lock_guard lock(mu_);
  if (!detached_) host_ = host;
}

void HostGate::Detach() {
  std::unique_lock lock(mu_);
  host_ = nullptr;
  detached_ = true;
  const auto mine = static_cast<size_t>(std::count(tl_held.begin(), tl_held.end(), this));
  idle_.wait(lock, [&] { return in_flight_ <= mine; });
}

bool HostGate::detached() const {
  std::lock_guard lock(mu_);
  return detached_;
}

HostGate::Hold::Hold(HostGate& gate) : gate_(gate) {
  tl_held.push_back(&gate_);  // first: it may throw, what follows may not
  {
    std::lock_guard lock(gate_.mu_);
    host_ = gate_.host_;
    if (host_ != nullptr) ++gate_.in_flight_;
  }
  if (host_ == nullptr) tl_held.pop_back();
}

HostGate::Hold::~Hold() {
  if (host_ == nullptr) return;
  tl_held.pop_back();
  std::lock_guard lock(gate_.mu_);
  --gate_.in_flight_;
  // Only a Detach waits; it set detached_ first.
  if (gate_.detached_) gate_.idle_.notify_all();
}

}  // namespace wasmcloud::provider
