// Figures of the crypto layer (Google Benchmark; prints, never asserts): SHA-256 as the
// host computes it (OpenSSL EVP, crypto::Sha256) beside libsodium's portable code on the
// inputs the host hashes (an actor module, echo.wasm, 421 KB; an invocation hash over
// ~1 KiB), and the Ed25519 sign and verify every lattice invocation costs.
// Run: build/bench/crypto_bench
#include <benchmark/benchmark.h>
#include <sodium.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/bytes.h"
#include "crypto/claims.h"
#include "crypto/nkeys.h"
#include "crypto/sha256.h"

namespace {

using namespace wasmcloud;

const Bytes& EchoModule() {
  static Bytes b = [] {
    auto r = ReadFile(std::string(WC_SHARED_DIR) + "/fixtures/wc-host-0.18/echo.wasm");
    if (!r.ok()) {
      std::fprintf(stderr, "%s\n", r.status().message().c_str());
      std::exit(1);
    }
    return *r;
  }();
  return b;
}

void BM_Sha256_EchoModule_OpenSsl(benchmark::State& state) {
  const Bytes& m = EchoModule();
  for (auto _ : state) benchmark::DoNotOptimize(crypto::Sha256(m));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * m.size()));
}
BENCHMARK(BM_Sha256_EchoModule_OpenSsl)->Unit(benchmark::kMicrosecond);

void BM_Sha256_EchoModule_Libsodium(benchmark::State& state) {
  if (sodium_init() < 0) std::abort();
  const Bytes& m = EchoModule();
  crypto::Sha256Digest d;
  for (auto _ : state) {
    crypto_hash_sha256(d.data(), m.data(), m.size());
    benchmark::DoNotOptimize(d);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * m.size()));
}
BENCHMARK(BM_Sha256_EchoModule_Libsodium)->Unit(benchmark::kMicrosecond);

void BM_InvocationHash_1KiB(benchmark::State& state) {
  const Bytes payload(1024, 'x');
  const std::string origin = "wasmbus://MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5";
  const std::string target =
      "wasmbus://MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5/"
      "HandleRequest";
  for (auto _ : state) benchmark::DoNotOptimize(crypto::InvocationHash(origin, target, payload));
}
BENCHMARK(BM_InvocationHash_1KiB)->Unit(benchmark::kMicrosecond);

void BM_Ed25519_Sign(benchmark::State& state) {
  crypto::KeyPair key = crypto::KeyPair::Generate(crypto::KeyType::kServer);
  const Bytes message(300, 'x');  // about an invocation's claims
  for (auto _ : state) benchmark::DoNotOptimize(key.Sign(message));
}
BENCHMARK(BM_Ed25519_Sign)->Unit(benchmark::kMicrosecond);

void BM_Ed25519_Verify(benchmark::State& state) {
  crypto::KeyPair key = crypto::KeyPair::Generate(crypto::KeyType::kServer);
  const Bytes message(300, 'x');
  const auto signature = key.Sign(message);
  for (auto _ : state) benchmark::DoNotOptimize(key.Verify(message, signature));
}
BENCHMARK(BM_Ed25519_Verify)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
