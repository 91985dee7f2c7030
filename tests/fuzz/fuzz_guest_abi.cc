// Fuzz target for the guest side of the waPC ABI (src/wapc/wapc.{h,cc}): what a guest
// hands the host through the `wapc` imports. The guest (guest_abi.wat, run by V8) gets the
// input through __guest_request and runs it as a program of import calls whose i32
// arguments are input bytes, raw (any pointer and length: out of range, past 4 GiB when
// added, overlapping) or masked to 16 bits (inside memory or just past it), in an order
// the input chooses: __host_call, __guest_response, __guest_error, __console_log,
// __host_response, __host_error and their lengths, __guest_request again. Input: byte 0
// % 64 = the operation's length, then the operation, then the payload (the program).
//
// The fuzzer emulates the program on a copy of guest memory and checks, per call:
//   - never a crash (V8 in the process: ASan and UBSan see the host side of each import);
//   - a range outside memory traps the call: kTrap whose message starts with the import's
//     name ("__host_call: guest range ..."), and the instance then says healthy() ==
//     false and is replaced; any other outcome leaves it healthy;
//   - every HostCall the callbacks see has views that are exactly the guest's bytes at
//     the ranges it gave (contents equal to the emulated memory; for non-empty views,
//     pointer distances equal to the distances of the guest addresses, so the views are
//     into guest memory and nowhere else), in order, and no other call arrives;
//     binding, namespace and operation are valid UTF-8 (checked here with a validator of
//     our own: an invalid one must be refused before the callback, and the guest then
//     reads "host call rejected: the <field> is not valid UTF-8" from __host_error);
//   - __console_log lines are exactly the bytes at their ranges;
//   - what the host writes back (__host_response, __host_error, the two lengths) lands
//     exactly where the guest asked and nowhere else, and the call's outcome (response
//     bytes, guest error message) is what the emulation predicts: the program's last
//     steps usually hand some of that memory back through __guest_response.
// The host's callbacks answer deterministically from the call: an odd first payload
// byte is an error "refused <operation>", anything else the payload reversed.
// Limits (wapc::Limits, defaults): a __host_call payload length above
// max_host_call_bytes is refused to the guest before its ranges are read. The refusal
// texts mirror wapc.cc: when those change, change them here too.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"
#include "fuzz_check.h"
#include "wapc/wapc.h"
#include "wasm/engine.h"
#include "wasm/v8/v8_engine.h"

#ifndef WC_FUZZ_GUEST_ABI_WASM
#error "WC_FUZZ_GUEST_ABI_WASM: the path of guest_abi.wasm (tests/fuzz/CMakeLists.txt)"
#endif

namespace {

using namespace wasmcloud;

// The guest's layout (guest_abi.wat).
constexpr uint64_t kMemory = 65536;
constexpr uint32_t kOpAt = 0;
constexpr uint32_t kPayloadAt = 32;
constexpr uint32_t kHostCallResultAt = 16;
constexpr uint32_t kResponseLenAt = 20;
constexpr uint32_t kErrorLenAt = 24;

enum Kind : uint8_t {
  kHostCall,
  kGuestResponse,
  kGuestError,
  kConsoleLog,
  kHostResponse,
  kHostError,
  kHostResponseLen,
  kHostErrorLen,
  kGuestRequest,
  kSetResult,
  kEnd,
};
constexpr uint32_t kSize[11] = {33, 9, 9, 9, 5, 5, 1, 1, 9, 5, 1};

std::string_view Text(ByteView b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

// The host's answer to a host call: a function of the call alone, so that the
// emulation knows it.
Result<Bytes> Reply(std::string_view operation, ByteView payload) {
  if (!payload.empty() && (payload[0] & 1) != 0) {
    return Unavailable("refused " + std::string(operation));
  }
  return Bytes(payload.rbegin(), payload.rend());
}

struct SeenCall {
  uintptr_t at[4];  // where each view points
  Bytes field[4];   // binding, namespace, operation, payload
};

// The callbacks: record what arrives, answer with Reply.
class Recorder final : public wapc::HostCallbacks {
 public:
  std::vector<SeenCall> calls;
  std::vector<Bytes> logs;

  Result<Bytes> OnHostCall(const wapc::HostCall& call) override {
    // Invalid UTF-8 must have been refused before this.
    FUZZ_CHECK(FuzzStrictUtf8(call.binding));
    FUZZ_CHECK(FuzzStrictUtf8(call.ns));
    FUZZ_CHECK(FuzzStrictUtf8(call.operation));
    SeenCall seen;
    const std::string_view texts[3] = {call.binding, call.ns, call.operation};
    for (int i = 0; i < 3; ++i) {
      seen.at[i] = reinterpret_cast<uintptr_t>(texts[i].data());
      seen.field[i] = ToBytes(texts[i]);
    }
    seen.at[3] = reinterpret_cast<uintptr_t>(call.payload.data());
    seen.field[3].assign(call.payload.begin(), call.payload.end());
    calls.push_back(std::move(seen));
    return Reply(call.operation, call.payload);
  }

  void OnConsoleLog(std::string_view message) override { logs.push_back(ToBytes(message)); }
};

struct ExpectedCall {
  uint32_t at[4];
  Bytes field[4];
};

enum class Outcome { kResponse, kGuestError, kTrap };

struct Prediction {
  std::vector<ExpectedCall> calls;
  std::vector<Bytes> logs;
  Outcome outcome = Outcome::kResponse;
  Bytes response;
  std::string error;          // kGuestError: the message
  std::string trap_function;  // kTrap: the import that trapped
};

// Runs guest_abi.wat's program on a model of its memory, with the host's rules.
class Emulator {
 public:
  Emulator(std::string_view operation, ByteView payload)
      : operation_(operation), payload_(payload), mem_(kMemory, 0) {}

  Prediction Run() {
    if (!GuestRequest(kOpAt, kPayloadAt)) return std::move(p_);
    uint64_t pc = kPayloadAt;
    const uint64_t end = kPayloadAt + payload_.size();
    uint32_t result = 1;
    while (pc < end) {
      const uint8_t op = mem_[pc];
      const auto kind = static_cast<Kind>((op & 0x7F) % 11);
      const uint32_t size = kSize[kind];
      if (pc + size > end || kind == kEnd) break;
      uint32_t a[8] = {};
      for (uint32_t i = 0; i < (size - 1) / 4; ++i) {
        a[i] = Load32(pc + 1 + 4 * i);
        if (op & 0x80) a[i] &= 0xFFFF;
      }
      bool ok = true;
      switch (kind) {
        case kHostCall:
          ok = HostCall(a);
          break;
        case kGuestResponse:
          ok = Range(a[0], a[1], kLimits.max_response_bytes);
          if (!ok) return Trap("__guest_response");
          response_.assign(mem_.begin() + a[0], mem_.begin() + a[0] + a[1]);
          has_response_ = true;
          break;
        case kGuestError:
          ok = Range(a[0], a[1], kLimits.max_response_bytes);
          if (!ok) return Trap("__guest_error");
          error_.assign(mem_.begin() + a[0], mem_.begin() + a[0] + a[1]);
          has_error_ = true;
          break;
        case kConsoleLog:
          if (!Range(a[0], a[1])) return Trap("__console_log");
          p_.logs.emplace_back(mem_.begin() + a[0], mem_.begin() + a[0] + a[1]);
          break;
        case kHostResponse:
          if (!Write(a[0], host_response_)) return Trap("__host_response");
          break;
        case kHostError:
          if (!Write(a[0], AsBytes(host_error_))) return Trap("__host_error");
          break;
        case kHostResponseLen:
          Store32(kResponseLenAt, static_cast<uint32_t>(host_response_.size()));
          break;
        case kHostErrorLen:
          Store32(kErrorLenAt, static_cast<uint32_t>(host_error_.size()));
          break;
        case kGuestRequest:
          ok = GuestRequest(a[0], a[1]);
          break;
        case kSetResult:
          result = a[0] & 1;
          break;
        case kEnd:
          break;
      }
      if (!ok) return std::move(p_);
      pc += size;
    }
    // WapcInstance::Call's rules for what the guest left.
    if (result == 0) {
      p_.outcome = Outcome::kGuestError;
      p_.error = has_error_ ? error_ : "No error message set for call failure";
    } else if (has_response_) {
      p_.outcome = Outcome::kResponse;
      p_.response = response_;
    } else {
      p_.outcome = Outcome::kGuestError;
      p_.error = has_error_ ? error_ : "No error message OR response set for call success";
    }
    return std::move(p_);
  }

 private:
  static inline const wapc::Limits kLimits{};

  static bool Range(uint64_t at, uint64_t len, uint64_t limit = UINT64_MAX) {
    return len <= limit && at <= kMemory && len <= kMemory - at;
  }
  uint32_t Load32(uint64_t at) const {
    return uint32_t{mem_[at]} | uint32_t{mem_[at + 1]} << 8 | uint32_t{mem_[at + 2]} << 16 |
           uint32_t{mem_[at + 3]} << 24;
  }
  void Store32(uint64_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) mem_[at + i] = static_cast<uint8_t>(v >> (8 * i));
  }
  bool Write(uint64_t at, ByteView data) {
    if (!Range(at, data.size())) return false;
    if (!data.empty()) std::memcpy(mem_.data() + at, data.data(), data.size());
    return true;
  }
  void SetTrap(const char* function) {
    p_.outcome = Outcome::kTrap;
    p_.trap_function = function;
  }
  Prediction Trap(const char* function) {
    SetTrap(function);
    return std::move(p_);
  }
  // __guest_request(op_at, at): the payload first, then the operation.
  bool GuestRequest(uint32_t op_at, uint32_t at) {
    if (!Write(at, payload_) || !Write(op_at, AsBytes(operation_))) {
      SetTrap("__guest_request");
      return false;
    }
    return true;
  }
  bool HostCall(const uint32_t a[8]) {
    host_response_.clear();
    host_error_.clear();
    uint32_t result = 0;
    if (a[7] > kLimits.max_host_call_bytes) {
      host_error_ = "host call rejected: its payload of " + std::to_string(a[7]) +
                    " bytes is above the host's limit of " +
                    std::to_string(kLimits.max_host_call_bytes) + " bytes (--max-host-call-bytes)";
      Store32(kHostCallResultAt, result);
      return true;
    }
    ExpectedCall call;
    for (int i = 0; i < 4; ++i) {
      if (!Range(a[2 * i], a[2 * i + 1])) {
        SetTrap("__host_call");
        return false;
      }
      call.at[i] = a[2 * i];
      call.field[i].assign(mem_.begin() + a[2 * i], mem_.begin() + a[2 * i] + a[2 * i + 1]);
    }
    const char* bad = !FuzzStrictUtf8(Text(call.field[0]))   ? "binding"
                      : !FuzzStrictUtf8(Text(call.field[1])) ? "namespace"
                      : !FuzzStrictUtf8(Text(call.field[2])) ? "operation"
                                                             : nullptr;
    if (bad != nullptr) {
      host_error_ = std::string("host call rejected: the ") + bad + " is not valid UTF-8";
    } else {
      Result<Bytes> reply = Reply(Text(call.field[2]), call.field[3]);
      if (reply.ok()) {
        host_response_ = *reply;
        result = 1;
      } else {
        host_error_ = reply.status().message();
      }
      p_.calls.push_back(std::move(call));
    }
    Store32(kHostCallResultAt, result);
    return true;
  }

  const std::string_view operation_;
  const ByteView payload_;
  Bytes mem_;
  Prediction p_;
  Bytes response_;
  bool has_response_ = false;
  std::string error_;
  bool has_error_ = false;
  Bytes host_response_;
  std::string host_error_;
};

void CheckCalls(const std::vector<ExpectedCall>& expected, const std::vector<SeenCall>& seen) {
  FUZZ_CHECK(seen.size() == expected.size());
  for (size_t c = 0; c < seen.size(); ++c) {
    for (int i = 0; i < 4; ++i) {
      FUZZ_CHECK(seen[c].field[i] == expected[c].field[i]);
      if (seen[c].field[i].empty()) continue;
      for (int j = 0; j < i; ++j) {
        if (seen[c].field[j].empty()) continue;
        // The same distance apart in host memory as in guest memory: both views are
        // into the one guest memory, at the guest's addresses.
        FUZZ_CHECK(static_cast<int64_t>(seen[c].at[i] - seen[c].at[j]) ==
                   int64_t{expected[c].at[i]} - int64_t{expected[c].at[j]});
      }
    }
  }
}

struct Harness {
  std::shared_ptr<wasm::Engine> engine;
  std::unique_ptr<wasm::Worker> worker;
  std::shared_ptr<const wapc::WapcModule> module;
  Recorder host;
  std::unique_ptr<wapc::WapcInstance> instance;

  void NewInstance() {
    instance.reset();
    auto made = wapc::WapcInstance::Create(*worker, module, &host, "fuzz_guest_abi");
    if (!made.ok()) {
      std::fprintf(stderr, "fuzz_guest_abi: %s\n", made.status().message().c_str());
      std::abort();
    }
    instance = std::move(*made);
  }
};

// Made once and never destroyed: V8 is not torn down at exit.
Harness& Get() {
  static Harness* h = [] {
    auto* made = new Harness;
    wasm::EngineConfig config;
    config.max_memory_pages = 1;
    auto engine = wasm::CreateV8Engine(config);
    auto bytes = ReadFile(WC_FUZZ_GUEST_ABI_WASM);
    if (!engine.ok() || !bytes.ok()) {
      std::fprintf(stderr, "fuzz_guest_abi: %s\n",
                   (!engine.ok() ? engine.status() : bytes.status()).message().c_str());
      std::abort();
    }
    made->engine = *engine;
    auto worker = made->engine->NewWorker();
    auto module = worker.ok() ? wapc::WapcModule::Load(*made->engine, *bytes)
                              : Result<std::shared_ptr<const wapc::WapcModule>>(worker.status());
    if (!module.ok()) {
      std::fprintf(stderr, "fuzz_guest_abi: %s\n", module.status().message().c_str());
      std::abort();
    }
    made->worker = std::move(*worker);
    made->module = *module;
    made->NewInstance();
    return made;
  }();
  return *h;
}

}  // namespace

// LeakSanitizer does not scan V8's heap pages (V8 maps them itself), so what V8 allocates
// with malloc and keeps only there (page and slot-set metadata, its code registry) looks
// leaked. Those allocation sites, all inside V8's heap, are not reported.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:v8::internal::MemoryAllocator::\n"
         "leak:v8::internal::MemoryChunk::\n"
         "leak:v8::internal::Page::\n"
         "leak:v8::internal::Heap::GenerationalBarrierSlow\n"
         "leak:v8::internal::CodeObjectRegistry::\n";
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  Get();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t op_len = std::min<size_t>(data[0] % 64, size - 1);
  const std::string_view operation(reinterpret_cast<const char*>(data + 1), op_len);
  const ByteView payload(data + 1 + op_len, size - 1 - op_len);

  Prediction want = Emulator(operation, payload).Run();

  Harness& h = Get();
  h.host.calls.clear();
  h.host.logs.clear();
  wasm::CallOptions no_deadline;
  no_deadline.timeout = std::chrono::nanoseconds(-1);
  Result<Bytes> got = h.instance->Call(operation, payload, no_deadline);

  CheckCalls(want.calls, h.host.calls);
  FUZZ_CHECK(h.host.logs == want.logs);
  switch (want.outcome) {
    case Outcome::kTrap: {
      FUZZ_CHECK(!got.ok());
      FUZZ_CHECK(got.status().code() == Code::kTrap);
      const std::string prefix = want.trap_function + ": ";
      FUZZ_CHECK(got.status().message().compare(0, prefix.size(), prefix) == 0);
      FUZZ_CHECK(!h.instance->healthy());
      break;
    }
    case Outcome::kGuestError:
      FUZZ_CHECK(!got.ok());
      FUZZ_CHECK(got.status().code() == Code::kGuestError);
      FUZZ_CHECK(got.status().message() == want.error);
      FUZZ_CHECK(h.instance->healthy());
      break;
    case Outcome::kResponse:
      FUZZ_CHECK(got.ok());
      FUZZ_CHECK(*got == want.response);
      FUZZ_CHECK(h.instance->healthy());
      break;
  }
  // A trapped instance is replaced, as the host does.
  if (!h.instance->healthy()) h.NewInstance();
  return 0;
}
