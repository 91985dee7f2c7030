#include "wapc/wapc.h"

#include <cstdio>

#include "core/log.h"
#include "core/utf8.h"

namespace wasmcloud::wapc {

using wasm::FuncType;
using wasm::HostContext;
using wasm::HostFunction;
using wasm::ValType;
using wasm::Value;

namespace {

constexpr std::string_view kNamespace = "wapc";

std::string Hex32(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// Guest pointers and lengths arrive as i32 and are read as unsigned 32-bit numbers.
uint32_t U32(const Value& v) { return static_cast<uint32_t>(v.i32); }

Status OutOfBounds(std::string_view function, uint32_t ptr, uint32_t len, size_t size) {
  return Trap(std::string(function) + ": guest range [" + Hex32(ptr) + ", " + Hex32(ptr) + " + " +
              std::to_string(len) + ") is outside guest memory of " + std::to_string(size) +
              " bytes");
}

wasm::GuestMemory* MemoryOf(HostContext& ctx) { return ctx.memory(); }

Result<std::string_view> ReadText(HostContext& ctx, std::string_view function, uint32_t ptr,
                                  uint32_t len) {
  wasm::GuestMemory* mem = MemoryOf(ctx);
  auto slice = mem->Slice(ptr, len);
  if (!slice) return OutOfBounds(function, ptr, len, mem->size());
  return std::string_view(reinterpret_cast<const char*>(slice->data()), slice->size());
}

}  // namespace

// The host side of every `wapc` import. Each reaches its instance through user_data.
struct HostFunctionsImpl {
  static WapcInstance& Self(HostContext& ctx) {
    return *static_cast<WapcInstance*>(ctx.user_data());
  }

  // __guest_request(op_ptr, ptr): the host writes the payload at ptr and the operation
  // name at op_ptr; the guest learnt both lengths from __guest_call.
  static Status GuestRequest(HostContext& ctx, std::span<const Value> a, std::span<Value>) {
    WapcInstance& self = Self(ctx);
    wasm::GuestMemory* mem = MemoryOf(ctx);
    uint32_t op_ptr = U32(a[0]), ptr = U32(a[1]);
    if (!mem->Write(ptr, self.request_payload_)) {
      return OutOfBounds("__guest_request", ptr,
                         static_cast<uint32_t>(self.request_payload_.size()), mem->size());
    }
    if (!mem->Write(op_ptr, AsBytes(self.request_operation_))) {
      return OutOfBounds("__guest_request", op_ptr,
                         static_cast<uint32_t>(self.request_operation_.size()), mem->size());
    }
    return Status::Ok();
  }

  static Status GuestResponse(HostContext& ctx, std::span<const Value> a, std::span<Value>) {
    WapcInstance& self = Self(ctx);
    wasm::GuestMemory* mem = MemoryOf(ctx);
    WC_RETURN_IF_ERROR(CheckResponseSize(self, "__guest_response", U32(a[1])));
    if (!mem->Read(U32(a[0]), U32(a[1]), &self.guest_response_)) {
      return OutOfBounds("__guest_response", U32(a[0]), U32(a[1]), mem->size());
    }
    self.has_guest_response_ = true;
    return Status::Ok();
  }

  static Status GuestError(HostContext& ctx, std::span<const Value> a, std::span<Value>) {
    WapcInstance& self = Self(ctx);
    WC_RETURN_IF_ERROR(CheckResponseSize(self, "__guest_error", U32(a[1])));
    WC_ASSIGN_OR_RETURN(std::string_view text,
                        ReadText(ctx, "__guest_error", U32(a[0]), U32(a[1])));
    self.guest_error_.assign(text);
    self.has_guest_error_ = true;
    return Status::Ok();
  }

  static Status HostCallFn(HostContext& ctx, std::span<const Value> a, std::span<Value> r) {
    WapcInstance& self = Self(ctx);
    self.host_response_.clear();
    self.host_error_.clear();
    if (U32(a[7]) > self.limits_.max_host_call_bytes) {
      self.host_error_ = "host call rejected: its payload of " + std::to_string(U32(a[7])) +
                         " bytes is above the host's limit of " +
                         std::to_string(self.limits_.max_host_call_bytes) +
                         " bytes (--max-host-call-bytes)";
      r[0] = Value::I32(0);
      return Status::Ok();
    }
    WC_ASSIGN_OR_RETURN(std::string_view binding,
                        ReadText(ctx, "__host_call", U32(a[0]), U32(a[1])));
    WC_ASSIGN_OR_RETURN(std::string_view ns, ReadText(ctx, "__host_call", U32(a[2]), U32(a[3])));
    WC_ASSIGN_OR_RETURN(std::string_view op, ReadText(ctx, "__host_call", U32(a[4]), U32(a[5])));
    WC_ASSIGN_OR_RETURN(std::string_view payload,
                        ReadText(ctx, "__host_call", U32(a[6]), U32(a[7])));
    // The upstream host panics on invalid UTF-8 here; the guest gets an error instead.
    const char* bad = !IsValidUtf8(binding) ? "binding"
                      : !IsValidUtf8(ns)    ? "namespace"
                      : !IsValidUtf8(op)    ? "operation"
                                            : nullptr;
    if (bad != nullptr) {
      self.host_error_ = std::string("host call rejected: the ") + bad + " is not valid UTF-8";
      r[0] = Value::I32(0);
      return Status::Ok();
    }
    // The views point into guest memory, which the callback may not grow (it cannot
    // run this guest), so they stay valid for the callback's duration.
    Result<Bytes> reply = self.callbacks_->OnHostCall(HostCall{binding, ns, op, AsBytes(payload)});
    if (reply.ok()) {
      self.host_response_ = std::move(reply).value();
      r[0] = Value::I32(1);
    } else {
      self.host_error_ = reply.status().message();
      r[0] = Value::I32(0);
    }
    return Status::Ok();
  }

  // A response or error text above the limit traps the call: the guest cannot hand the
  // host more than it agreed to hold.
  static Status CheckResponseSize(const WapcInstance& self, std::string_view function,
                                  uint32_t len) {
    if (len <= self.limits_.max_response_bytes) return Status::Ok();
    return Trap(std::string(function) + ": " + std::to_string(len) +
                " bytes are above the host's limit of " +
                std::to_string(self.limits_.max_response_bytes) +
                " bytes for what an actor returns (--max-response-bytes)");
  }

  static Status HostResponseLen(HostContext& ctx, std::span<const Value>, std::span<Value> r) {
    r[0] = Value::I32(static_cast<int32_t>(Self(ctx).host_response_.size()));
    return Status::Ok();
  }

  static Status HostResponse(HostContext& ctx, std::span<const Value> a, std::span<Value>) {
    WapcInstance& self = Self(ctx);
    wasm::GuestMemory* mem = MemoryOf(ctx);
    if (!mem->Write(U32(a[0]), self.host_response_)) {
      return OutOfBounds("__host_response", U32(a[0]),
                         static_cast<uint32_t>(self.host_response_.size()), mem->size());
    }
    return Status::Ok();
  }

  static Status HostErrorLen(HostContext& ctx, std::span<const Value>, std::span<Value> r) {
    r[0] = Value::I32(static_cast<int32_t>(Self(ctx).host_error_.size()));
    return Status::Ok();
  }

  static Status HostError(HostContext& ctx, std::span<const Value> a, std::span<Value>) {
    WapcInstance& self = Self(ctx);
    wasm::GuestMemory* mem = MemoryOf(ctx);
    if (!mem->Write(U32(a[0]), AsBytes(self.host_error_))) {
      return OutOfBounds("__host_error", U32(a[0]), static_cast<uint32_t>(self.host_error_.size()),
                         mem->size());
    }
    return Status::Ok();
  }

  static Status ConsoleLog(HostContext& ctx, std::span<const Value> a, std::span<Value>) {
    WC_ASSIGN_OR_RETURN(std::string_view text,
                        ReadText(ctx, "__console_log", U32(a[0]), U32(a[1])));
    Self(ctx).callbacks_->OnConsoleLog(text);
    return Status::Ok();
  }
};

std::span<const HostFunction> HostFunctions() {
  static const std::vector<HostFunction> functions = [] {
    const ValType i = ValType::kI32;
    auto fn = [](std::string name, FuncType type, auto callback) {
      return HostFunction{std::string(kNamespace), std::move(name), std::move(type), callback};
    };
    using H = HostFunctionsImpl;
    return std::vector<HostFunction>{
        fn("__guest_request", {{i, i}, {}}, H::GuestRequest),
        fn("__guest_response", {{i, i}, {}}, H::GuestResponse),
        fn("__guest_error", {{i, i}, {}}, H::GuestError),
        fn("__host_call", {{i, i, i, i, i, i, i, i}, {i}}, H::HostCallFn),
        fn("__host_response_len", {{}, {i}}, H::HostResponseLen),
        fn("__host_response", {{i}, {}}, H::HostResponse),
        fn("__host_error_len", {{}, {i}}, H::HostErrorLen),
        fn("__host_error", {{i}, {}}, H::HostError),
        fn("__console_log", {{i, i}, {}}, H::ConsoleLog),
    };
  }();
  return functions;
}

Result<std::shared_ptr<const WapcModule>> WapcModule::Load(wasm::Engine& engine, ByteView bytes) {
  WC_ASSIGN_OR_RETURN(std::shared_ptr<const wasm::Module> module, engine.Compile(bytes));
  const wasm::ModuleInfo& info = module->info();

  std::optional<FuncType> guest_call = info.ExportedFunctionType("__guest_call");
  const FuncType kGuestCallType{{ValType::kI32, ValType::kI32}, {ValType::kI32}};
  if (!guest_call) {
    return FailedPrecondition("not a waPC module: it does not export the function __guest_call");
  }
  if (*guest_call != kGuestCallType) {
    return FailedPrecondition("not a waPC module: __guest_call has type " +
                              wasm::FuncTypeToString(*guest_call) + ", expected (i32, i32) -> i32");
  }
  const wasm::Export* memory = info.FindExport("memory");
  if (memory == nullptr || memory->kind != wasm::ExternKind::kMemory) {
    return FailedPrecondition("not a waPC module: it does not export its memory as \"memory\"");
  }
  for (const char* start : {"_start", "wapc_init"}) {
    const wasm::Export* e = info.FindExport(start);
    if (e == nullptr) continue;
    std::optional<FuncType> t = info.ExportedFunctionType(start);
    if (!t || !t->params.empty() || !t->results.empty()) {
      return FailedPrecondition(std::string("not a waPC module: ") + start +
                                " must be a function that takes and returns nothing");
    }
  }
  for (const wasm::Import& imp : info.imports) {
    std::string qualified = imp.module + "." + imp.name;
    if (imp.kind != wasm::ExternKind::kFunction) {
      return FailedPrecondition("module imports " + std::string(wasm::ExternKindName(imp.kind)) +
                                " " + qualified + ", which the host does not provide");
    }
    const HostFunction* provided = nullptr;
    for (const HostFunction& hf : HostFunctions()) {
      if (hf.module == imp.module && hf.name == imp.name) provided = &hf;
    }
    if (provided == nullptr) {
      return FailedPrecondition("module imports function " + qualified +
                                ", which the host does not provide (a waPC host offers only the "
                                "wapc.* functions)");
    }
    std::optional<FuncType> t = info.ImportedFunctionType(imp.module, imp.name);
    if (!t || *t != provided->type) {
      return FailedPrecondition("module imports " + qualified + " with type " +
                                (t ? wasm::FuncTypeToString(*t) : "?") + ", but waPC defines " +
                                wasm::FuncTypeToString(provided->type));
    }
  }
  return std::shared_ptr<const WapcModule>(new WapcModule(std::move(module)));
}

Result<std::unique_ptr<WapcInstance>> WapcInstance::Create(
    wasm::Worker& worker, std::shared_ptr<const WapcModule> module, HostCallbacks* callbacks,
    std::string name, const wasm::CallOptions& init_options, const Limits& limits) {
  std::unique_ptr<WapcInstance> self(new WapcInstance(module, callbacks, std::move(name)));
  self->limits_ = limits;
  self->worker_ = &worker;
  WC_ASSIGN_OR_RETURN(self->instance_,
                      worker.Instantiate(module->module(), HostFunctions(), self.get()));
  WC_ASSIGN_OR_RETURN(self->guest_call_, self->instance_->FindFunction("__guest_call"));
  if (self->instance_->memory() == nullptr) {
    return FailedPrecondition("not a waPC module: it does not export its memory as \"memory\"");
  }
  // wapc 0.10 REQUIRED_STARTS: TinyGo's _start, then wapc_init, each only if exported.
  for (const char* start : {"_start", "wapc_init"}) {
    if (module->module().info().FindExport(start) == nullptr) continue;
    WC_ASSIGN_OR_RETURN(wasm::FunctionRef fn, self->instance_->FindFunction(start));
    Status s = self->instance_->Call(fn, {}, &self->results_, init_options);
    if (!s.ok()) return Status(s.code(), std::string(start) + " failed: " + s.message());
  }
  return self;
}

size_t WapcInstance::memory_bytes() const {
  wasm::GuestMemory* mem = instance_->memory();
  return mem == nullptr ? 0 : mem->size();
}

void WapcInstance::DiscardMemory() {
  if (wasm::GuestMemory* mem = instance_->memory(); mem != nullptr) mem->Discard();
}

Result<Bytes> WapcInstance::Call(std::string_view operation, ByteView payload,
                                 const wasm::CallOptions& options) {
  // Held before `in_call_` is looked at: another thread's call waits here for this one
  // to end, instead of being taken for a re-entry.
  wasm::WorkerLock worker_lock(*worker_);
  if (in_call_) {
    return FailedPrecondition("instance " + name_ + " is already running a call");
  }
  if (operation.size() > INT32_MAX || payload.size() > INT32_MAX) {
    return InvalidArgument("operation or payload larger than 2 GiB");
  }
  in_call_ = true;
  request_operation_ = operation;
  request_payload_ = payload;
  guest_response_.clear();
  has_guest_response_ = false;
  guest_error_.clear();
  has_guest_error_ = false;
  host_response_.clear();
  host_error_.clear();

  const Value args[2] = {Value::I32(static_cast<int32_t>(operation.size())),
                         Value::I32(static_cast<int32_t>(payload.size()))};
  Status s = instance_->Call(guest_call_, args, &results_, options);
  in_call_ = false;
  request_operation_ = {};
  request_payload_ = {};
  if (!s.ok()) {
    healthy_ = false;
    return s;
  }
  if (results_[0].i32 == 0) {
    return wasmcloud::GuestError(has_guest_error_ ? guest_error_
                                                  : "No error message set for call failure");
  }
  if (has_guest_response_) return std::move(guest_response_);
  if (has_guest_error_) return wasmcloud::GuestError(guest_error_);
  return wasmcloud::GuestError("No error message OR response set for call success");
}

}  // namespace wasmcloud::wapc
