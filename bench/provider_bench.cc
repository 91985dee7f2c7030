// Figures of a capability provider run in process and out of process (src/provider/
// native_library.h, src/provider/process_provider.h): the first-party keyvalue provider
// (build/providers/libwasmcloud_keyvalue.so), its in-memory store (a made-up actor bound
// with no URL link value), answering Get of a key that holds a 16-byte value:
//   (1) in process: LoadNativeProvider, HandleCall a call into the library's vtable
//   (2) in process, guarded: the same, behind GuardProvider (provider/guarded_provider.h,
//       what the host does with an in-process provider that is not first-party): each call
//       handed to one of the guard's threads and waited for with a deadline
//   (3) out of process: LaunchProviderProcess on the same library, the child being this
//       build's `wasmcloud provider-host`, HandleCall a request and its reply over the
//       socket to the child
//   (4) the start of a child, while this process holds 0, 256 and 1024 MiB of written
//       memory: LaunchProviderProcess until the child has loaded the library (5 starts,
//       median), and then one write to each page of that memory: its time and this
//       process's minor page faults over the start and the writes (what a start costs the
//       rest of a busy host; in a PID namespace when run as root)
// For (1) to (3): the round-trip latency of one call from one thread (p50, p99 and mean over at
// least 20,000 calls, back to back, after a warm-up), and the throughput of 1, 4 and 16
// caller threads (calls/s over 2 s each, after a warm-up); then the ratios guarded / in
// process and out of process / in process of the p50 and of the 16-thread throughput. The
// ProviderHost is trivial (no actors; the provider's warnings go to stderr). Each timed call
// includes two steady_clock reads (some 40 ns in all: it shows in process). It prints figures and
// asserts nothing. Run: build/bench/provider_bench (about 25 s; it prints the load average first:
// other work on the machine skews every figure).
#include <dirent.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <numeric>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "bench_util.h"
#include "core/bytes.h"
#include "core/log.h"
#include "core/status.h"
#include "provider/guarded_provider.h"
#include "provider/native_library.h"
#include "provider/process_provider.h"
#include "provider/provider.h"
#include "wire/keyvalue.h"

namespace wasmcloud {
namespace {

using Clock = std::chrono::steady_clock;
using bench::Micros;
using bench::Percentile;
using bench::PrintMachine;
using bench::ProcessCpuMicros;
using bench::Seconds;
using std::chrono::milliseconds;

constexpr std::string_view kContract = "wasmcloud:keyvalue";
// A made-up module key: the provider binds it to its in-memory store (no URL value).
constexpr std::string_view kActor = "MBENCHPROVIDERBENCHACTORKEYVALUEGET0000000000000000000000";
constexpr std::string_view kKey = "provider-bench-key";
constexpr size_t kValueBytes = 16;
constexpr milliseconds kWarmup{300};
constexpr size_t kLatencyCalls = 20000;    // at least this many timed calls,
constexpr milliseconds kLatencyMin{1000};  // and for at least this long
constexpr milliseconds kThroughputWindow{2000};
constexpr int kCallers[] = {1, 4, 16};

[[noreturn]] void Fail(const std::string& what, const Status& s) {
  std::fprintf(stderr, "provider_bench: %s: %s\n", what.c_str(), s.message().c_str());
  std::_Exit(1);  // not exit(): the providers' threads are still running
}
template <typename T>
T Must(Result<T> r, const std::string& what) {
  if (!r.ok()) Fail(what, r.status());
  return *std::move(r);
}
void Must(const Status& s, const std::string& what) {
  if (!s.ok()) Fail(what, s);
}

// --- the machine: CPU time of this process's children (bench_util.h has the rest)

// utime + stime of this process's children still running (the provider-host child), in
// microseconds (clock-tick resolution).
double ChildrenCpuMicros() {
  double micros = 0;
  for (const auto& [pid, cmd] : bench::Processes()) {
    const std::vector<std::string> f = bench::StatFields(pid);
    if (f.size() > 1 && f[1] == std::to_string(getpid())) micros += bench::CpuMicrosOf(pid);
  }
  return micros;
}

// --- the host side

// No actors here: a provider's call_actor gets an error; its warnings go to stderr.
class BenchHost final : public provider::ProviderHost {
 public:
  Result<Bytes> CallActor(std::string_view actor, std::string_view operation, ByteView) override {
    return NotFound("provider_bench: no actor " + std::string(actor) + " (" +
                    std::string(operation) + ")");
  }
  void Log(LogLevel level, std::string_view message) override {
    if (level < LogLevel::kWarn) return;
    std::fprintf(stderr, "provider_bench: provider: %.*s\n", static_cast<int>(message.size()),
                 message.data());
  }
  void OnSupervision(Supervision, std::string_view detail) override {
    // A crash or restart during a run would skew its figures: say so.
    std::fprintf(stderr, "provider_bench: supervision: %.*s\n", static_cast<int>(detail.size()),
                 detail.data());
  }
};

// --- callers

struct Latency {
  double p50_us = 0, p99_us = 0, mean_us = 0;
  size_t calls = 0, errors = 0;
  std::string first_error;
};

// One thread, back to back: at least kLatencyCalls timed calls and at least kLatencyMin.
Latency MeasureLatency(const std::function<Status()>& call) {
  for (const auto end = Clock::now() + kWarmup; Clock::now() < end;) (void)call();
  Latency l;
  std::vector<double> us;
  us.reserve(kLatencyCalls * 4);
  const auto t0 = Clock::now();
  while (us.size() < kLatencyCalls || Clock::now() - t0 < kLatencyMin) {
    const auto s0 = Clock::now();
    Status s = call();
    const auto s1 = Clock::now();
    if (s.ok()) {
      us.push_back(Micros(s1 - s0));
    } else if (l.errors++ == 0) {
      l.first_error = s.message();
    }
    if (l.errors > 1000) break;  // failing: no figures
  }
  l.calls = us.size();
  if (us.empty()) return l;
  l.mean_us = std::accumulate(us.begin(), us.end(), 0.0) / static_cast<double>(us.size());
  l.p50_us = Percentile(us, 0.50);
  l.p99_us = Percentile(us, 0.99);
  return l;
}

struct Throughput {
  int callers = 0;
  double per_second = 0;
  double cpu_us_per_call = 0;  // this process and its children (the provider-host)
  size_t calls = 0, errors = 0;
  std::string first_error;
};

// `callers` threads call `call` in a loop for `window`, all released at once.
Throughput Run(int callers, milliseconds window, const std::function<Status()>& call) {
  std::atomic<bool> go{false}, stop{false};
  std::atomic<int> ready{0};
  std::mutex mu;
  Throughput t;
  t.callers = callers;
  std::vector<std::thread> threads;
  for (int c = 0; c < callers; ++c) {
    threads.emplace_back([&] {
      size_t calls = 0, errors = 0;
      std::string error;
      ++ready;
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      while (!stop.load(std::memory_order_relaxed)) {
        Status s = call();
        if (s.ok()) {
          ++calls;
        } else if (errors++ == 0) {
          error = s.message();
        }
      }
      std::lock_guard lock(mu);
      t.calls += calls;
      t.errors += errors;
      if (t.first_error.empty()) t.first_error = error;
    });
  }
  while (ready.load() < callers) std::this_thread::yield();
  const double cpu0 = ProcessCpuMicros() + ChildrenCpuMicros();
  const auto t0 = Clock::now();
  go.store(true, std::memory_order_release);
  std::this_thread::sleep_for(window);  // the measuring window itself
  stop = true;
  for (auto& th : threads) th.join();
  const double seconds = Seconds(Clock::now() - t0);
  const double cpu = ProcessCpuMicros() + ChildrenCpuMicros() - cpu0;
  if (t.calls > 0) {
    t.per_second = static_cast<double>(t.calls) / seconds;
    t.cpu_us_per_call = cpu / static_cast<double>(t.calls);
  }
  return t;
}

struct ModeFigures {
  Latency latency;
  std::vector<Throughput> throughput;  // one per kCallers
};

void PrintErrors(size_t errors, const std::string& first) {
  if (errors > 0) std::printf(", %zu errors, first: %s", errors, first.c_str());
}

// Starts `p`, binds kActor, sets kKey, checks a Get, measures, stops `p`. `cpu_of` names
// whose CPU time the CPU/call figure counts.
ModeFigures Measure(const char* mode, std::shared_ptr<provider::Provider> p, BenchHost* host,
                    const char* cpu_of) {
  const provider::ProviderDescriptor d = p->Describe();
  std::printf("(%s) %s \"%s\" %s\n", mode, d.contract_id.c_str(), d.name.c_str(),
              d.version.c_str());
  Must(p->Start(host), std::string(mode) + ": Start");
  Must(p->BindActor(kActor, provider::LinkValues{}), std::string(mode) + ": BindActor");
  const std::string value(kValueBytes, 'v');
  const Bytes set = wire::Encode(wire::SetArgs{std::string(kKey), value, 0});
  Must(p->HandleCall(kActor, "Set", set).status(), std::string(mode) + ": Set");
  const Bytes get = wire::Encode(wire::GetArgs{std::string(kKey)});
  {
    const Bytes reply = Must(p->HandleCall(kActor, "Get", get), std::string(mode) + ": Get");
    const wire::GetResponse r = Must(wire::DecodeGetResponse(reply), std::string(mode) + ": reply");
    if (!r.exists || r.value != value) {
      Fail(std::string(mode) + ": Get",
           Internal("not the value Set (exists " + std::to_string(r.exists) + ", " +
                    std::to_string(r.value.size()) + " bytes)"));
    }
  }
  auto call = [&p, &get]() -> Status { return p->HandleCall(kActor, "Get", get).status(); };

  ModeFigures f;
  f.latency = MeasureLatency(call);
  std::printf("  latency, 1 thread      p50 %7.2f us  p99 %7.2f us  mean %7.2f us  (%zu calls",
              f.latency.p50_us, f.latency.p99_us, f.latency.mean_us, f.latency.calls);
  PrintErrors(f.latency.errors, f.latency.first_error);
  std::printf(")\n");
  for (int callers : kCallers) {
    (void)Run(callers, kWarmup, call);
    Throughput t = Run(callers, kThroughputWindow, call);
    std::printf("  throughput, %2d thread%s %10.0f calls/s  CPU/call %6.2f us (%s)  (%zu calls",
                callers, callers == 1 ? " " : "s", t.per_second, t.cpu_us_per_call, cpu_of,
                t.calls);
    PrintErrors(t.errors, t.first_error);
    std::printf(")\n");
    f.throughput.push_back(std::move(t));
  }
  p->Stop();
  return f;
}

// The child of (3) and (4): this build's provider-host on the keyvalue library.
provider::ProcessProviderOptions ChildOptions() {
  provider::ProcessProviderOptions o;
  o.executable = WC_WASMCLOUD_BIN;
  o.library = WC_KEYVALUE_PROVIDER;
  o.contract = std::string(kContract);
  o.display = "keyvalue (provider_bench)";
  o.log_level = LogLevel::kWarn;
  return o;
}

// (4): `mib` MiB written, then 5 starts of the child.
void MeasureStarts(size_t mib) {
  const size_t bytes = mib << 20;
  const long page = ::sysconf(_SC_PAGESIZE);
  std::vector<char> memory(bytes, 1);
  std::vector<double> start_ms, touch_ms, faults;
  for (int i = 0; i < 5; ++i) {
    rusage before{}, after{};
    ::getrusage(RUSAGE_SELF, &before);
    const auto t0 = Clock::now();
    auto p = Must(provider::LaunchProviderProcess(ChildOptions()), "LaunchProviderProcess");
    const auto t1 = Clock::now();
    for (size_t at = 0; at < bytes; at += static_cast<size_t>(page)) memory[at] += 1;
    const auto t2 = Clock::now();
    ::getrusage(RUSAGE_SELF, &after);
    start_ms.push_back(1e3 * Seconds(t1 - t0));
    touch_ms.push_back(1e3 * Seconds(t2 - t1));
    faults.push_back(static_cast<double>(after.ru_minflt - before.ru_minflt));
    p->Stop();
  }
  std::printf(
      "  %4zu MiB written: start p50 %6.2f ms (min %6.2f, max %6.2f); then a write to each of "
      "its pages %6.2f ms; minor faults of this process %7.0f (medians of 5)\n",
      mib, Percentile(start_ms, 0.5), *std::min_element(start_ms.begin(), start_ms.end()),
      *std::max_element(start_ms.begin(), start_ms.end()), Percentile(touch_ms, 0.5),
      Percentile(faults, 0.5));
}

int Main() {
  SetLogLevel(LogLevel::kWarn);
  const auto bench_start = Clock::now();
  std::printf(
      "provider_bench: keyvalue Get (%zu-byte value, in-memory store) on %s, in process"
      " vs out of process\n  (%s provider-host); latency = one call's round trip from"
      " one thread in us, throughput = calls/s\n  completed by N caller threads over"
      " %lld ms\n",
      kValueBytes, WC_KEYVALUE_PROVIDER, WC_WASMCLOUD_BIN,
      static_cast<long long>(kThroughputWindow.count()));
  PrintMachine("at start");
  BenchHost host;

  ModeFigures in;
  {
    const auto t0 = Clock::now();
    auto p = Must(provider::LoadNativeProvider(WC_KEYVALUE_PROVIDER, std::string(kContract)),
                  "LoadNativeProvider");
    std::printf("  (loaded in process in %.1f ms)\n", 1e3 * Seconds(Clock::now() - t0));
    in = Measure("1: in process", std::move(p), &host, "this process");
  }
  ModeFigures guarded;
  {
    auto p = Must(provider::LoadNativeProvider(WC_KEYVALUE_PROVIDER, std::string(kContract)),
                  "LoadNativeProvider");
    provider::GuardOptions g;
    g.display = "keyvalue (provider_bench)";
    guarded = Measure("2: in process, guarded", provider::GuardProvider(std::move(p), g), &host,
                      "this process");
  }
  ModeFigures out;
  {
    const auto t0 = Clock::now();
    auto p = Must(provider::LaunchProviderProcess(ChildOptions()), "LaunchProviderProcess");
    std::printf("  (child launched and loaded in %.1f ms)\n", 1e3 * Seconds(Clock::now() - t0));
    out = Measure("3: out of process", std::move(p), &host, "this process + the child");
  }

  std::printf("4: the start of a child (%s)\n",
              ::geteuid() == 0 ? "in a PID namespace of its own" : "in this PID namespace");
  for (size_t mib : {0, 256, 1024}) MeasureStarts(mib);

  auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
  const double thr_in = in.throughput.back().per_second;
  const double thr_out = out.throughput.back().per_second;
  const double thr_guarded = guarded.throughput.back().per_second;
  std::printf(
      "guarded / in process: p50 latency %.1fx (%.2f us vs %.2f us);"
      " throughput, %d threads %.3fx (%.0f vs %.0f calls/s)\n",
      ratio(guarded.latency.p50_us, in.latency.p50_us), guarded.latency.p50_us, in.latency.p50_us,
      kCallers[std::size(kCallers) - 1], ratio(thr_guarded, thr_in), thr_guarded, thr_in);
  std::printf(
      "out of process / in process: p50 latency %.1fx (%.2f us vs %.2f us);"
      " throughput, %d threads %.3fx (%.0f vs %.0f calls/s)\n",
      ratio(out.latency.p50_us, in.latency.p50_us), out.latency.p50_us, in.latency.p50_us,
      kCallers[std::size(kCallers) - 1], ratio(thr_out, thr_in), thr_out, thr_in);
  PrintMachine("at the end");
  std::printf("provider_bench: %.1f s in all\n", Seconds(Clock::now() - bench_start));
  return 0;
}

}  // namespace
}  // namespace wasmcloud

int main() { return wasmcloud::Main(); }
