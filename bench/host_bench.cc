// Figures of the Host (src/host/host.h):
//   (a) Host::CallActor latency of the upstream echo.wasm HealthRequest, and throughput
//       on 1 and 2 calling threads (items/s)
//   (b) the same call through a WapcInstance directly (as wapc_bench), for the overhead
//       of the host (lookup, dispatch, worker hand-off) over the bare waPC call
//   (c) StartActor of echo.wasm (claims check, compile, first instance): the same bytes
//       again (V8 reuses compiled code of identical bytes) and a fresh copy each time
//   (d) resident memory per idle actor, with 1,000 small actors started (each a copy of
//       a 141-byte waPC module signed for its own subject key), printed as counters
//   (e) a guest's host call to a linked provider: upstream kvcounter HandleRequest, whose
//       Add goes to an in-process keyvalue provider (a map behind a mutex)
//   (f) a guest's host call to another actor by call alias: upstream pinger
//       HandleRequest → ponger Ping
//   (g) what the metrics add to each invocation (HostMetrics::Invocation: a counter and a
//       histogram observation), on 1 and 2 threads
// Run: build/bench/host_bench
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
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

}  // namespace
}  // namespace wasmcloud

int main(int argc, char** argv) {
  wasmcloud::SetLogLevel(wasmcloud::LogLevel::kWarn);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  wasmcloud::g_call_host.reset();  // stop the shared hosts before static destructors run
  wasmcloud::g_hostcall_host.reset();
  return 0;
}
