#include "host/host_metrics.h"

#include <atomic>
#include <unordered_map>

namespace wasmcloud::host {
namespace {

std::atomic<uint64_t> g_next_id{1};

// A thread's cache of the cells of one HostMetrics (the one it used last), by
// "actor\0operation"; at most kCached entries (then it starts again).
constexpr size_t kCached = 256;
template <typename CellsT>
struct ThreadCache {
  uint64_t owner = 0;
  std::string key;  // reused: no allocation per lookup
  std::unordered_map<std::string, CellsT> cells;
};

size_t OutcomeIndex(const Status& status) {
  switch (status.code()) {
    case Code::kOk:
      return 0;
    case Code::kDeadlineExceeded:
      return 2;
    case Code::kResourceExhausted:
      return 3;
    default:
      return 1;
  }
}

}  // namespace

HostMetrics::HostMetrics(MetricsRegistry& registry)
    : id_(g_next_id.fetch_add(1)),
      invocations_(registry.AddCounter(
          "wasmcloud_invocations_total",
          "Actor invocations run on this host, by actor, operation and outcome.",
          {"actor", "operation", "outcome"})),
      durations_(registry.AddHistogram("wasmcloud_invocation_duration_seconds",
                                       "Time actor invocations took on this host, by actor.",
                                       {"actor"}, MetricsRegistry::LatencyBuckets())),
      refused_(registry.AddCounter(
          "wasmcloud_invocations_refused_total",
          "Invocations from the lattice refused before they ran, by reason.", {"reason"}, 100)),
      recycled_(registry.AddCounter(
          "wasmcloud_instances_recycled_total",
          "Actor instances replaced after a call because their memory grew past "
          "--instance-recycle-mb, by actor.",
          {"actor"})) {}

const HostMetrics::Cells& HostMetrics::CellsOf(const std::string& actor,
                                               std::string_view operation) {
  thread_local ThreadCache<Cells> cache;
  if (cache.owner != id_ || cache.cells.size() >= kCached) {
    cache.owner = id_;
    cache.cells.clear();
  }
  cache.key.assign(actor);
  cache.key += '\0';
  cache.key.append(operation);
  auto it = cache.cells.find(cache.key);
  if (it != cache.cells.end()) return it->second;
  Cells cells{};
  const std::string op(operation);
  for (size_t i = 0; i < 4; ++i) {
    cells.outcomes[i] = invocations_->Series({actor, op, std::string(kOutcomes[i])});
  }
  cells.duration = durations_->Series({actor});
  return cache.cells.emplace(cache.key, cells).first->second;
}

void HostMetrics::Invocation(const std::string& actor, std::string_view operation,
                             const Status& status, double seconds) {
  const Cells& cells = CellsOf(actor, operation);
  cells.outcomes[OutcomeIndex(status)]->Add();
  cells.duration->Observe(seconds);
}

void HostMetrics::Refused(std::string_view message) { refused_->Add({Reason(message)}); }

void HostMetrics::InstanceRecycled(const std::string& actor) { recycled_->Add({actor}); }

std::string_view HostMetrics::Outcome(const Status& status) {
  return kOutcomes[OutcomeIndex(status)];
}

std::string HostMetrics::Reason(std::string_view message) {
  std::string out;
  for (char c : message.substr(0, message.find(':'))) {
    if (out.size() >= 40) break;
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      out += c;
    } else if (!out.empty() && out.back() != '_') {
      out += '_';
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out.empty() ? "other" : out;
}

}  // namespace wasmcloud::host
