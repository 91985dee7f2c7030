// The V8 backend of wasm::Engine (V8 10.2 from Debian's libnode108; see docs/v8.md).
//
// V8 is initialised once per process, on first use, with --no-wasm-dynamic-tiering
// (without it, threads that run the same module slow each other down about 4x). The
// first engine's flags hold for the life of the process; later engines share them.
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

}  // namespace wasmcloud::wasm
