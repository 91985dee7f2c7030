// The V8 backend of wasm::Engine (V8 10.2 from Debian's libnode108; see docs/v8.md).
//
// V8 is initialised once per process, on first use, with --no-wasm-dynamic-tiering
// (without it, threads that run the same module slow each other down about 4x). The
// first engine's flags hold for the life of the process; later engines share them.
//
// Compile shares one compiled module between copies of the same code (the `jwt` section
// removed), loads and writes EngineConfig::code_cache_dir, and runs V8's background
// optimisation on a low-priority pool (docs/architecture.md, "The engine").
#pragma once

#include <cstdint>
#include <memory>

#include "core/status.h"
#include "wasm/engine.h"

namespace wasmcloud::wasm {

Result<std::shared_ptr<Engine>> CreateV8Engine(const EngineConfig& config = {});

// Tasks V8 has handed to its helper threads in this process so far (compilation,
// mostly); 0 before the first engine is created.
uint64_t V8BackgroundTasksPosted();

// What an engine's Compile calls did, for tests and benchmarks.
struct V8EngineStats {
  uint64_t compiled = 0;        // modules V8 compiled from their bytes
  uint64_t shared = 0;          // calls answered with the live module of the same code
  uint64_t cache_loaded = 0;    // modules loaded from the code cache
  uint64_t cache_rejected = 0;  // code cache files refused (by our checks or V8's) and removed
  uint64_t cache_written = 0;   // code cache files written
};
// Zeros for an engine that CreateV8Engine did not make.
V8EngineStats GetV8EngineStats(const Engine& engine);

// The pool that runs V8's background optimisation of new modules (one per process).
struct V8CompilePoolStats {
  unsigned threads = 0;  // 0: not started yet
  int nice = 0;
  uint64_t tasks = 0;      // tasks run
  double cpu_seconds = 0;  // CPU time of its threads in those tasks
};
V8CompilePoolStats GetV8CompilePoolStats();

}  // namespace wasmcloud::wasm
