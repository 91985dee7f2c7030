// `wasmcloud up [--manifest FILE]... [host options]`: runs a host until SIGINT or SIGTERM,
// then stops everything and exits 0; in a lattice over NATS, the one of --rpc-host
// (docs/lattice.md) or else a local one on a nats-server of its own (local_lattice.h), or
// alone with --no-lattice (single-player).
//
// `wasmcloud call --manifest FILE... ACTOR OPERATION [payload] [--hex]`: starts a host,
// applies the manifests, makes one call_actor, prints the response as `wasmcloud wapc`
// does, and stops. With --rpc-host it joins the lattice first, so the actor may run on
// another host.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <iostream>
#include <mutex>
#include <thread>

#include "admin/admin_server.h"
#include "cli/commands.h"
#include "cli/host_options.h"
#include "cli/io.h"
#include "cli/lattice_join.h"
#include "cli/local_lattice.h"
#include "core/log.h"
#include "core/metrics.h"
#include "host/host.h"
#include "host/manifest.h"
#include "wasm/v8/v8_engine.h"

namespace wasmcloud::cli {
namespace {

constexpr std::string_view kLog = "wasmcloud";

// Parses every manifest before the host starts, so that a bad file changes nothing.
Result<std::vector<host::Manifest>> LoadManifests(const std::vector<std::string>& paths) {
  std::vector<host::Manifest> manifests;
  for (const auto& path : paths) {
    auto m = host::LoadManifest(path);
    if (!m.ok()) return m.status();
    manifests.push_back(std::move(*m));
  }
  return manifests;
}

// The metrics of the lattice's NATS connections, read from libnats at scrape time.
void AddNatsMetrics(MetricsRegistry& registry, const JoinedLattice& lattice) {
  using Samples = std::vector<std::pair<LabelValues, double>>;
  if (!lattice.rpc) return;
  auto connections = [&lattice] {
    std::vector<std::pair<std::string, std::shared_ptr<nats::NatsConnection>>> out = {
        {"rpc", lattice.rpc}};
    if (lattice.control && lattice.control != lattice.rpc) out.emplace_back("ctl", lattice.control);
    return out;
  }();
  registry.AddGauge("wasmcloud_nats_connected",
                    "1 while the NATS connection is up, by connection (rpc, ctl).", {"connection"},
                    [connections]() -> Samples {
                      Samples out;
                      for (const auto& [name, c] : connections) {
                        out.push_back({{name}, c->connected() ? 1.0 : 0.0});
                      }
                      return out;
                    });
  registry.AddCounterReader("wasmcloud_nats_reconnects_total",
                            "Reconnects of the NATS connection, by connection.", {"connection"},
                            [connections]() -> Samples {
                              Samples out;
                              for (const auto& [name, c] : connections) {
                                out.push_back({{name}, static_cast<double>(c->stats().reconnects)});
                              }
                              return out;
                            });
  registry.AddCounterReader("wasmcloud_nats_messages_total",
                            "Messages through the NATS connection, by direction.",
                            {"connection", "direction"}, [connections]() -> Samples {
                              Samples out;
                              for (const auto& [name, c] : connections) {
                                const auto s = c->stats();
                                out.push_back({{name, "in"}, static_cast<double>(s.in_msgs)});
                                out.push_back({{name, "out"}, static_cast<double>(s.out_msgs)});
                              }
                              return out;
                            });
}

// /readyz: the host runs, its manifests are applied, its NATS connections are up and
// the lattice data is whole.
bool Ready(host::Host& host, const JoinedLattice& lattice, const std::atomic<bool>& applied,
           std::string* why) {
  if (!host.running()) {
    *why = applied ? "the host is stopping" : "the host is starting";
    return false;
  }
  if (!applied) {
    *why = "applying the manifests";
    return false;
  }
  if (lattice.rpc && !lattice.rpc->connected()) {
    *why = "disconnected from NATS (" + lattice.description + ")";
    return false;
  }
  if (lattice.control && lattice.control != lattice.rpc && !lattice.control->connected()) {
    *why = "the control connection is disconnected from NATS";
    return false;
  }
  if (host.lattice_data_degraded()) {
    *why = "the lattice data bucket was lost and is being re-filled";
    return false;
  }
  return true;
}

// The last line of the start-up: counts, not the inventory again (each start and link
// has its line above; `wasmcloud ctl get inventory` lists them).
std::string RunningLine(host::Host& host) {
  return "running until SIGINT or SIGTERM: " + std::to_string(host.Actors().size()) +
         " actor(s), " + std::to_string(host.Providers().size()) +
         " provider(s) (built-ins included), " + std::to_string(host.LinkDefinitions().size()) +
         " link(s)";
}

const char* SignalName(int sig) { return sig == SIGINT ? "SIGINT" : "SIGTERM"; }

// SIGINT and SIGTERM, taken by a thread of their own from the first moment: the first
// asks for a stop, which `up` acts on as soon as the step it is in ends (joining the
// lattice, starting, applying a manifest), cutting registry pulls short (Host::Interrupt);
// a second ends the process at once (exit code 128 + signal), unless it is the first
// delivered again (the same signal from the same process within kSameSignal).
class SignalWatch {
 public:
  explicit SignalWatch(const sigset_t& set) : set_(set), thread_([this] { Run(); }) {}
  // The thread waits in sigwait until the process exits.
  ~SignalWatch() { thread_.detach(); }
  bool requested() const { return first_.load() != 0; }
  // Runs `action` on the first signal (at once when it already came): what can be cut
  // short (registry pulls) is.
  // Runs under the watch's lock, so that after OnFirst({}) returns it no longer runs.
  void OnFirst(std::function<void()> action) {
    std::lock_guard<std::mutex> lock(mu_);
    on_first_ = std::move(action);
    if (first_.load() != 0 && on_first_) on_first_();
  }
  // As a first signal would (a control client's "stop host"); from any thread.
  void Request(const std::string& why) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (first_.load() != 0) return;
      Log(LogLevel::kInfo, kLog, "stopping: " + why);
      first_.store(SIGTERM);
      if (on_first_) on_first_();
    }
    cv_.notify_all();
  }
  // Waits for the first signal; returns it.
  int Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return first_.load() != 0; });
    return first_.load();
  }

 private:
  void Run() {
    pid_t first_sender = -1;
    std::chrono::steady_clock::time_point first_at;
    for (;;) {
      siginfo_t info{};
      const int sig = sigwaitinfo(&set_, &info);
      if (sig <= 0) continue;
      const auto now = std::chrono::steady_clock::now();
      if (first_.load() == 0) {
        if (info.si_code == SI_USER) first_sender = info.si_pid;
        first_at = now;
        Log(LogLevel::kInfo, kLog,
            std::string("received ") + SignalName(sig) +
                ", stopping (send it again to exit at once)");
        {
          std::lock_guard<std::mutex> lock(mu_);
          first_.store(sig);
          if (on_first_) on_first_();
        }
        cv_.notify_all();
      } else if (sig == first_.load() && info.si_code == SI_USER && info.si_pid == first_sender &&
                 now - first_at < kSameSignal) {
        // One request delivered twice: coreutils `timeout` (and other supervisors)
        // signal both the process and its process group, so the same signal from the
        // same sender arrives again microseconds later. Not a second request.
        Log(LogLevel::kInfo, kLog,
            std::string("received ") + SignalName(sig) + " again from process " +
                std::to_string(info.si_pid) +
                " at once (sent to the process group too): " + "still stopping");
      } else {
        Log(LogLevel::kWarn, kLog,
            std::string("received ") + SignalName(sig) + " again: exiting at once");
        _exit(128 + sig);
      }
    }
  }

  // A repeat of the first signal from the process that sent it, within this time, is
  // the same request (see Run).
  static constexpr std::chrono::milliseconds kSameSignal{1000};

  sigset_t set_;
  std::atomic<int> first_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  std::function<void()> on_first_;
  std::thread thread_;
};

struct UpOptions {
  HostOptions host;
  std::vector<std::string> manifests;
  bool keep_going = false;
};

int RunUp(const UpOptions& o) {
  HostOptions::ApplyToProcess(host::HostConfig{});
  auto config = o.host.Resolve();
  if (!config.ok()) {
    PrintError("up", config.status().message());
    return 2;
  }
  HostOptions::ApplyToProcess(*config);
  SetLogLevel(config->log_level);
  SetLogFormat(config->log_format);
  auto manifests = LoadManifests(o.manifests);
  if (!manifests.ok()) {
    PrintError("up", manifests.status().message());
    return 2;
  }
  // The signals are taken by sigwait below; blocking them before any thread starts makes
  // every host thread inherit the mask, so none of them is killed by Ctrl-C.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  SignalWatch watch(signals);

  // Without --rpc-host: a nats-server of its own, joined below, stopped after the host
  // (declared before it); a signal while it starts ends `up`.
  std::unique_ptr<LocalLattice> local;
  if (config->rpc_host.empty() && !config->no_lattice) {
    auto started = LocalLattice::Start(*config, [&watch] { return watch.requested(); });
    if (watch.requested()) return 0;
    if (!started.ok()) {
      PrintError("up", started.status().message());
      return 2;
    }
    local = std::move(*started);
    // A local lattice is a development host: its endpoints are on (a free loopback port,
    // said in the log and written to the local lattice file) unless --http-admin off.
    if (config->http_admin.empty()) config->http_admin = "127.0.0.1:0";
  }
  if (config->http_admin == "off") config->http_admin.clear();
  auto lattice = JoinLattice(*config);
  if (!lattice.ok()) {
    PrintError("up", lattice.status().message());
    return 2;
  }
  if (watch.requested()) return 0;
  host::Host host(*config, wasm::CreateV8Engine, lattice->options);
  // Served from before Start (a pull may take a while: /livez answers, /readyz says
  // why not yet) until the host is stopped (declared after it: gone first).
  std::atomic<bool> applied{false};
  std::unique_ptr<admin::AdminServer> admin_server;
  if (!config->http_admin.empty()) {
    AddProcessMetrics(host.metrics());
    AddNatsMetrics(host.metrics(), *lattice);
    admin::AdminHandlers handlers;
    handlers.ready = [&host, &lattice, &applied](std::string* why) {
      return Ready(host, *lattice, applied, why);
    };
    handlers.metrics = [&host] { return host.metrics().Render(); };
    auto served = admin::AdminServer::Start(config->http_admin, std::move(handlers));
    if (!served.ok()) {
      PrintError("up", served.status().message());
      return 2;
    }
    admin_server = std::move(*served);
    Log(LogLevel::kInfo, kLog,
        "admin endpoints on http://" + admin_server->endpoint() + " (/livez /readyz /metrics)");
  }
  if (Status s = host.Start(); !s.ok()) {
    PrintError("up", s.message());
    return 2;
  }
  if (local)
    local->Publish(host.id(), admin_server ? "http://" + admin_server->endpoint()
                                           : "");  // the local lattice file, for `wasmcloud ctl`
  SetLogField("host_id", host.id());
  watch.OnFirst([&host] { host.Interrupt(); });
  host.SetStopRequestHandler(
      [&watch] { watch.Request("a control client asked this host to stop (ctl stop host)"); });
  // A lattice connection that libnats closed for good: the host would run on cut off from
  // its lattice. It stops and exits 1 instead, so that a supervisor starts it again.
  lattice->loss->OnLoss([&watch](const std::string& why) { watch.Request(why); });
  struct Forget {  // the host goes before the watch
    SignalWatch& watch;
    ConnectionLoss& loss;
    ~Forget() {
      loss.OnLoss({});
      watch.OnFirst({});
    }
  } forget{watch, *lattice->loss};
  Log(LogLevel::kInfo, kLog, "host " + host.id() + " is up (" + lattice->description + ")");
  for (const auto& m : *manifests) {
    if (watch.requested()) break;  // the rest of the manifests are not applied
    if (Status s = host.ApplyManifest(m); !s.ok()) {
      Log(LogLevel::kError, kLog, s.message());
      if (watch.requested()) break;  // a stop was asked (it cancelled what was pulled)
      if (!o.keep_going) {
        // A host that runs without what its manifest asked for (a port nobody serves)
        // is worse than one that stops and says why.
        Log(LogLevel::kError, kLog,
            "stopping: an entry of " + m.source +
                " failed (--keep-going runs with what could be applied)");
        (void)host.Stop();
        return 1;
      }
    }
  }
  applied = true;
  if (!watch.requested()) {
    Log(LogLevel::kInfo, kLog, RunningLine(host));
  }
  watch.Wait();
  (void)host.Stop();
  return lattice->loss->lost() ? 1 : 0;
}

struct CallOptions {
  HostOptions host;
  std::vector<std::string> manifests;
  std::string actor;
  std::string operation;
  PayloadOptions payload;
  bool hex = false;
};

int RunCall(const CallOptions& o) {
  HostOptions::ApplyToProcess(host::HostConfig{});
  auto config = o.host.Resolve();
  if (!config.ok()) {
    PrintError("call", config.status().message());
    return 2;
  }
  HostOptions::ApplyToProcess(*config);
  // The response goes to stdout; the log (stderr) only speaks of problems unless asked.
  SetLogLevel(o.host.log_level_given() ? config->log_level : LogLevel::kWarn);
  SetLogFormat(config->log_format);
  auto payload = o.payload.Resolve();
  if (!payload.ok()) {
    PrintError("call", payload.status().message());
    return 2;
  }
  auto manifests = LoadManifests(o.manifests);
  if (!manifests.ok()) {
    PrintError("call", manifests.status().message());
    return 2;
  }
  auto lattice = JoinLattice(*config);
  if (!lattice.ok()) {
    PrintError("call", lattice.status().message());
    return 2;
  }
  host::Host host(*config, wasm::CreateV8Engine, lattice->options);
  if (Status s = host.Start(); !s.ok()) {
    PrintError("call", s.message());
    return 2;
  }
  SetLogField("host_id", host.id());
  for (const auto& m : *manifests) {
    if (Status s = host.ApplyManifest(m); !s.ok()) {
      PrintError("call", s.message());
      return 1;
    }
  }
  auto response = host.CallActor(o.actor, o.operation, *payload);
  if (!response.ok()) {
    PrintError("call", response.status().message());
    return 1;
  }
  PrintPayload(*response, o.hex);
  return 0;
}

}  // namespace

void AddUpCommand(CLI::App& app, int* exit_code) {
  auto opts = std::make_shared<UpOptions>();
  CLI::App* cmd = app.add_subcommand(
      "up",
      "Run a host in a lattice (a local one, or --rpc-host's; alone with --no-lattice) until "
      "SIGINT or SIGTERM");
  cmd->add_option("-m,--manifest", opts->manifests, "manifest to apply after start (repeatable)")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_flag("--keep-going", opts->keep_going,
                "keep running when an entry of a manifest fails (it is logged); without it "
                "`up` stops and exits 1");
  opts->host.Register(*cmd);
  cmd->callback([opts, exit_code] { *exit_code = RunUp(*opts); });
}

void AddCallCommand(CLI::App& app, int* exit_code) {
  auto opts = std::make_shared<CallOptions>();
  CLI::App* cmd = app.add_subcommand(
      "call", "Start a host from a manifest, call one operation of an actor, print the response");
  cmd->add_option("-m,--manifest", opts->manifests, "manifest to apply (repeatable)")
      ->required()
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("ACTOR", opts->actor, "actor public key or call alias")->required();
  cmd->add_option("OPERATION", opts->operation, "operation name")->required();
  opts->payload.Register(*cmd);
  cmd->add_flag("--hex", opts->hex, "print the response as hex");
  opts->host.Register(*cmd);
  cmd->callback([opts, exit_code] { *exit_code = RunCall(*opts); });
}

}  // namespace wasmcloud::cli
