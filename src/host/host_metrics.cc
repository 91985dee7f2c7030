#include "host/host_metrics.h"

namespace wasmcloud::host {

HostMetrics::HostMetrics(MetricsRegistry& registry)
    : invocations_(registry.AddCounter(
          "wasmcloud_invocations_total",
          "Actor invocations run on this host, by actor, operation and outcome.",
          {"actor", "operation", "outcome"})),
      durations_(registry.AddHistogram("wasmcloud_invocation_duration_seconds",
                                       "Time actor invocations took on this host, by actor.",
                                       {"actor"}, MetricsRegistry::LatencyBuckets())),
      refused_(registry.AddCounter(
          "wasmcloud_invocations_refused_total",
          "Invocations from the lattice refused before they ran, by reason.", {"reason"}, 100)) {}

void HostMetrics::Invocation(const std::string& actor, std::string_view operation,
                             const Status& status, double seconds) {
  invocations_->Add({actor, std::string(operation), std::string(Outcome(status))});
  durations_->Observe({actor}, seconds);
}

void HostMetrics::Refused(std::string_view message) { refused_->Add({Reason(message)}); }

std::string_view HostMetrics::Outcome(const Status& status) {
  switch (status.code()) {
    case Code::kOk:
      return "ok";
    case Code::kDeadlineExceeded:
      return "deadline";
    case Code::kResourceExhausted:
      return "overloaded";
    default:
      return "error";
  }
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
