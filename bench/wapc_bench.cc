// Figures of the wasm engine and the waPC layer:
//   (a) waPC round trip of the C echo guest, 100-byte payload
//   (b) waPC round trip of the upstream echo.wasm HealthRequest
//   (c) a raw call of an empty export (the floor)
//   (d) compile time of echo.wasm
//   (e) instantiation from an already compiled module
//   (f) throughput on 2 worker threads against 1, same module
// (a)-(e) are Google Benchmark cases; (f) is timed after them and printed as a ratio.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "wapc/wapc.h"
#include "wasm/v8/v8_engine.h"

namespace wasmcloud {
namespace {

wasm::Engine& BenchEngine() {
  static std::shared_ptr<wasm::Engine> engine = *wasm::CreateV8Engine();
  return *engine;
}

Bytes Load(const std::string& path) {
  auto b = ReadFile(path);
  if (!b.ok()) {
    std::fprintf(stderr, "%s\n", b.status().message().c_str());
    std::exit(1);
  }
  return *b;
}

const Bytes& CEcho() {
  static Bytes b = Load(WC_EXAMPLE_ECHO);
  return b;
}
const Bytes& UpstreamEcho() {
  static Bytes b = Load(std::string(WC_SHARED_DIR) + "/fixtures/wc-host-0.18/echo.wasm");
  return b;
}

class NullHost : public wapc::HostCallbacks {
 public:
  Result<Bytes> OnHostCall(const wapc::HostCall&) override { return Unavailable("none"); }
  void OnConsoleLog(std::string_view) override {}
};

// A worker and a waPC instance on the calling thread.
struct Guest {
  std::unique_ptr<wasm::Worker> worker;
  std::unique_ptr<wapc::WapcInstance> instance;
  NullHost host;
  explicit Guest(const Bytes& module) : Guest(*wapc::WapcModule::Load(BenchEngine(), module)) {}
  explicit Guest(const std::shared_ptr<const wapc::WapcModule>& module) {
    worker = std::move(*BenchEngine().NewWorker());
    instance = std::move(*wapc::WapcInstance::Create(*worker, module, &host, "bench"));
  }
  ~Guest() { instance.reset(); }
};

void BM_a_WapcEcho100Bytes_CGuest(benchmark::State& state) {
  Guest g(CEcho());
  Bytes payload(100, 'x');
  wasm::WorkerLock lock(*g.worker);  // as the host holds its worker across calls
  for (auto _ : state) {
    auto r = g.instance->Call("echo", payload);
    if (!r.ok() || r->size() != 100) state.SkipWithError("bad reply");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_a_WapcEcho100Bytes_CGuest);

void BM_b_UpstreamEchoHealthRequest(benchmark::State& state) {
  Guest g(UpstreamEcho());
  Bytes request = *HexDecode("81ab706c616365686f6c646572c3");
  wasm::WorkerLock lock(*g.worker);
  for (auto _ : state) {
    auto r = g.instance->Call("HealthRequest", request);
    if (!r.ok()) state.SkipWithError("bad reply");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_b_UpstreamEchoHealthRequest);

// Arg 1: the worker is held across calls (as the host does); 0: every call locks it.
void BM_c_RawEmptyExportCall(benchmark::State& state) {
  // The C echo guest has no empty export; wasm-ld's own one would do, but a module
  // written for it keeps the floor honest: (module (func (export "noop"))).
  static const uint8_t kNoop[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01,
                                  0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00,
                                  0x07, 0x08, 0x01, 0x04, 0x6e, 0x6f, 0x6f, 0x70, 0x00,
                                  0x00, 0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b};
  auto module = *BenchEngine().Compile(ByteView(kNoop, sizeof kNoop));
  auto worker = std::move(*BenchEngine().NewWorker());
  auto instance = std::move(*worker->Instantiate(*module, {}));
  auto fn = *instance->FindFunction("noop");
  std::vector<wasm::Value> results;
  {
    std::optional<wasm::WorkerLock> lock;
    if (state.range(0) == 1) lock.emplace(*worker);
    for (auto _ : state) {
      Status s = instance->Call(fn, {}, &results);
      if (!s.ok()) state.SkipWithError(s.message().c_str());
    }
  }
  instance.reset();
}
BENCHMARK(BM_c_RawEmptyExportCall)->ArgName("worker_held")->Arg(1)->Arg(0);

void BM_d_CompileUpstreamEcho(benchmark::State& state) {
  // V8 reuses the compiled code of identical bytes process-wide, so each round
  // compiles a copy made unique by a custom section.
  uint64_t n = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::string tag = "bench-" + std::to_string(n++);
    Bytes unique = *wasm::AppendCustomSection(UpstreamEcho(), "bench", AsBytes(tag));
    state.ResumeTiming();
    auto m = BenchEngine().Compile(unique);
    if (!m.ok()) state.SkipWithError(m.status().message().c_str());
  }
}
BENCHMARK(BM_d_CompileUpstreamEcho)->Unit(benchmark::kMillisecond)->Iterations(20);

void BM_e_InstantiateCompiledUpstreamEcho(benchmark::State& state) {
  auto module = *wapc::WapcModule::Load(BenchEngine(), UpstreamEcho());
  auto worker = std::move(*BenchEngine().NewWorker());
  NullHost host;
  for (auto _ : state) {
    // Includes wapc_init, as the host will do.
    auto i = wapc::WapcInstance::Create(*worker, module, &host, "bench");
    if (!i.ok()) state.SkipWithError(i.status().message().c_str());
    benchmark::DoNotOptimize(i);
  }
}
BENCHMARK(BM_e_InstantiateCompiledUpstreamEcho)->Unit(benchmark::kMicrosecond);

// (e) broken down: the engine's instantiation alone (no start functions), for the
// upstream echo (17 pages of memory, data segments) and the C guest (2 pages).
void InstantiateRaw(benchmark::State& state, const Bytes& bytes) {
  auto module = *wapc::WapcModule::Load(BenchEngine(), bytes);
  auto worker = std::move(*BenchEngine().NewWorker());
  for (auto _ : state) {
    auto i = worker->Instantiate(module->module(), wapc::HostFunctions());
    if (!i.ok()) state.SkipWithError(i.status().message().c_str());
    benchmark::DoNotOptimize(i);
  }
}
void BM_e2_EngineInstantiateOnly_UpstreamEcho(benchmark::State& state) {
  InstantiateRaw(state, UpstreamEcho());
}
BENCHMARK(BM_e2_EngineInstantiateOnly_UpstreamEcho)->Unit(benchmark::kMicrosecond);
void BM_e3_EngineInstantiateOnly_CGuest(benchmark::State& state) { InstantiateRaw(state, CEcho()); }
BENCHMARK(BM_e3_EngineInstantiateOnly_CGuest)->Unit(benchmark::kMicrosecond);

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct Throughput {
  double units_per_second = 0;  // all threads, wall-clock time (units: calls, for (f))
  // Each thread's units per second of its own CPU time: how fast the core it ran on
  // went. On a VM the two vCPUs are not always equally fast.
  std::vector<double> per_thread_cpu_rate;
};

// The harness of (f) and of its references: on each of `threads` threads, `prepare()`
// makes that thread's state and returns its step (a callable returning how many units of
// work it did); once every thread is prepared, the steps run in a loop for `duration`.
template <typename Prepare>
Throughput UnitsPerSecond(int threads, std::chrono::milliseconds duration, Prepare prepare) {
  std::atomic<bool> go{false}, stop{false};
  std::atomic<int> ready{0};
  std::vector<uint64_t> counts(threads, 0);
  std::vector<double> cpu(threads, 0);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      auto step = prepare();
      ready.fetch_add(1);
      while (!go.load()) std::this_thread::yield();
      double cpu_start = ThreadCpuSeconds();
      uint64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) n += step();
      cpu[t] = ThreadCpuSeconds() - cpu_start;
      counts[t] = n;
    });
  }
  while (ready.load() < threads) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto start = std::chrono::steady_clock::now();
  go.store(true);
  std::this_thread::sleep_for(duration);
  stop.store(true);
  for (auto& th : pool) th.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  Throughput out;
  uint64_t total = 0;
  for (int t = 0; t < threads; ++t) {
    total += counts[t];
    out.per_thread_cpu_rate.push_back(cpu[t] > 0 ? static_cast<double>(counts[t]) / cpu[t] : 0);
  }
  out.units_per_second = static_cast<double>(total) / secs;
  return out;
}

// (f): one compiled module on `threads` workers, each calling for `duration`.
Throughput CallsPerSecond(const std::shared_ptr<const wapc::WapcModule>& module, int threads,
                          std::chrono::milliseconds duration) {
  return UnitsPerSecond(threads, duration, [&] {
    // The guest and the held worker live as long as the step.
    struct Caller {
      Guest guest;
      wasm::WorkerLock lock;
      Bytes request = *HexDecode("81ab706c616365686f6c646572c3");
      explicit Caller(const std::shared_ptr<const wapc::WapcModule>& m)
          : guest(m), lock(*guest.worker) {}
    };
    auto caller = std::make_shared<Caller>(module);
    for (int i = 0; i < 2000; ++i) {
      (void)caller->guest.instance->Call("HealthRequest", caller->request);  // warm
    }
    return [caller]() -> uint64_t {
      for (int i = 0; i < 64; ++i)
        (void)caller->guest.instance->Call("HealthRequest", caller->request);
      return 64;
    };
  });
}

// The machine's own scaling, measured the same way with native code that shares
// nothing, as a reference for (f). Two kinds, because this VM's two vCPUs do not scale
// all code alike: a branchy loop (each thread sorts a private 1,000-int array) and a
// high-IPC one (eight independent sums over a private 8 KiB array), which two busy vCPUs
// run well under 2x as fast as one.
__attribute__((noinline)) uint64_t EightSums(const uint32_t* a, size_t n) {
  uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
  for (size_t i = 0; i + 8 <= n; i += 8) {
    s0 += a[i] ^ i;
    s1 += a[i + 1] + 3;
    s2 += a[i + 2] * 3;
    s3 += a[i + 3] ^ 7;
    s4 += a[i + 4] + s0;
    s5 += a[i + 5] ^ s1;
    s6 += a[i + 6] + i;
    s7 += a[i + 7] * 5;
  }
  return s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7;
}

enum class NativeLoop { kSort, kSums };

double NativeLoopsPerSecond(NativeLoop loop, int threads, std::chrono::milliseconds duration) {
  return UnitsPerSecond(threads, duration,
                        [loop] {
                          std::vector<uint32_t> source(loop == NativeLoop::kSort ? 1000 : 2048);
                          uint32_t x = 12345;
                          for (auto& v : source) v = x = x * 1664525u + 1013904223u;
                          return
                              [loop, source, work = std::vector<uint32_t>()]() mutable -> uint64_t {
                                if (loop == NativeLoop::kSort) {
                                  work = source;
                                  std::sort(work.begin(), work.end());
                                  benchmark::DoNotOptimize(work.data());
                                } else {
                                  benchmark::DoNotOptimize(EightSums(source.data(), source.size()));
                                }
                                return 1;
                              };
                        })
      .units_per_second;
}

// (f) measures steady state: V8 optimises a module on helper threads after Compile
// returns, and until then calls run baseline code while the helpers take CPU time from
// the callers (the 1-thread case gets the idle core for them, the 2-thread case does
// not). So the module is compiled once, kept for every round, and the rounds start when
// the engine's helpers are done. Prints how long that took.
std::shared_ptr<const wapc::WapcModule> SettledUpstreamEcho() {
  auto start = std::chrono::steady_clock::now();
  auto module = *wapc::WapcModule::Load(BenchEngine(), UpstreamEcho());
  auto compiled = std::chrono::steady_clock::now();
  Status idle = BenchEngine().WaitForBackgroundWork(std::chrono::seconds(60));
  if (!idle.ok()) {
    std::fprintf(stderr, "%s\n", idle.message().c_str());
    std::exit(1);
  }
  auto settled = std::chrono::steady_clock::now();
  auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
  std::printf("echo.wasm: Compile returned after %.1f ms; optimised code in place %.1f ms later\n",
              ms(compiled - start), ms(settled - compiled));
  return module;
}

}  // namespace
}  // namespace wasmcloud

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int main(int argc, char** argv) {
  using namespace std::chrono_literals;
  // `--scaling-only=THREADS[,SECONDS]`: only (f)'s loop, on that many threads, for
  // profiling one configuration (perf record/stat) without the other cases around it.
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (!arg.starts_with("--scaling-only=")) continue;
    int threads = 1, seconds = 5;
    if (std::sscanf(argv[i] + 15, "%d,%d", &threads, &seconds) < 1 || threads < 1 || seconds < 1) {
      std::fprintf(stderr, "usage: --scaling-only=THREADS[,SECONDS]\n");
      return 2;
    }
    auto module = wasmcloud::SettledUpstreamEcho();
    auto r = wasmcloud::CallsPerSecond(module, threads, std::chrono::seconds(seconds));
    std::printf("%d worker thread(s), %d s: %.0f calls/s; per thread, calls per CPU-second:",
                threads, seconds, r.units_per_second);
    for (double rate : r.per_thread_cpu_rate) std::printf(" %.0f", rate);
    std::printf("\n");
    return 0;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();

  std::printf("\n");
  auto module = wasmcloud::SettledUpstreamEcho();
  constexpr int kRounds = 5;
  std::vector<double> one, two, thread_rates;
  for (int round = 0; round < kRounds; ++round) {
    one.push_back(wasmcloud::CallsPerSecond(module, 1, 1000ms).units_per_second);
    auto r = wasmcloud::CallsPerSecond(module, 2, 1000ms);
    two.push_back(r.units_per_second);
    thread_rates.insert(thread_rates.end(), r.per_thread_cpu_rate.begin(),
                        r.per_thread_cpu_rate.end());
  }
  double best1 = *std::max_element(one.begin(), one.end());
  double best2 = *std::max_element(two.begin(), two.end());
  unsigned cores = std::thread::hardware_concurrency();
  std::printf("(f) upstream echo.wasm HealthRequest throughput, %d alternating rounds of 1 s:\n",
              kRounds);
  std::printf("    1 worker thread : best %10.0f  median %10.0f calls/s\n", best1, Median(one));
  std::printf("    2 worker threads: best %10.0f  median %10.0f calls/s\n", best2, Median(two));
  std::printf("    scaling 2 vs 1  : best %.2fx  median %.2fx  (machine has %u cores)\n",
              best2 / best1, Median(two) / Median(one), cores);
  std::printf("    2-thread rounds, each thread's calls per CPU-second: min %.0f, max %.0f\n",
              *std::min_element(thread_rates.begin(), thread_rates.end()),
              *std::max_element(thread_rates.begin(), thread_rates.end()));
  for (auto [loop, name] : {std::pair{wasmcloud::NativeLoop::kSort, "branchy sort loop"},
                            std::pair{wasmcloud::NativeLoop::kSums, "high-IPC sums loop"}}) {
    std::vector<double> native1, native2;
    for (int round = 0; round < kRounds; ++round) {
      native1.push_back(wasmcloud::NativeLoopsPerSecond(loop, 1, 500ms));
      native2.push_back(wasmcloud::NativeLoopsPerSecond(loop, 2, 500ms));
    }
    std::printf("    reference, native %s on this machine now: median %.2fx\n", name,
                Median(native2) / Median(native1));
  }
  return 0;
}
