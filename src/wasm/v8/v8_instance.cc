// Instances of the V8 backend: instantiation with host functions, calls with deadlines,
// guest memory.
#include <array>
#include <optional>

#include "wasm/v8/v8_internal.h"

namespace wasmcloud::wasm::v8backend {
namespace {

// A memory's bytes through its BackingStore. When a guest grows its memory, V8 detaches
// the old ArrayBuffer but keeps the BackingStore and its address, and the store reports
// the new length, so holding the store is enough (checked in docs/v8.md).
class V8GuestMemory final : public GuestMemory {
 public:
  explicit V8GuestMemory(std::shared_ptr<v8::BackingStore> store) : store_(std::move(store)) {}
  size_t size() const override { return store_->ByteLength(); }

 protected:
  uint8_t* base() const override { return static_cast<uint8_t*>(store_->Data()); }

 private:
  std::shared_ptr<v8::BackingStore> store_;
};

bool ToWasm(v8::Local<v8::Context> context, v8::Local<v8::Value> v, ValType type, Value* out) {
  switch (type) {
    case ValType::kI32:
      if (v->IsInt32()) {
        *out = Value::I32(v.As<v8::Int32>()->Value());
        return true;
      } else {
        int32_t x;
        if (!v->Int32Value(context).To(&x)) return false;
        *out = Value::I32(x);
        return true;
      }
    case ValType::kI64:
      if (!v->IsBigInt()) return false;
      *out = Value::I64(v.As<v8::BigInt>()->Int64Value());
      return true;
    case ValType::kF32:
    case ValType::kF64: {
      double d;
      if (!v->NumberValue(context).To(&d)) return false;
      *out = type == ValType::kF32 ? Value::F32(static_cast<float>(d)) : Value::F64(d);
      return true;
    }
    default:
      return false;
  }
}

v8::Local<v8::Value> ToV8(v8::Isolate* isolate, const Value& v) {
  switch (v.type) {
    case ValType::kI32:
      return v8::Integer::New(isolate, v.i32);
    case ValType::kI64:
      return v8::BigInt::New(isolate, v.i64);
    case ValType::kF32:
      return v8::Number::New(isolate, v.f32);
    default:
      return v8::Number::New(isolate, v.f64);
  }
}

bool IsNumberType(ValType t) {
  return t == ValType::kI32 || t == ValType::kI64 || t == ValType::kF32 || t == ValType::kF64;
}

}  // namespace

class V8Instance final : public Instance, public HostContext {
 public:
  // What a host function's V8 callback needs: its function and the instance it serves.
  struct Binding {
    V8Instance* instance;
    const HostFunction* function;
  };

  V8Instance(V8Worker* worker, std::shared_ptr<const V8Module> module, void* user_data)
      : worker_(worker), module_(std::move(module)), user_data_(user_data) {}

  ~V8Instance() override {
    v8::Locker locker(worker_->isolate());
    v8::Isolate::Scope isolate_scope(worker_->isolate());
    functions_.clear();
    exports_.Reset();
    instance_.Reset();
    worker_->InstanceGone();
  }

  Status Init(std::span<const HostFunction> host_functions);

  Result<FunctionRef> FindFunction(std::string_view name) override;
  Status Call(const FunctionRef& fn, std::span<const Value> args, std::vector<Value>* results,
              const CallOptions& options) override;
  GuestMemory* memory() override { return memory_ ? &*memory_ : nullptr; }
  void* user_data() override { return user_data_; }

  static void HostTrampoline(const v8::FunctionCallbackInfo<v8::Value>& info);

 private:
  // Call's work, with the isolate locked and entered, `context` (the worker's) entered
  // and a HandleScope open.
  Status CallIn(v8::Local<v8::Context> context, const FunctionRef& fn, std::span<const Value> args,
                std::vector<Value>* results, const CallOptions& options);
  // Turns the outcome of a V8 call (empty result = exception or termination) into a
  // Status, and cancels a termination once the call stack is back at depth 0.
  // `what` + `name` say what ran ("call to " + the export, say); they are joined only
  // when there is an error to report, so a successful call builds no string.
  Status Finish(bool ok, bool fired, const v8::TryCatch& try_catch, std::string_view what,
                std::string_view name = {});

  V8Worker* worker_;
  std::shared_ptr<const V8Module> module_;
  void* user_data_;
  std::vector<std::unique_ptr<Binding>> bindings_;
  v8::Global<v8::Object> instance_;
  v8::Global<v8::Object> exports_;
  std::vector<v8::Global<v8::Function>> functions_;  // FunctionRef::index -> export
  std::vector<std::string> names_;                   // FunctionRef::index -> its name
  std::optional<V8GuestMemory> memory_;
  // The error of a host function that failed during the current call.
  std::optional<Status> host_error_;
};

void V8Instance::HostTrampoline(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto* binding = static_cast<Binding*>(info.Data().As<v8::External>()->Value());
  V8Instance* self = binding->instance;
  const FuncType& type = binding->function->type;
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();

  // waPC's widest import takes 8 arguments; larger signatures use the heap.
  std::array<Value, 8> small_args;
  std::vector<Value> big_args;
  std::span<Value> args(small_args.data(), type.params.size());
  if (type.params.size() > small_args.size()) {
    big_args.resize(type.params.size());
    args = big_args;
  }
  for (size_t i = 0; i < type.params.size(); ++i) {
    if (!ToWasm(context, info[static_cast<int>(i)], type.params[i], &args[i])) {
      self->host_error_ = Internal("host function " + binding->function->name + ": argument " +
                                   std::to_string(i) + " has the wrong type");
      isolate->ThrowException(v8::Exception::Error(V8String(isolate, "host function failed")));
      return;
    }
  }
  std::array<Value, 4> small_results;
  std::vector<Value> big_results;
  std::span<Value> results(small_results.data(), type.results.size());
  if (type.results.size() > small_results.size()) {
    big_results.resize(type.results.size());
    results = big_results;
  }
  for (size_t i = 0; i < type.results.size(); ++i) results[i].type = type.results[i];

  Status status = binding->function->callback(*self, args, results);
  if (!status.ok()) {
    // The wasm frames unwind to the export call, which reports this Status.
    if (!self->host_error_) self->host_error_ = std::move(status);
    isolate->ThrowException(v8::Exception::Error(V8String(isolate, "host function failed")));
    return;
  }
  if (results.size() == 1) {
    const Value& r = results[0];
    switch (r.type) {
      case ValType::kI32:
        info.GetReturnValue().Set(r.i32);
        break;
      case ValType::kI64:
        info.GetReturnValue().Set(v8::BigInt::New(isolate, r.i64));
        break;
      case ValType::kF32:
        info.GetReturnValue().Set(static_cast<double>(r.f32));
        break;
      default:
        info.GetReturnValue().Set(r.f64);
        break;
    }
  } else if (results.size() > 1) {
    v8::Local<v8::Array> array = v8::Array::New(isolate, static_cast<int>(results.size()));
    for (size_t i = 0; i < results.size(); ++i) {
      array->Set(context, static_cast<uint32_t>(i), ToV8(isolate, results[i])).Check();
    }
    info.GetReturnValue().Set(array);
  }
}

Status V8Instance::Finish(bool ok, bool fired, const v8::TryCatch& try_catch, std::string_view what,
                          std::string_view name) {
  v8::Isolate* isolate = worker_->isolate();
  if (fired && worker_->slot().depth() == 0) {
    // Also when the call finished before the termination took hold: the request is
    // still pending and would stop the next call.
    isolate->CancelTerminateExecution();
  }
  if (ok) {
    host_error_.reset();
    return Status::Ok();
  }
  if (fired || try_catch.HasTerminated()) {
    host_error_.reset();
    return DeadlineExceeded(std::string(what) + std::string(name) +
                            " was stopped: it ran past its deadline");
  }
  if (host_error_) {
    Status s = std::move(*host_error_);
    host_error_.reset();
    return s;
  }
  return Trap(std::string(what) + std::string(name) +
              " trapped: " + ExceptionText(isolate, try_catch));
}

Status V8Instance::Init(std::span<const HostFunction> host_functions) {
  v8::Isolate* isolate = worker_->isolate();
  v8::Local<v8::Context> context = worker_->context();
  const ModuleInfo& info = module_->info();

  v8::Local<v8::Object> imports = v8::Object::New(isolate);
  for (const Import& imp : info.imports) {
    std::string qualified = imp.module + "." + imp.name;
    if (imp.kind != ExternKind::kFunction) {
      return FailedPrecondition("module imports " + std::string(ExternKindName(imp.kind)) + " " +
                                qualified + "; the host provides only functions");
    }
    const HostFunction* found = nullptr;
    for (const HostFunction& hf : host_functions) {
      if (hf.module == imp.module && hf.name == imp.name) {
        found = &hf;
        break;
      }
    }
    if (found == nullptr) {
      return FailedPrecondition("module imports function " + qualified +
                                ", which the host does not provide");
    }
    std::optional<FuncType> wanted = info.ImportedFunctionType(imp.module, imp.name);
    if (!wanted || *wanted != found->type) {
      return FailedPrecondition("module imports function " + qualified + " with type " +
                                (wanted ? FuncTypeToString(*wanted) : std::string("?")) +
                                ", but the host provides " + FuncTypeToString(found->type));
    }
    for (ValType t : found->type.params) {
      if (!IsNumberType(t)) return FailedPrecondition(qualified + ": unsupported parameter type");
    }
    bindings_.push_back(std::make_unique<Binding>(Binding{this, found}));
    v8::Local<v8::Function> fn;
    if (!v8::Function::New(context, HostTrampoline,
                           v8::External::New(isolate, bindings_.back().get()))
             .ToLocal(&fn)) {
      return Internal("V8 could not create host function " + qualified);
    }
    v8::Local<v8::String> module_name = V8String(isolate, imp.module);
    v8::Local<v8::Value> ns;
    if (!imports->Get(context, module_name).ToLocal(&ns) || !ns->IsObject()) {
      ns = v8::Object::New(isolate);
      imports->Set(context, module_name, ns).Check();
    }
    ns.As<v8::Object>()->Set(context, V8String(isolate, imp.name), fn).Check();
  }

  v8::Local<v8::WasmModuleObject> module_object;
  {
    v8::TryCatch try_catch(isolate);
    if (!worker_->ModuleObject(*module_).ToLocal(&module_object)) {
      return Internal("V8 could not load the compiled module: " +
                      ExceptionText(isolate, try_catch));
    }
  }

  // A module's start function runs inside the constructor, so it gets a deadline too.
  v8::Local<v8::Object> instance;
  {
    v8::TryCatch try_catch(isolate);
    v8::Local<v8::Value> argv[2] = {module_object, imports};
    worker_->slot().Enter(worker_->DeadlineFor({}));
    bool ok = worker_->instance_ctor()->NewInstance(context, 2, argv).ToLocal(&instance);
    bool fired = worker_->slot().Leave();
    Status s = Finish(ok, fired, try_catch, "instantiation");
    if (!s.ok()) return s.code() == Code::kTrap ? FailedPrecondition(s.message()) : s;
  }
  instance_.Reset(isolate, instance);
  v8::Local<v8::Value> exports;
  if (!instance->Get(context, V8String(isolate, "exports")).ToLocal(&exports) ||
      !exports->IsObject()) {
    return Internal("instance has no exports object");
  }
  exports_.Reset(isolate, exports.As<v8::Object>());
  const Export* mem = info.FindExport("memory");
  if (mem != nullptr && mem->kind == ExternKind::kMemory) {
    v8::Local<v8::Value> m;
    if (exports.As<v8::Object>()->Get(context, V8String(isolate, "memory")).ToLocal(&m) &&
        m->IsWasmMemoryObject()) {
      memory_.emplace(m.As<v8::WasmMemoryObject>()->Buffer()->GetBackingStore());
    }
  }
  return Status::Ok();
}

Result<FunctionRef> V8Instance::FindFunction(std::string_view name) {
  std::optional<FuncType> type = module_->info().ExportedFunctionType(name);
  if (!type) return NotFound("module exports no function named " + std::string(name));
  v8::Isolate* isolate = worker_->isolate();
  v8::Locker locker(isolate);
  v8::Isolate::Scope isolate_scope(isolate);
  v8::HandleScope handles(isolate);
  v8::Local<v8::Context> context = worker_->context();
  v8::Local<v8::Value> fn;
  if (!exports_.Get(isolate)->Get(context, V8String(isolate, name)).ToLocal(&fn) ||
      !fn->IsFunction()) {
    return NotFound("module exports no function named " + std::string(name));
  }
  functions_.emplace_back(isolate, fn.As<v8::Function>());
  names_.emplace_back(name);
  return FunctionRef{static_cast<uint32_t>(functions_.size() - 1), std::move(*type)};
}

Status V8Instance::Call(const FunctionRef& fn, std::span<const Value> args,
                        std::vector<Value>* results, const CallOptions& options) {
  if (fn.index >= functions_.size()) return InvalidArgument("unknown function handle");
  if (args.size() != fn.type.params.size()) {
    return InvalidArgument(names_[fn.index] + " takes " + std::to_string(fn.type.params.size()) +
                           " arguments, not " + std::to_string(args.size()));
  }
  v8::Isolate* isolate = worker_->isolate();
  if (worker_->EnteredHere()) {
    // The worker is held by this thread: its Locker, isolate and context are in place.
    v8::HandleScope handles(isolate);
    return CallIn(worker_->entered_context(), fn, args, results, options);
  }
  v8::Locker locker(isolate);
  v8::Isolate::Scope isolate_scope(isolate);
  v8::HandleScope handles(isolate);
  v8::Local<v8::Context> context = worker_->context();
  v8::Context::Scope context_scope(context);
  return CallIn(context, fn, args, results, options);
}

Status V8Instance::CallIn(v8::Local<v8::Context> context, const FunctionRef& fn,
                          std::span<const Value> args, std::vector<Value>* results,
                          const CallOptions& options) {
  v8::Isolate* isolate = worker_->isolate();
  std::array<v8::Local<v8::Value>, 8> small_argv;
  std::vector<v8::Local<v8::Value>> big_argv;
  v8::Local<v8::Value>* argv = small_argv.data();
  if (args.size() > small_argv.size()) {
    big_argv.resize(args.size());
    argv = big_argv.data();
  }
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i].type != fn.type.params[i]) {
      return InvalidArgument(names_[fn.index] + ": argument " + std::to_string(i) + " must be " +
                             std::string(ValTypeName(fn.type.params[i])));
    }
    argv[i] = ToV8(isolate, args[i]);
  }

  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Value> result;
  worker_->slot().Enter(worker_->DeadlineFor(options));
  bool ok = functions_[fn.index]
                .Get(isolate)
                ->Call(context, v8::Undefined(isolate), static_cast<int>(args.size()), argv)
                .ToLocal(&result);
  bool fired = worker_->slot().Leave();
  WC_RETURN_IF_ERROR(Finish(ok, fired, try_catch, "call to ", names_[fn.index]));

  results->clear();
  if (fn.type.results.size() == 1) {
    Value v;
    if (!ToWasm(context, result, fn.type.results[0], &v)) {
      return Internal(names_[fn.index] + " returned a value of the wrong type");
    }
    results->push_back(v);
  } else if (fn.type.results.size() > 1) {
    if (!result->IsArray()) return Internal(names_[fn.index] + " did not return its results");
    v8::Local<v8::Array> array = result.As<v8::Array>();
    for (uint32_t i = 0; i < fn.type.results.size(); ++i) {
      v8::Local<v8::Value> item;
      Value v;
      if (!array->Get(context, i).ToLocal(&item) ||
          !ToWasm(context, item, fn.type.results[i], &v)) {
        return Internal(names_[fn.index] + " returned a value of the wrong type");
      }
      results->push_back(v);
    }
  }
  return Status::Ok();
}

Result<std::unique_ptr<Instance>> V8Worker::Instantiate(
    const Module& module, std::span<const HostFunction> host_functions, void* user_data) {
  const auto* v8module = dynamic_cast<const V8Module*>(&module);
  if (v8module == nullptr) return InvalidArgument("module was not compiled by the V8 engine");
  v8::Locker locker(isolate_);
  v8::Isolate::Scope isolate_scope(isolate_);
  v8::HandleScope handles(isolate_);
  v8::Context::Scope context_scope(context());
  ++live_instances_;
  auto instance = std::make_unique<V8Instance>(this, v8module->shared_from_this(), user_data);
  WC_RETURN_IF_ERROR(instance->Init(host_functions));
  return std::unique_ptr<Instance>(std::move(instance));
}

}  // namespace wasmcloud::wasm::v8backend
