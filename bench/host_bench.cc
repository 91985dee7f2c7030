// Figures of the Host (src/host/host.h):
//   (a) Host::CallActor latency of the upstream echo.wasm HealthRequest, and throughput
//       on 1 and 2 calling threads (items/s)
//   (b) the same call through a WapcInstance directly (as wapc_bench), for the overhead
//       of the host (lookup, dispatch, worker hand-off) over the bare waPC call
//   (c) StartActor of echo.wasm (claims check, compile, first instance): the same bytes
//       again (the engine shares the compiled module) and a fresh copy each time (no
//       code cache in any of these cases)
//   (d) resident memory per idle actor, with 1,000 small actors started (each a copy of
//       a 141-byte waPC module signed for its own subject key), printed as counters
//   (e) a guest's host call to a linked provider: upstream kvcounter HandleRequest, whose
//       Add goes to an in-process keyvalue provider (a map behind a mutex)
//   (f) a guest's host call to another actor by call alias: upstream pinger
//       HandleRequest → ponger Ping
//   (g) what the metrics add to each invocation (HostMetrics::Invocation: a counter and a
//       histogram observation), on 1 and 2 threads
//   (h) resident memory per actor with 100 copies of echo.wasm started, each signed for
//       its own subject: with the same code (re-signed copies, one compiled module) and
//       with code of its own (a custom section each: one compiled module each), after V8
//       has optimised them
// Run: build/bench/host_bench
//
// Figures in child processes (a fresh process each, so that nothing is compiled yet and
// V8's in-process sharing does not count), printed instead of the cases above:
//   --code-cache-figures  (i) start of an actor with no code cache, with an empty one
//                         (compile, then write) and with a filled one (load): echo.wasm,
//                         the kvcounter example and the upstream kvcounter; (j) 100
//                         actors with code of their own started with an empty cache and
//                         then a filled one: start time and the CPU of the background
//                         optimisation
//   --dip-figures         (k) calls/s of echo on 2 threads while 100 actors with code of
//                         their own start, with the optimisation at nice 0 (as V8's own
//                         helper thread ran it before), 10 (the default) and 19, no code
//                         cache; then at 10 with the code cache empty and filled. A run
//                         during which other processes took over 5% of the machine is
//                         made again.
#include <benchmark/benchmark.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/bytes.h"
#include "core/log.h"
#include "crypto/claims.h"
#include "crypto/module_claims.h"
#include "crypto/nkeys.h"
#include "crypto/verify.h"
#include "host/host.h"
#include "host/host_metrics.h"
#include "provider/provider.h"
#include "wapc/wapc.h"
#include "wasm/module_info.h"
#include "wasm/v8/v8_engine.h"
#include "wire/http.h"
#include "wire/keyvalue.h"

namespace wasmcloud {
namespace {

constexpr std::string_view kEchoKey = "MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5";

Bytes Load(const std::string& path) {
  auto b = ReadFile(path);
  if (!b.ok()) {
    std::fprintf(stderr, "%s\n", b.status().message().c_str());
    std::exit(1);
  }
  return *b;
}

const Bytes& UpstreamEcho() {
  static Bytes b = Load(std::string(WC_SHARED_DIR) + "/fixtures/wc-host-0.18/echo.wasm");
  return b;
}

const Bytes& HealthRequest() {
  static Bytes b = *HexDecode("81ab706c616365686f6c646572c3");
  return b;
}

host::HostConfig BenchConfig() {
  host::HostConfig config;
  config.workers = 2;
  config.log_level = LogLevel::kWarn;
  config.no_code_cache = true;  // every figure measures what it says, not the user's cache
  return config;
}

std::unique_ptr<host::Host> NewHost() {
  auto h = std::make_unique<host::Host>(BenchConfig(), wasm::CreateV8Engine);
  Status s = h->Start();
  if (!s.ok()) {
    std::fprintf(stderr, "host start: %s\n", s.message().c_str());
    std::exit(1);
  }
  return h;
}

// One host with echo.wasm running, shared by the call benchmarks; main() stops it.
std::unique_ptr<host::Host> g_call_host;
host::Host& CallHost() {
  static bool started = [] {
    g_call_host = NewHost();
    auto pk = g_call_host->StartActor(UpstreamEcho());
    if (!pk.ok()) {
      std::fprintf(stderr, "start echo: %s\n", pk.status().message().c_str());
      std::exit(1);
    }
    return true;
  }();
  (void)started;
  return *g_call_host;
}

// (a)
void BM_a_HostCallActor_EchoHealthRequest(benchmark::State& state) {
  host::Host& h = CallHost();
  for (auto _ : state) {
    auto r = h.CallActor(kEchoKey, "HealthRequest", HealthRequest());
    if (!r.ok()) {
      state.SkipWithError(r.status().message().c_str());
      break;
    }
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
void BM_g_HostMetricsInvocation(benchmark::State& state) {
  static MetricsRegistry registry;
  static host::HostMetrics metrics(registry);
  const std::string actor(kEchoKey);
  const Status ok = Status::Ok();
  for (auto _ : state) metrics.Invocation(actor, "HealthRequest", ok, 0.00002);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_g_HostMetricsInvocation)->Unit(benchmark::kNanosecond)->Threads(1)->Threads(2);

BENCHMARK(BM_a_HostCallActor_EchoHealthRequest)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime()
    ->Threads(1)
    ->Threads(2);

// (e) and (f): the host-call paths (resolution, authorization, the provider or the
// other actor), with the HTTP request payload the upstream actors expect.
const Bytes& GetRequest() {
  static Bytes b = wire::Encode(wire::HttpRequest{"GET", "/bench", "", {}, {}});
  return b;
}

class BenchKeyValue final : public provider::Provider {
 public:
  provider::ProviderDescriptor Describe() const override {
    return {"wasmcloud:keyvalue", "bench keyvalue", "0"};
  }
  Status Start(provider::ProviderHost*) override { return Status::Ok(); }
  Status BindActor(std::string_view, const provider::LinkValues&) override { return Status::Ok(); }
  Status RemoveActor(std::string_view) override { return Status::Ok(); }
  Result<Bytes> HandleCall(std::string_view, std::string_view op, ByteView payload) override {
    if (op != "Add") return Unimplemented(std::string(op));
    WC_ASSIGN_OR_RETURN(auto args, wire::DecodeAddArgs(payload));
    std::lock_guard<std::mutex> lock(mu_);
    int32_t v = numbers_[args.key] += args.value;
    return wire::Encode(wire::AddResponse{v});
  }
  void Stop() override {}

 private:
  std::mutex mu_;
  std::map<std::string, int32_t> numbers_;
};

std::unique_ptr<host::Host> g_hostcall_host;
host::Host& HostCallHost() {
  static bool started = [] {
    g_hostcall_host = NewHost();
    host::Host& h = *g_hostcall_host;
    auto fixture = [](const char* name) {
      return Load(std::string(WC_SHARED_DIR) + "/fixtures/wc-host-0.18/" + name);
    };
    host::NativeCapability kv;
    kv.provider = std::make_shared<BenchKeyValue>();
    auto kv_pk = h.StartNativeCapability(std::move(kv));
    auto counter = h.StartActor(fixture("kvcounter.wasm"));
    auto pinger = h.StartActor(fixture("pinger.wasm"));
    auto ponger = h.StartActor(fixture("ponger.wasm"));
    if (!kv_pk.ok() || !counter.ok() || !pinger.ok() || !ponger.ok()) {
      std::fprintf(stderr, "host-call bench setup failed\n");
      std::exit(1);
    }
    Status s = h.SetLink(*counter, "wasmcloud:keyvalue", "default", *kv_pk, {});
    if (!s.ok()) {
      std::fprintf(stderr, "link: %s\n", s.message().c_str());
      std::exit(1);
    }
    return true;
  }();
  (void)started;
  return *g_hostcall_host;
}

void HostCallLoop(benchmark::State& state, std::string_view actor) {
  host::Host& h = HostCallHost();
  for (auto _ : state) {
    auto r = h.CallActor(actor, "HandleRequest", GetRequest());
    if (!r.ok()) {
      state.SkipWithError(r.status().message().c_str());
      break;
    }
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_e_HostCall_KvCounterToProvider(benchmark::State& state) {
  HostCallLoop(state, "MCFMFDWFHGKELOXPCNCDXKK5OFLHBVEWRAOXR5JSQUD2TOFRE3DFPM7E");
}
BENCHMARK(BM_e_HostCall_KvCounterToProvider)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime()
    ->Threads(1)
    ->Threads(2);

void BM_f_HostCall_PingerToPongerByAlias(benchmark::State& state) {
  HostCallLoop(state, "MB2ZOJXL67TBHKRPHX6EE3PUAX7QASN3SDX4ALNPO272HB42IBYUA6BV");
}
BENCHMARK(BM_f_HostCall_PingerToPongerByAlias)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime()
    ->Threads(1)
    ->Threads(2);

// (b): as wapc_bench: a worker and an instance on the calling thread.
wasm::Engine& DirectEngine() {
  static std::shared_ptr<wasm::Engine> engine = *wasm::CreateV8Engine();
  return *engine;
}

class NullHost : public wapc::HostCallbacks {
 public:
  Result<Bytes> OnHostCall(const wapc::HostCall&) override { return Unavailable("none"); }
  void OnConsoleLog(std::string_view) override {}
};

void BM_b_WapcInstanceDirect_EchoHealthRequest(benchmark::State& state) {
  auto module = wapc::WapcModule::Load(DirectEngine(), UpstreamEcho());
  auto worker = DirectEngine().NewWorker();
  if (!module.ok() || !worker.ok()) {
    state.SkipWithError("engine setup failed");
    return;
  }
  NullHost callbacks;
  auto instance = wapc::WapcInstance::Create(**worker, *module, &callbacks, "bench");
  if (!instance.ok()) {
    state.SkipWithError(instance.status().message().c_str());
    return;
  }
  for (auto _ : state) {
    auto r = (*instance)->Call("HealthRequest", HealthRequest());
    if (!r.ok()) {
      state.SkipWithError(r.status().message().c_str());
      break;
    }
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
  instance->reset();
}
BENCHMARK(BM_b_WapcInstanceDirect_EchoHealthRequest)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime()
    ->Threads(1)
    ->Threads(2);

// (c) The same bytes each time: claims, instantiation and whatever compile work V8
// does not reuse.
void BM_c1_StartActor_EchoSameBytes(benchmark::State& state) {
  auto h = NewHost();
  for (auto _ : state) {
    auto pk = h->StartActor(UpstreamEcho());
    if (!pk.ok()) {
      state.SkipWithError(pk.status().message().c_str());
      break;
    }
    state.PauseTiming();
    (void)h->StopActor(*pk);
    state.ResumeTiming();
  }
}
BENCHMARK(BM_c1_StartActor_EchoSameBytes)->Unit(benchmark::kMillisecond)->Iterations(20);

// A copy of echo.wasm that no engine has seen: a custom section with `tag`, signed again
// (new account, same subject and metadata) so that its hash holds.
Result<Bytes> UniqueEcho(const std::string& tag, const crypto::KeyPair& account) {
  WC_ASSIGN_OR_RETURN(auto identity, crypto::ReadModuleIdentity(UpstreamEcho()));
  WC_ASSIGN_OR_RETURN(Bytes bare, crypto::StripModuleToken(UpstreamEcho()));
  WC_ASSIGN_OR_RETURN(Bytes tagged, wasm::AppendCustomSection(bare, "bench", AsBytes(tag)));
  crypto::ActorClaims claims = identity.claims;
  claims.iss = account.public_key_text();
  return crypto::SignModule(tagged, claims, account);
}

void BM_c2_StartActor_EchoFreshCompile(benchmark::State& state) {
  auto h = NewHost();
  crypto::KeyPair account = crypto::KeyPair::Generate(crypto::KeyType::kAccount);
  uint64_t n = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto module = UniqueEcho("bench-" + std::to_string(n++), account);
    if (!module.ok()) {
      state.SkipWithError(module.status().message().c_str());
      break;
    }
    state.ResumeTiming();
    auto pk = h->StartActor(*module);
    if (!pk.ok()) {
      state.SkipWithError(pk.status().message().c_str());
      break;
    }
    state.PauseTiming();
    (void)h->StopActor(*pk);
    state.ResumeTiming();
  }
}
BENCHMARK(BM_c2_StartActor_EchoFreshCompile)->Unit(benchmark::kMillisecond)->Iterations(20);

// (d) The waPC module of tests/host/test_providers.h (LoopEchoModule): answers any
// operation with its payload; 1 page of memory.
Bytes SmallActorModule() {
  static const uint8_t kBytes[] = {
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0c, 0x02, 0x60, 0x02, 0x7f, 0x7f,
      0x00, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x02, 0x30, 0x02, 0x04, 0x77, 0x61, 0x70, 0x63,
      0x0f, 0x5f, 0x5f, 0x67, 0x75, 0x65, 0x73, 0x74, 0x5f, 0x72, 0x65, 0x71, 0x75, 0x65, 0x73,
      0x74, 0x00, 0x00, 0x04, 0x77, 0x61, 0x70, 0x63, 0x10, 0x5f, 0x5f, 0x67, 0x75, 0x65, 0x73,
      0x74, 0x5f, 0x72, 0x65, 0x73, 0x70, 0x6f, 0x6e, 0x73, 0x65, 0x00, 0x00, 0x03, 0x02, 0x01,
      0x01, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x19, 0x02, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72,
      0x79, 0x02, 0x00, 0x0c, 0x5f, 0x5f, 0x67, 0x75, 0x65, 0x73, 0x74, 0x5f, 0x63, 0x61, 0x6c,
      0x6c, 0x00, 0x02, 0x0a, 0x1f, 0x01, 0x1d, 0x00, 0x20, 0x01, 0x45, 0x04, 0x40, 0x03, 0x40,
      0x0c, 0x00, 0x0b, 0x0b, 0x41, 0x00, 0x41, 0x80, 0x08, 0x10, 0x00, 0x41, 0x80, 0x08, 0x20,
      0x01, 0x10, 0x01, 0x41, 0x01, 0x0b};
  return Bytes(kBytes, kBytes + sizeof kBytes);
}

// VmRSS of this process in KiB (0 when /proc is not there).
double RssKiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6));
  }
  return 0;
}

void BM_d_RssPerIdleActor(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  crypto::KeyPair account = crypto::KeyPair::Generate(crypto::KeyType::kAccount);
  std::vector<Bytes> modules;
  modules.reserve(n);
  uint64_t now = static_cast<uint64_t>(crypto::SystemUnixSeconds());
  for (int i = 0; i < n; ++i) {
    crypto::ActorClaimsSpec spec;
    spec.name = "idle " + std::to_string(i);
    auto claims = crypto::NewActorClaims(
        spec, account.public_key_text(),
        crypto::KeyPair::Generate(crypto::KeyType::kModule).public_key_text(), now);
    auto m = crypto::SignModule(SmallActorModule(), claims, account);
    if (!m.ok()) {
      state.SkipWithError(m.status().message().c_str());
      return;
    }
    modules.push_back(std::move(*m));
  }
  for (auto _ : state) {
    auto h = NewHost();
    double before = RssKiB();
    auto t0 = std::chrono::steady_clock::now();
    std::vector<std::string> keys;
    for (const auto& m : modules) {
      auto pk = h->StartActor(m);
      if (!pk.ok()) {
        state.SkipWithError(pk.status().message().c_str());
        return;
      }
      keys.push_back(*pk);
    }
    double start_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double after_start = RssKiB();
    for (const auto& k : keys) {
      auto r = h->CallActor(k, "Echo", AsBytes("x"));
      if (!r.ok()) {
        state.SkipWithError(r.status().message().c_str());
        return;
      }
    }
    double after_call = RssKiB();
    state.counters["actors"] = n;
    state.counters["rss_before_MiB"] = before / 1024;
    state.counters["rss_started_MiB"] = after_start / 1024;
    state.counters["rss_called_MiB"] = after_call / 1024;
    state.counters["KiB_per_idle_actor"] = (after_start - before) / n;
    state.counters["KiB_per_actor_called"] = (after_call - before) / n;
    state.counters["start_ms_per_actor"] = start_s * 1000 / n;
    for (const auto& k : keys) (void)h->StopActor(k);
    (void)h->Stop();
  }
}
BENCHMARK(BM_d_RssPerIdleActor)->Arg(1000)->Iterations(1)->Unit(benchmark::kSecond);

// A host whose engine is kept in `engine` (for WaitForBackgroundWork and its counters);
// `adjust` may change the engine's configuration first.
std::unique_ptr<host::Host> NewHostWithEngine(
    host::HostConfig config, std::shared_ptr<wasm::Engine>* engine,
    std::function<void(wasm::EngineConfig&)> adjust = nullptr) {
  auto h = std::make_unique<host::Host>(
      std::move(config),
      [engine, adjust](const wasm::EngineConfig& c) -> Result<std::shared_ptr<wasm::Engine>> {
        wasm::EngineConfig adjusted = c;
        if (adjust) adjust(adjusted);
        auto e = wasm::CreateV8Engine(adjusted);
        if (e.ok()) *engine = *e;
        return e;
      });
  Status s = h->Start();
  if (!s.ok()) {
    std::fprintf(stderr, "host start: %s\n", s.message().c_str());
    std::exit(1);
  }
  return h;
}

// `module` signed again as another actor: a new subject and issuer, no call alias. With a
// `tag`, a custom section first gives it code of its own.
Result<Bytes> AnotherActor(ByteView module, const std::string& tag,
                           const crypto::KeyPair& account) {
  WC_ASSIGN_OR_RETURN(auto identity, crypto::ReadModuleIdentity(module));
  WC_ASSIGN_OR_RETURN(Bytes bare, crypto::StripModuleToken(module));
  if (!tag.empty()) {
    WC_ASSIGN_OR_RETURN(bare, wasm::AppendCustomSection(bare, "bench", AsBytes(tag)));
  }
  crypto::ActorClaims claims = identity.claims;
  claims.iss = account.public_key_text();
  claims.sub = crypto::KeyPair::Generate(crypto::KeyType::kModule).public_key_text();
  if (claims.wascap) claims.wascap->call_alias.reset();
  return crypto::SignModule(bare, claims, account);
}

// (h) 100 copies of echo.wasm as 100 actors, each called once, after V8 has optimised
// them; arg 0: re-signed copies (same code), 1: a custom section each (code of its own).
void BM_h_RssPerEchoActor(benchmark::State& state) {
  const int n = 100;
  const bool own_code = state.range(0) != 0;
  crypto::KeyPair account = crypto::KeyPair::Generate(crypto::KeyType::kAccount);
  std::vector<Bytes> modules;
  for (int i = 0; i < n; ++i) {
    auto m = AnotherActor(UpstreamEcho(), own_code ? "rss-" + std::to_string(i) : "", account);
    if (!m.ok()) {
      state.SkipWithError(m.status().message().c_str());
      return;
    }
    modules.push_back(std::move(*m));
  }
  for (auto _ : state) {
    std::shared_ptr<wasm::Engine> engine;
    auto h = NewHostWithEngine(BenchConfig(), &engine);
    double before = RssKiB();
    std::vector<std::string> keys;
    for (const auto& m : modules) {
      auto pk = h->StartActor(m);
      if (!pk.ok()) {
        state.SkipWithError(pk.status().message().c_str());
        return;
      }
      keys.push_back(*pk);
    }
    double started = RssKiB();
    for (const auto& k : keys) (void)h->CallActor(k, "HealthRequest", HealthRequest());
    (void)engine->WaitForBackgroundWork(std::chrono::minutes(10));
    double optimised = RssKiB();
    wasm::V8EngineStats stats = wasm::GetV8EngineStats(*engine);
    state.counters["actors"] = n;
    state.counters["compiled_modules"] = static_cast<double>(stats.compiled);
    state.counters["KiB_per_actor_started"] = (started - before) / n;
    state.counters["KiB_per_actor_called_optimised"] = (optimised - before) / n;
    for (const auto& k : keys) (void)h->StopActor(k);
    (void)h->Stop();
  }
}
BENCHMARK(BM_h_RssPerEchoActor)
    ->ArgName("own_code")
    ->Arg(0)
    ->Arg(1)
    ->Iterations(1)
    ->Unit(benchmark::kSecond);

// ---- figures in child processes

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

double ProcessCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// CPU time all processes of the machine spent since boot (/proc/stat: every state but
// idle and iowait), in seconds.
double MachineBusySeconds() {
  std::ifstream stat("/proc/stat");
  std::string cpu;
  uint64_t user, nice, system, idle, iowait, irq, softirq, steal;
  stat >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
  return static_cast<double>(user + nice + system + irq + softirq + steal) /
         static_cast<double>(sysconf(_SC_CLK_TCK));
}

host::HostConfig ChildConfig(const std::string& cache_dir) {
  host::HostConfig config = BenchConfig();
  if (cache_dir != "none") {
    config.no_code_cache = false;
    config.code_cache_dir = cache_dir;
  }
  return config;
}

// --child-start=PATH --cache=DIR|none: one StartActor of that module in a new process.
int ChildStart(const std::string& path, const std::string& cache_dir) {
  const Bytes module = Load(path);
  std::shared_ptr<wasm::Engine> engine;
  auto h = NewHostWithEngine(ChildConfig(cache_dir), &engine);
  auto t0 = std::chrono::steady_clock::now();
  auto pk = h->StartActor(module);
  auto t1 = std::chrono::steady_clock::now();
  if (!pk.ok()) {
    std::fprintf(stderr, "start: %s\n", pk.status().message().c_str());
    return 1;
  }
  (void)engine->WaitForBackgroundWork(std::chrono::minutes(10));
  auto t2 = std::chrono::steady_clock::now();
  // The code runs, whether compiled or loaded.
  const bool healthy = h->CallActor(*pk, "HealthRequest", HealthRequest()).ok();
  wasm::V8EngineStats stats = wasm::GetV8EngineStats(*engine);
  std::printf(
      "healthy %d start_ms %.3f optimised_ms %.1f pool_cpu_s %.3f compiled %llu loaded %llu\n",
      healthy ? 1 : 0, Seconds(t1 - t0) * 1000, Seconds(t2 - t1) * 1000,
      wasm::GetV8CompilePoolStats().cpu_seconds, static_cast<unsigned long long>(stats.compiled),
      static_cast<unsigned long long>(stats.cache_loaded));
  (void)h->Stop();
  return 0;
}

// 100 actors with code of their own (the same 100 codes in every process, so a second
// process finds them in the cache), each signed anew.
std::vector<Bytes> HundredEchoes(const std::string& prefix) {
  crypto::KeyPair account = crypto::KeyPair::Generate(crypto::KeyType::kAccount);
  std::vector<Bytes> modules;
  for (int i = 0; i < 100; ++i) {
    modules.push_back(*AnotherActor(UpstreamEcho(), prefix + std::to_string(i), account));
  }
  return modules;
}

// --child-start-many --cache=DIR|none
int ChildStartMany(const std::string& cache_dir) {
  const std::vector<Bytes> modules = HundredEchoes("many-");
  std::shared_ptr<wasm::Engine> engine;
  auto h = NewHostWithEngine(ChildConfig(cache_dir), &engine);
  const double cpu0 = ProcessCpuSeconds();
  auto t0 = std::chrono::steady_clock::now();
  for (const auto& m : modules) {
    auto pk = h->StartActor(m);
    if (!pk.ok()) {
      std::fprintf(stderr, "start: %s\n", pk.status().message().c_str());
      return 1;
    }
  }
  auto t1 = std::chrono::steady_clock::now();
  (void)engine->WaitForBackgroundWork(std::chrono::minutes(10));
  auto t2 = std::chrono::steady_clock::now();
  wasm::V8EngineStats stats = wasm::GetV8EngineStats(*engine);
  std::printf(
      "start_s %.3f idle_s %.3f pool_cpu_s %.3f process_cpu_s %.3f compiled %llu "
      "loaded %llu\n",
      Seconds(t1 - t0), Seconds(t2 - t0), wasm::GetV8CompilePoolStats().cpu_seconds,
      ProcessCpuSeconds() - cpu0, static_cast<unsigned long long>(stats.compiled),
      static_cast<unsigned long long>(stats.cache_loaded));
  (void)h->Stop();
  return 0;
}

// --child-dip=NICE [--cache=DIR|none]: echo called on 2 threads; after 3 s, 100 actors
// with code of their own start. Prints the calls/s of each 250 ms window, marked with what
// was going on, for at most 30 s after the starts began; then how long the background
// optimisation took (under the load, or after it stopped).
int ChildDip(int nice, const std::string& cache_dir) {
  const std::vector<Bytes> modules = HundredEchoes("dip-");
  std::shared_ptr<wasm::Engine> engine;
  host::HostConfig config = ChildConfig(cache_dir);
  config.workers = 3;  // one per core, plus one: as `wasmcloud up` on this machine
  auto h = NewHostWithEngine(config, &engine,
                             [nice](wasm::EngineConfig& c) { c.background_compile_nice = nice; });
  auto echo = h->StartActor(UpstreamEcho());
  if (!echo.ok()) {
    std::fprintf(stderr, "start echo: %s\n", echo.status().message().c_str());
    return 1;
  }
  (void)engine->WaitForBackgroundWork(std::chrono::minutes(1));
  std::atomic<uint64_t> calls{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> callers;
  for (int t = 0; t < 2; ++t) {
    callers.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed)) {
        (void)h->CallActor(kEchoKey, "HealthRequest", HealthRequest());
        calls.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  // 0: before, 1: starting actors, 2: optimising, 3: optimised
  std::atomic<int> phase{0};
  std::vector<double> start_ms;
  std::chrono::steady_clock::time_point began, started, optimised;
  std::thread starter([&] {
    std::this_thread::sleep_for(std::chrono::seconds(3));
    began = std::chrono::steady_clock::now();
    phase = 1;
    for (const auto& m : modules) {
      auto t0 = std::chrono::steady_clock::now();
      (void)h->StartActor(m);
      start_ms.push_back(Seconds(std::chrono::steady_clock::now() - t0) * 1000);
    }
    started = std::chrono::steady_clock::now();
    phase = 2;
    (void)engine->WaitForBackgroundWork(std::chrono::minutes(30));
    optimised = std::chrono::steady_clock::now();
    phase = 3;
  });
  const auto window = std::chrono::milliseconds(250);
  uint64_t last = calls.load();
  auto t_last = std::chrono::steady_clock::now();
  const auto t_first = t_last;
  const double busy0 = MachineBusySeconds();
  const double own0 = ProcessCpuSeconds();
  int after_windows = 0;
  int busy_windows = 0;
  while (after_windows < 8 && busy_windows < 120) {  // 30 s of windows after the starts began
    std::this_thread::sleep_for(window);
    uint64_t now_calls = calls.load();
    auto t_now = std::chrono::steady_clock::now();
    int p = phase.load();
    std::printf("window %d %.0f\n", p,
                static_cast<double>(now_calls - last) / Seconds(t_now - t_last));
    last = now_calls;
    t_last = t_now;
    if (p == 3) ++after_windows;
    if (p == 1 || p == 2) ++busy_windows;
  }
  const bool under_load = phase.load() == 3;
  const double pool_cpu_under_load = wasm::GetV8CompilePoolStats().cpu_seconds;
  // What other processes took meanwhile, as a share of the machine: the figures of a run
  // that shared the machine are not this program's.
  const double foreign = (MachineBusySeconds() - busy0 - (ProcessCpuSeconds() - own0)) /
                         (Seconds(std::chrono::steady_clock::now() - t_first) *
                          std::max(1u, std::thread::hardware_concurrency()));
  stop = true;
  for (auto& t : callers) t.join();
  auto load_stopped = std::chrono::steady_clock::now();
  starter.join();
  std::sort(start_ms.begin(), start_ms.end());
  std::printf(
      "foreign_cpu %.3f starting_s %.2f optimised_under_load %d optimised_after_start_s %.2f "
      "optimised_after_load_stopped_s %.2f pool_cpu_under_load_s %.2f pool_cpu_s %.3f "
      "start_median_ms %.1f start_p90_ms %.1f start_max_ms %.1f\n",
      foreign, Seconds(started - began), under_load ? 1 : 0, Seconds(optimised - started),
      under_load ? 0.0 : Seconds(optimised - load_stopped), pool_cpu_under_load,
      wasm::GetV8CompilePoolStats().cpu_seconds, start_ms[start_ms.size() / 2],
      start_ms[start_ms.size() * 9 / 10], start_ms.back());
  (void)h->Stop();
  return 0;
}

// Runs this program with `args` and returns its standard output.
std::string RunChild(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  std::string self = "/proc/self/exe";
  argv.push_back(self.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  int out[2];
  if (pipe(out) != 0) return "";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  pid_t pid;
  if (posix_spawn(&pid, self.c_str(), &actions, nullptr, argv.data(), environ) != 0) return "";
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = read(out[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return text;
}

// The number after `key` in `text` (0 when absent).
double Field(const std::string& text, const std::string& key) {
  size_t at = text.find(key + " ");
  return at == std::string::npos ? 0 : std::atof(text.c_str() + at + key.size() + 1);
}

double MedianOf(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string TempCacheDir() {
  char tmpl[] = "/tmp/wc_bench_code_XXXXXX";
  return std::string(mkdtemp(tmpl)) + "/code";
}

int CodeCacheFigures() {
  constexpr int kRuns = 5;
  const std::vector<std::pair<std::string, std::string>> modules = {
      {"echo.wasm (upstream, 421 KB)",
       std::string(WC_SHARED_DIR) + "/fixtures/wc-host-0.18/echo.wasm"},
      {"kvcounter example (C, 19 KB)",
       std::string(WC_BUILD_DIR) + "/examples/kvcounter_signed.wasm"},
      {"kvcounter.wasm (upstream, 507 KB)",
       std::string(WC_SHARED_DIR) + "/fixtures/wc-host-0.18/kvcounter.wasm"},
  };
  std::printf("(i) StartActor in a new process, median of %d (ms); background optimisation\n",
              kRuns);
  std::printf("    %-36s %10s %10s %10s %12s %12s\n", "module", "no cache", "empty", "filled",
              "optim. CPU s", "filled: CPU s");
  for (const auto& [name, path] : modules) {
    std::vector<double> none, empty, filled, cpu_none, cpu_filled;
    for (int r = 0; r < kRuns; ++r) {
      std::string out = RunChild({"--child-start=" + path, "--cache=none"});
      none.push_back(Field(out, "start_ms"));
      cpu_none.push_back(Field(out, "pool_cpu_s"));
      const std::string dir = TempCacheDir();
      out = RunChild({"--child-start=" + path, "--cache=" + dir});
      empty.push_back(Field(out, "start_ms"));
      out = RunChild({"--child-start=" + path, "--cache=" + dir});
      filled.push_back(Field(out, "start_ms"));
      cpu_filled.push_back(Field(out, "pool_cpu_s"));
      if (Field(out, "loaded") != 1) std::printf("    (run %d: not loaded from the cache)\n", r);
      if (Field(out, "healthy") != 1) std::printf("    (run %d: HealthRequest failed)\n", r);
      std::filesystem::remove_all(std::filesystem::path(dir).parent_path());
    }
    std::printf("    %-36s %10.2f %10.2f %10.2f %12.3f %12.3f\n", name.c_str(), MedianOf(none),
                MedianOf(empty), MedianOf(filled), MedianOf(cpu_none), MedianOf(cpu_filled));
  }
  std::printf("(j) 100 actors with code of their own (echo.wasm + a custom section each)\n");
  std::printf("    %-12s %9s %16s %16s %16s\n", "cache", "start s", "until idle s", "optim. CPU s",
              "process CPU s");
  const std::string dir = TempCacheDir();
  for (int r = 0; r < 2; ++r) {
    for (const char* which : {"empty", "filled"}) {
      if (std::string(which) == "empty") std::filesystem::remove_all(dir);
      std::string out = RunChild({"--child-start-many", "--cache=" + dir});
      std::printf("    %-12s %9.2f %16.2f %16.2f %16.2f   (compiled %.0f, loaded %.0f)\n", which,
                  Field(out, "start_s"), Field(out, "idle_s"), Field(out, "pool_cpu_s"),
                  Field(out, "process_cpu_s"), Field(out, "compiled"), Field(out, "loaded"));
    }
  }
  std::filesystem::remove_all(std::filesystem::path(dir).parent_path());
  return 0;
}

int DipFigures() {
  std::printf(
      "(k) upstream echo HealthRequest on 2 threads (calls/s in 250 ms windows) while 100\n"
      "    actors with code of their own start; windows end 30 s after the starts began;\n"
      "    %% is the mean (worst window) against the median before\n");
  std::printf("    %-14s %8s %8s %17s %19s %15s %16s %18s\n", "nice, cache", "before", "start s",
              "while starting", "while optimising", "optimised in s", "pool CPU s (load)",
              "StartActor ms p50/p90/max");
  // One run, made again when other processes took more than 5% of the machine meanwhile
  // (up to 5 times; a run kept anyway is marked).
  auto row = [](int nice, const std::string& cache, const std::string& label) {
    std::string out;
    bool disturbed = false;
    for (int attempt = 0; attempt < 5; ++attempt) {
      out = RunChild({"--child-dip=" + std::to_string(nice), "--cache=" + cache});
      disturbed = Field(out, "foreign_cpu") > 0.05;
      if (!disturbed) break;
      std::this_thread::sleep_for(std::chrono::seconds(20));
    }
    std::vector<double> w[4];
    std::istringstream lines(out);
    std::string line;
    while (std::getline(lines, line)) {
      int phase;
      double rate;
      if (std::sscanf(line.c_str(), "window %d %lf", &phase, &rate) == 2 && phase >= 0 &&
          phase < 4) {
        w[phase].push_back(rate);
      }
    }
    auto mean = [](const std::vector<double>& v) {
      double sum = 0;
      for (double x : v) sum += x;
      return v.empty() ? 0 : sum / static_cast<double>(v.size());
    };
    auto min = [](const std::vector<double>& v) {
      return v.empty() ? 0 : *std::min_element(v.begin(), v.end());
    };
    // The first windows warm up; "before" is the median of the rest.
    std::vector<double> before(w[0].size() > 4 ? w[0].begin() + 4 : w[0].begin(), w[0].end());
    const double base = MedianOf(before);
    auto pct = [&](double x) { return base > 0 ? 100 * x / base : 0; };
    char optimising[64];
    if (w[2].empty()) {
      std::snprintf(optimising, sizeof optimising, "nothing to do");
    } else {
      std::snprintf(optimising, sizeof optimising, "%.0f%% (%4.0f%%)", pct(mean(w[2])),
                    pct(min(w[2])));
    }
    char optimised[64];
    if (Field(out, "optimised_under_load") == 1) {
      std::snprintf(optimised, sizeof optimised, "%.1f", Field(out, "optimised_after_start_s"));
    } else {
      std::snprintf(optimised, sizeof optimised, ">%.0f (+%.1f idle)",
                    0.25 * static_cast<double>(w[2].size()),
                    Field(out, "optimised_after_load_stopped_s"));
    }
    std::printf(
        "    %-14s %8.0f %8.2f %8.0f%% (%4.0f%%) %19s %15s %8.2f (%5.2f) "
        "%7.1f/%.1f/%.1f%s\n",
        label.c_str(), base, Field(out, "starting_s"), pct(mean(w[1])), pct(min(w[1])), optimising,
        optimised, Field(out, "pool_cpu_s"), Field(out, "pool_cpu_under_load_s"),
        Field(out, "start_median_ms"), Field(out, "start_p90_ms"), Field(out, "start_max_ms"),
        disturbed ? "  (other processes busy)" : "");
    std::fflush(stdout);
  };
  for (int r = 0; r < 3; ++r) {
    for (int nice : {0, 10, 19}) row(nice, "none", std::to_string(nice) + ", none");
  }
  // With the code cache: the first run fills it, the second loads every module.
  const std::string dir = TempCacheDir();
  row(10, dir, "10, empty");
  row(10, dir, "10, filled");
  std::filesystem::remove_all(std::filesystem::path(dir).parent_path());
  return 0;
}

}  // namespace
}  // namespace wasmcloud

int main(int argc, char** argv) {
  wasmcloud::SetLogLevel(wasmcloud::LogLevel::kWarn);
  std::string cache = "none";
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.starts_with("--cache=")) cache = std::string(arg.substr(8));
  }
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.starts_with("--child-start=")) {
      return wasmcloud::ChildStart(std::string(arg.substr(14)), cache);
    }
    if (arg == "--child-start-many") return wasmcloud::ChildStartMany(cache);
    if (arg.starts_with("--child-dip=")) {
      return wasmcloud::ChildDip(std::atoi(argv[i] + 12), cache);
    }
    if (arg == "--code-cache-figures") return wasmcloud::CodeCacheFigures();
    if (arg == "--dip-figures") return wasmcloud::DipFigures();
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  wasmcloud::g_call_host.reset();  // stop the shared hosts before static destructors run
  wasmcloud::g_hostcall_host.reset();
  return 0;
}
