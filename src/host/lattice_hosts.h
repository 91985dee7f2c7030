// The hosts of this lattice, as this host has seen them: for the invocation issuer policy
// "lattice" (lattice.md, verification step 8: only hosts of the lattice may sign the
// invocations this host runs). A host is known from its events on wasmbus.ctl.{ns}.events
// (HostStarted, Heartbeat, anything it publishes; forgotten on HostStopped) and from the
// answers to one get.hosts asked at Start (the hosts that were there before this one).
//
// What this trusts: whoever may publish on the lattice's control subjects may announce a
// host key. It keeps out signers that never joined (0.18 clients' random keys, a leaked
// invocation re-signed elsewhere); the NATS credentials decide who may join. Answers to
// the get.hosts of Start count only within kAnswerWindow of it (its inbox's name goes to
// every subscriber of get.hosts, and publishing on _INBOX.> is often allowed to every
// user), and at most kMaxHosts keys are kept (a flood of events with made-up keys cannot
// grow the set without bound; beyond it new keys are refused, and that is logged once).
//
// Threads: messages are handled on the transport's threads (a few map operations);
// Known may be called from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"
#include "lattice/transport.h"

namespace wasmcloud::host {

class LatticeHosts {
 public:
  static constexpr std::chrono::milliseconds kAnswerWindow{2000};
  static constexpr size_t kMaxHosts = 10000;

  LatticeHosts(std::shared_ptr<lattice::Transport> control, std::string lattice_name,
               std::string self);
  ~LatticeHosts();  // Stop()

  // Subscribes to the events and to the answers of get.hosts, then asks it (answers
  // arrive while this host runs).
  Status Start();
  void Stop();

  // This host, or a host seen in this lattice and not stopped since.
  bool Known(std::string_view host_key) const;
  std::vector<std::string> All() const;

 private:
  void OnEvent(const lattice::Message& m);
  void OnHost(const lattice::Message& m);

  std::shared_ptr<lattice::Transport> control_;
  const std::string lattice_;
  const std::string self_;
  mutable std::mutex mu_;
  std::set<std::string, std::less<>> hosts_;
  std::chrono::steady_clock::time_point answers_until_{};  // the end of get.hosts' window
  bool said_full_ = false;
  // Under mu_: adds `key`; true when it was not known before and there was room.
  bool AddLocked(const std::string& key);
  std::vector<std::unique_ptr<lattice::Subscription>> subscriptions_;
};

}  // namespace wasmcloud::host
