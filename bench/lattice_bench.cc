// Figures of the lattice layer (src/lattice) and of a call between two hosts of one
// process:
//   (a) signing an invocation (NewInvocation: URLs, SHA-256 hash, claims JSON, Ed25519)
//       for a 14-byte and a 4 KiB payload
//   (b) verifying one at the receiver (InvocationVerifier::Verify: decode, binding, URLs,
//       hash, freshness, replay set, signature), same payloads
//   (c) encoding and decoding an Invocation (msgpack, msg as an integer array)
//   (d) Host::CallActor of upstream echo's HealthRequest on host A when echo runs on
//       host B of the same in-process lattice (sign, MemoryTransport request, inbound
//       executor, verify, authorize, run, response), on 1 and 2 calling threads; compare
//       with host_bench (a), the same call when echo runs on the calling host
// Run: build/bench/lattice_bench
#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/log.h"
#include "crypto/nkeys.h"
#include "crypto/verify.h"
#include "host/host.h"
#include "lattice/invocation.h"
#include "lattice/invocation_verifier.h"
#include "lattice/memory_kv_bucket.h"
#include "lattice/memory_transport.h"
#include "wasm/v8/v8_engine.h"

namespace wasmcloud {
namespace {

constexpr std::string_view kEchoKey = "MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5";

const crypto::KeyPair& HostKey() {
  static crypto::KeyPair key = crypto::KeyPair::Generate(crypto::KeyType::kServer);
  return key;
}

lattice::Entity Target() { return lattice::Entity::Actor(std::string(kEchoKey)); }

Bytes Payload(size_t size) {
  Bytes b(size);
  for (size_t i = 0; i < size; ++i) b[i] = static_cast<uint8_t>(i * 7);
  return b;
}

lattice::Invocation Sign(const Bytes& payload) {
  lattice::SignOptions o;
  o.exp = static_cast<uint64_t>(crypto::SystemUnixSeconds() + 30);
  auto inv = lattice::NewInvocation(HostKey(), lattice::Entity::System(), Target(), "HealthRequest",
                                    payload, o);
  if (!inv.ok()) {
    std::fprintf(stderr, "sign: %s\n", inv.status().message().c_str());
    std::exit(1);
  }
  return *inv;
}

// (a)
void BM_a_SignInvocation(benchmark::State& state) {
  Bytes payload = Payload(static_cast<size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(Sign(payload));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_a_SignInvocation)->Arg(14)->Arg(4096)->Unit(benchmark::kMicrosecond);

// (b) Each invocation is verified once (a second time it would be a refused replay).
void BM_b_VerifyInvocation(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.max_iterations);
  Bytes payload = Payload(static_cast<size_t>(state.range(0)));
  std::vector<Bytes> encoded;
  encoded.reserve(n);
  for (size_t i = 0; i < n; ++i) encoded.push_back(lattice::Encode(Sign(payload)));
  lattice::InvocationVerifier verifier(lattice::VerifierConfig{});
  const lattice::Entity served = Target();
  size_t i = 0;
  for (auto _ : state) {
    auto r = verifier.Verify(encoded[i++], served);
    if (!r.ok()) {
      state.SkipWithError(r.status().message().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_b_VerifyInvocation)
    ->Arg(14)
    ->Arg(4096)
    ->Iterations(20000)
    ->Unit(benchmark::kMicrosecond);

// (c)
void BM_c_EncodeDecodeInvocation(benchmark::State& state) {
  lattice::Invocation inv = Sign(Payload(static_cast<size_t>(state.range(0))));
  for (auto _ : state) {
    Bytes b = lattice::Encode(inv);
    auto back = lattice::DecodeInvocation(b);
    benchmark::DoNotOptimize(back);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_c_EncodeDecodeInvocation)->Arg(14)->Arg(4096)->Unit(benchmark::kMicrosecond);

// (d)
struct TwoHosts {
  std::shared_ptr<lattice::MemoryTransport> transport =
      std::make_shared<lattice::MemoryTransport>();
  std::unique_ptr<host::Host> a, b;
};
std::unique_ptr<TwoHosts> g_two;

TwoHosts& Hosts() {
  static bool made = [] {
    g_two = std::make_unique<TwoHosts>();
    host::LatticeOptions lattice;
    lattice.transport = g_two->transport;
    lattice.bucket = std::make_shared<lattice::MemoryKvBucket>("LATTICEDATA_default");
    host::HostConfig config;
    config.workers = 2;
    g_two->a = std::make_unique<host::Host>(config, wasm::CreateV8Engine, lattice);
    g_two->b = std::make_unique<host::Host>(config, wasm::CreateV8Engine, lattice);
    auto echo = ReadFile(std::string(WC_SHARED_DIR) + "/fixtures/wc-host-0.18/echo.wasm");
    if (!g_two->a->Start().ok() || !g_two->b->Start().ok() || !echo.ok() ||
        !g_two->b->StartActor(*echo).ok()) {
      std::fprintf(stderr, "two hosts: setup failed\n");
      std::exit(1);
    }
    return true;
  }();
  (void)made;
  return *g_two;
}

void BM_d_RemoteCallActor_EchoHealthRequest(benchmark::State& state) {
  host::Host& a = *Hosts().a;
  const Bytes request = *HexDecode("81ab706c616365686f6c646572c3");
  for (auto _ : state) {
    auto r = a.CallActor(kEchoKey, "HealthRequest", request);
    if (!r.ok()) {
      state.SkipWithError(r.status().message().c_str());
      break;
    }
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_d_RemoteCallActor_EchoHealthRequest)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime()
    ->Threads(1)
    ->Threads(2);

}  // namespace
}  // namespace wasmcloud

int main(int argc, char** argv) {
  wasmcloud::SetLogLevel(wasmcloud::LogLevel::kWarn);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (wasmcloud::g_two) {
    (void)wasmcloud::g_two->a->Stop();
    (void)wasmcloud::g_two->b->Stop();
    wasmcloud::g_two->transport->Close();
    wasmcloud::g_two.reset();
  }
  return 0;
}
