// The 0.18 control interface on a lattice transport (spec §7.5, lattice.md "Subjects"):
// wasmbus.ctl.{ns}.get.hosts, get.{host}.inv, get.links, get.claims (the last two in
// queue group wasmbus.ctl.{ns}: one host answers), cmd.{host}.{la,sa,lp,sp,upd},
// auction.actor and auction.provider. JSON in and out (lattice/control_json.h); the
// answers come from a ControlHandler (the host) and the lattice data.
//
// Threads: each message is handed from the transport's thread to this server's pool
// (2 threads, bounded queue; when full, a command is answered "host busy" and a query is
// dropped). `la`, `lp` and `upd` (and the v1 starts and updates) are acknowledged as 0.18
// did, before the registry is asked, and run afterwards on a second pool (4 threads, at
// most 32 commands running or waiting: beyond that the ack says "host busy"); one command
// per target at a time (a second start of one reference, link name, or update of one
// actor, is refused while the first runs, and auctions do not bid for what is starting).
// Their outcome is logged (and the host's events say what started). Stop waits for them.
//
// Answers go only to inboxes: a request whose reply subject is a lattice or server
// subject (lattice::ValidateReplySubject) is handled without an answer.
//
// The v1 dialect (docs/control-v1.md) on wasmbus.ctl.v1.{ns}.* is served by the same
// threads and handler: the {success, message, response} envelope, an operation id for
// every accepted command (set as lattice::OperationScope while it runs, so its events
// carry it), "unsupported subject" for a subject it does not know.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/thread_pool.h"
#include "lattice/control.h"
#include "lattice/lattice_store.h"
#include "lattice/transport.h"

namespace wasmcloud::host {

struct ControlServerOptions {
  std::string lattice_name = "default";
  std::string host_id;
  // Whether `upd` can succeed here (--allow-live-updates): without it, the ack says
  // accepted=false instead of accepting an update that would fail.
  bool live_updates = false;
  std::string version;  // reported by v1 host.ping / host.get
  unsigned threads = 2;
  size_t max_queued = 256;
  // The background commands: threads, and how many may run or wait at once.
  unsigned command_threads = 4;
  size_t max_commands = 32;
};

class ControlServer {
 public:
  ControlServer(std::shared_ptr<lattice::Transport> transport, ControlServerOptions options,
                lattice::ControlHandler& handler, const lattice::LatticeStore& store);
  ~ControlServer();  // Stop()

  // Subscribes to every subject, and returns once the server has them (Flush).
  Status Start();
  // Unsubscribes, finishes the messages already received, waits for the commands running
  // in the background. Idempotent; not from one of this server's threads.
  void Stop();
  // True on one of this server's threads (its request pool or its command pool).
  bool OnOwnThread() const { return executor_.OnPoolThread() || commands_.OnPoolThread(); }

 private:
  enum class Kind {
    kHosts,
    kInventory,
    kLinks,
    kClaims,
    kCommand,
    kActorAuction,
    kProviderAuction,
    kV1,         // a v1 subject this host serves
    kV1Unknown,  // any v1 subject: answered only when no host serves it
  };
  void OnMessage(Kind kind, lattice::Message message);
  void Handle(Kind kind, const lattice::Message& message);
  void HandleCommand(const lattice::Message& message);
  void HandleV1(const lattice::Message& message);
  // Runs `command` with a new operation id set, then answers Accepted(id) or its failure.
  void RunV1(const lattice::Message& message, const std::function<Status()>& command);
  // A 0.18 ack of a start: StartActorAck or StartProviderAck.
  using StartAck = std::string (*)(std::string_view host_id, std::string_view ref,
                                   const std::optional<std::string>& failure);
  // la and lp: refused (logged, and the ack says why) when the body names another host,
  // the host is not running, `qualifies` says it runs here already (`already_running`,
  // 0.18's text), the reference cannot be pulled, or Background refuses; else acknowledged,
  // then `start` runs on the command pool under `key` and its failure is logged.
  void StartFromRegistry(const lattice::Message& m, std::string_view what, const std::string& ref,
                         std::string_view host_id, std::string key, StartAck ack,
                         const std::function<bool()>& qualifies, const std::string& already_running,
                         std::function<Status()> start);
  // RunV1 on the command pool under `key` (or answers the refusal of Background).
  void RunV1Later(const lattice::Message& message, std::string key,
                  std::function<Status()> command);
  // Answers Accepted(id) at once, then runs `command` in the background with the id set
  // (or answers the refusal of Background).
  void StartV1(const lattice::Message& message, std::string key, std::function<Status()> command,
               std::string what);
  // Runs `task` on the command pool under `key` (one at a time per key), after `ack` has
  // answered the request. The reason it cannot otherwise (`ack` is not called): a command
  // for `key` runs, or too many do, or the server stops.
  std::optional<std::string> Background(std::string key, const std::function<void()>& ack,
                                        std::function<void()> task);
  // Whether a command for `key` is running or waiting.
  bool InFlight(const std::string& key);
  std::string Claims(bool v1) const;
  void Reply(const lattice::Message& request, const std::string& json);

  std::shared_ptr<lattice::Transport> transport_;
  const ControlServerOptions options_;
  lattice::ControlHandler& handler_;
  const lattice::LatticeStore& store_;
  ThreadPool executor_;
  ThreadPool commands_;  // la, lp, upd and the v1 starts after their ack; Stop waits for them
  std::mutex mu_;
  std::vector<std::unique_ptr<lattice::Subscription>> subscriptions_;
  bool stopped_ = false;
  std::set<std::string> in_flight_;  // the keys of the commands on commands_
  bool said_reflection_ = false;     // a refused reply subject was logged at warn
};

}  // namespace wasmcloud::host
