// The capability providers running on this host, by (public key, link name), and those
// being stopped. Thread-safe; its lock guards only the maps and is never held while
// calling a provider.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/log.h"
#include "core/status.h"
#include "crypto/claims.h"
#include "lattice/entity.h"
#include "provider/provider.h"

namespace wasmcloud::host {

// An empty or blank link name means "default" (0.18 normalize_link_name).
std::string NormalizeLinkName(std::string_view link_name);

// One provider under (public key, link name).
struct ProviderEntry {
  std::string public_key;
  std::string contract_id;
  std::string link_name;
  // The provider as the origin of its calls to actors (made once, with the key above).
  lattice::Entity as_origin;
  crypto::ProviderClaims claims;
  // What the provider sees of us. Declared before `provider`, so it outlives it: a
  // provider whose start failed may still log through it while it is destroyed.
  std::unique_ptr<provider::ProviderHost> host;
  std::shared_ptr<provider::Provider> provider;
  std::optional<std::string> image_ref;
  // One of Start/BindActor/RemoveActor/Health/Stop at a time.
  std::mutex control_mu;
  // Set once its Start returned ok: until then calls to it are refused (it is in the
  // table from before Start, so that no second start of the same key can race it).
  std::atomic<bool> started{false};
  // Set when StopProvider (or the host's stop) took it out of the table: new calls to it
  // are refused at once, while its Stop may still run in the background.
  std::atomic<bool> stopping{false};
  // Where its start is, for the order of its events: a StopProvider that ends while the
  // start is kStarting leaves its ProviderStopped to the start, which publishes it right
  // after ProviderStarted (or drops it when the start fails); after kFailed nothing is
  // published, after kAnnounced the stop publishes its own. The events never say
  // "stopped" before "started", nor "stopped" for a start that failed.
  enum class Announce { kStarting, kAnnounced, kFailed };
  std::mutex announce_mu;
  Announce announce = Announce::kStarting;  // guarded by announce_mu
  // Guarded by announce_mu: set (to that stop's operation id, maybe empty) by a stop
  // that ended while the start was kStarting.
  std::optional<std::string> stopped_during_start;

  std::string DisplayName() const;

  // Runs `call`, a call into the provider's own code returning Status or Result<T>; an
  // exception that escapes it becomes kInternal "provider <name> threw: <what>", so no
  // provider can unwind through the host.
  template <typename Call>
  auto Guard(Call&& call) const -> decltype(call()) {
    try {
      return call();
    } catch (const std::exception& e) {
      return Internal("provider " + DisplayName() + " threw: " + e.what());
    } catch (...) {
      return Internal("provider " + DisplayName() +
                      " threw an exception that is not a std::exception");
    }
  }
  // Stop, under control_mu and the guard; a failure is logged.
  void StopGuarded();
};

using ProviderPtr = std::shared_ptr<ProviderEntry>;

class ProviderTable {
 public:
  // `on_change` runs after every change (the dispatcher's routing caches), outside the lock.
  explicit ProviderTable(std::function<void()> on_change) : on_change_(std::move(on_change)) {}

  ProviderPtr Find(std::string_view public_key, std::string_view link_name) const;
  // The refusal of a second provider under (key, link name): Reserve's, and the host's
  // before it loads one.
  static Status AlreadyRunning(std::string_view public_key, std::string_view link_name);
  // The first running provider of `contract_id` under `link_name`, or null.
  ProviderPtr FindByContract(std::string_view contract_id, std::string_view link_name) const;
  // Takes (key, link name) for a provider that is starting. When a provider with that key
  // and link name is still stopping, waits (up to `wait`) for its Stop to return first.
  // kAlreadyExists when one runs or starts there; kFailedPrecondition when the old one is
  // still stopping after `wait`, or when the table is closed (the host is stopping).
  Status Reserve(ProviderPtr entry, std::chrono::milliseconds wait);
  // Gives up a reservation whose start failed (nothing was started: no Stop is due).
  void Unreserve(const ProviderEntry& entry);
  // Takes a running provider out of the table and marks it stopping; null when none
  // runs under that key and link name. The caller stops it, then calls DoneStopping.
  ProviderPtr BeginStop(std::string_view public_key, std::string_view link_name);
  // Every running provider, marked stopping and taken out, and the table closed: a later
  // Reserve fails (host stop).
  std::vector<ProviderPtr> BeginStopAll();
  void DoneStopping(const ProviderEntry& entry);
  // Every running provider, by (key, link name).
  std::vector<ProviderPtr> All() const;

 private:
  // (public key, link name). Looked up without copying the caller's strings: the
  // comparator compares string_view pairs (std::less<> over tuples of std::string and
  // std::string_view does not compile with clang's view of libstdc++).
  using Key = std::pair<std::string, std::string>;
  using KeyView = std::pair<std::string_view, std::string_view>;
  struct KeyLess {
    using is_transparent = void;
    static KeyView View(const Key& k) { return {k.first, k.second}; }
    static KeyView View(const KeyView& k) { return k; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return View(a) < View(b);
    }
  };

  std::function<void()> on_change_;
  mutable std::mutex mu_;
  std::condition_variable stopped_cv_;
  std::map<Key, ProviderPtr, KeyLess> providers_;
  std::multiset<Key> stopping_;
  bool closed_ = false;
};

}  // namespace wasmcloud::host
