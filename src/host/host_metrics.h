// The host's own metrics (docs/operations.md lists them): what the call path counts and
// times, in the host's MetricsRegistry. The gauges (actors, providers, links, lattice data
// health) are read from the host's tables at scrape time; HostCore registers them.
#pragma once

#include <string>
#include <string_view>

#include "core/metrics.h"
#include "core/status.h"

namespace wasmcloud::host {

class HostMetrics {
 public:
  explicit HostMetrics(MetricsRegistry& registry);

  // One actor invocation on this host (every path: the embedder's, a provider's, a
  // guest's host call, one from the lattice), with its outcome and duration.
  void Invocation(const std::string& actor, std::string_view operation, const Status& status,
                  double seconds);
  // An invocation from the lattice refused before it ran: by the verifier (`message` is
  // its reason, "replayed: …") or by authorization ("authorization").
  void Refused(std::string_view message);
  // An actor instance replaced after a call because its memory grew past
  // --instance-recycle-mb (its memory returned to the system).
  void InstanceRecycled(const std::string& actor);

  // "ok", "deadline" (kDeadlineExceeded), "overloaded" (kResourceExhausted: no worker or
  // too many calls of the actor at once), "error" (anything else: a guest error, a trap).
  static std::string_view Outcome(const Status& status);
  // The label of a refusal: its message up to the first ':', in snake case
  // ("bad signature: …" → "bad_signature"); at most 40 characters of [a-z0-9_].
  static std::string Reason(std::string_view message);

 private:
  static constexpr std::string_view kOutcomes[] = {"ok", "error", "deadline", "overloaded"};
  // The series one (actor, operation) updates: its four outcomes (made together, so each
  // starts at 0) and the actor's durations. Each thread keeps those it used last, so that
  // an invocation updates two atomics and takes no lock.
  struct Cells {
    Counter::Cell* outcomes[4];
    Histogram::Cell* duration;
  };
  const Cells& CellsOf(const std::string& actor, std::string_view operation);

  const uint64_t id_;  // tells the threads' caches of two HostMetrics apart
  Counter* invocations_;
  Histogram* durations_;
  Counter* refused_;
  Counter* recycled_;
};

}  // namespace wasmcloud::host
