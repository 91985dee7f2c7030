// Deadlines for a provider that runs in the host's process.
//
// A provider in a child process (process_provider.h) is bounded by its supervisor, which
// can kill it. Code in the host's own process cannot be stopped, but the host can stop
// waiting for it: GuardProvider runs every call into the provider on threads of its own
// and gives up at the deadline, reporting the call as timed out, while the stuck thread
// is left to finish (or not) on its own. The provider, and so its library, stays alive
// until the last stuck thread returns from it.
//
//   HandleCall          on a pool of up to `max_call_threads` threads; deadline
//                       `call_timeout` (waiting for a free thread counts). A call that did
//                       not start before its deadline never runs.
//   Start, BindActor,   one at a time, in order, on a control thread; deadline
//   RemoveActor, Stop   `control_timeout`. A control call stuck in the provider makes the
//                       ones behind it time out too.
//   Health              on the control thread; deadline `health_timeout`.
//
// The provider sees a ProviderHost of the guard's own that forwards to the real host
// until Stop returns (or, when Start failed, until the guard goes), and answers
// kUnavailable after that: a provider still running after its host gave up on it cannot
// reach a host that no longer exists.
//
// The price is a thread hand-off per call (bench/provider_bench: "in process, guarded").
// The host guards every in-process provider that is not first-party; the first-party
// providers bound their own waits (Redis connect and command timeouts, the HTTP client's
// timeout, NATS request timeouts) and are called directly.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "core/status.h"
#include "provider/provider.h"

namespace wasmcloud::provider {

struct GuardOptions {
  std::string display;  // names the provider in messages: its file or reference
  std::chrono::milliseconds call_timeout{30000};
  std::chrono::milliseconds control_timeout{10000};
  std::chrono::milliseconds health_timeout{2000};
  size_t max_call_threads = 16;
};

// `inner` behind deadlines. Errors it adds:
//   kDeadlineExceeded  "<display>: the provider did not answer <what> within N ms (it runs
//                      in the host's process, so it cannot be stopped; run it with
//                      isolation: process to have it restarted)"
//   kUnavailable       after Stop: "<display>: the provider is stopped"
std::shared_ptr<Provider> GuardProvider(std::shared_ptr<Provider> inner, GuardOptions options);

// Runs `load` (which calls the library's create) on a thread of its own and waits up to
// `timeout`. On timeout: kDeadlineExceeded "<display>: the provider's create did not
// return within N ms"; a provider the stuck create returns later is dropped there.
Result<std::shared_ptr<Provider>> LoadWithDeadline(
    std::function<Result<std::shared_ptr<Provider>>()> load, const std::string& display,
    std::chrono::milliseconds timeout);

}  // namespace wasmcloud::provider
