// Figures of the wasm engine and the waPC layer:
//   (a) waPC round trip of the C echo guest, 100-byte payload
//   (b) waPC round trip of the upstream echo.wasm HealthRequest
//   (c) a raw call of an empty export (the floor)
//   (d) compile time of echo.wasm
//   (e) instantiation from an already compiled module
//   (f) throughput on 2 worker threads against 1, same module
// (a)-(e) are Google Benchmark cases; (f) is timed after them and printed as a ratio.
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <optional>
#include <thread>
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
  explicit Guest(const Bytes& module) {
    auto m = wapc::WapcModule::Load(BenchEngine(), module);
    worker = std::move(*BenchEngine().NewWorker());
    instance = std::move(*wapc::WapcInstance::Create(*worker, *m, &host, "bench"));
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

// (f): the same module on `threads` workers, each calling for `duration`.
double CallsPerSecond(int threads, std::chrono::milliseconds duration) {
  std::atomic<bool> go{false}, stop{false};
  std::atomic<int> ready{0};
  std::vector<uint64_t> counts(threads, 0);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      Guest g(UpstreamEcho());
      Bytes request = *HexDecode("81ab706c616365686f6c646572c3");
      wasm::WorkerLock lock(*g.worker);
      for (int i = 0; i < 2000; ++i) (void)g.instance->Call("HealthRequest", request);  // warm
      ready.fetch_add(1);
      while (!go.load()) std::this_thread::yield();
      uint64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        for (int i = 0; i < 64; ++i) (void)g.instance->Call("HealthRequest", request);
        n += 64;
      }
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
  uint64_t total = 0;
  for (uint64_t c : counts) total += c;
  return static_cast<double>(total) / secs;
}

}  // namespace
}  // namespace wasmcloud

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();

  using namespace std::chrono_literals;
  double best1 = 0, best2 = 0;
  for (int round = 0; round < 3; ++round) {
    best1 = std::max(best1, wasmcloud::CallsPerSecond(1, 1000ms));
    best2 = std::max(best2, wasmcloud::CallsPerSecond(2, 1000ms));
  }
  unsigned cores = std::thread::hardware_concurrency();
  std::printf("\n(f) upstream echo.wasm HealthRequest throughput (best of 3 rounds of 1 s):\n");
  std::printf("    1 worker thread : %10.0f calls/s\n", best1);
  std::printf("    2 worker threads: %10.0f calls/s\n", best2);
  std::printf("    scaling 2 vs 1  : %.2fx  (machine has %u cores)\n", best2 / best1, cores);
  return 0;
}
