#include "support/fake_engine.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "wasm/module_info.h"

namespace wasmcloud::testing {
namespace {

using wasm::FunctionRef;
using wasm::HostFunction;
using wasm::Value;

constexpr size_t kMemorySize = 1 << 20;
constexpr uint32_t kRequestArea = 0;           // operation, then payload
constexpr uint32_t kHostCallArea = 256 << 10;  // binding, namespace, operation, payload
constexpr uint32_t kReplyArea = 512 << 10;     // host replies, then the guest's answer
constexpr size_t kAreaSize = 256 << 10;

class FakeModule final : public wasm::Module {
 public:
  FakeModule(wasm::ModuleInfo info, Bytes code) : info_(std::move(info)), code_(std::move(code)) {}
  const wasm::ModuleInfo& info() const override { return info_; }
  const Bytes& code() const { return code_; }

 private:
  wasm::ModuleInfo info_;
  Bytes code_;
};

class FakeMemory final : public wasm::GuestMemory {
 public:
  FakeMemory() : bytes_(kMemorySize) {}
  size_t size() const override { return bytes_.size(); }

 protected:
  uint8_t* base() const override { return const_cast<uint8_t*>(bytes_.data()); }

 private:
  std::vector<uint8_t> bytes_;
};

class FakeInstance;

class FakeContext final : public wasm::HostContext {
 public:
  FakeContext(wasm::GuestMemory* memory, void* user_data)
      : memory_(memory), user_data_(user_data) {}
  wasm::GuestMemory* memory() override { return memory_; }
  void* user_data() override { return user_data_; }

 private:
  wasm::GuestMemory* memory_;
  void* user_data_;
};

std::vector<std::string> Split(std::string_view text, char sep, size_t parts) {
  std::vector<std::string> out;
  while (out.size() + 1 < parts) {
    size_t at = text.find(sep);
    if (at == std::string_view::npos) break;
    out.emplace_back(text.substr(0, at));
    text.remove_prefix(at + 1);
  }
  out.emplace_back(text);
  return out;
}

class FakeInstance final : public wasm::Instance {
 public:
  FakeInstance(FakeEngine* engine, const FakeModule& module,
               std::span<const HostFunction> host_functions, void* user_data)
      : engine_(engine), info_(module.info()), code_(module.code()), context_(&memory_, user_data) {
    for (const HostFunction& f : host_functions) {
      if (f.module == "wapc") functions_[f.name] = &f;
    }
  }

  Result<FunctionRef> FindFunction(std::string_view name) override {
    for (size_t i = 0; i < info_.exports.size(); ++i) {
      if (info_.exports[i].name == name && info_.exports[i].kind == wasm::ExternKind::kFunction) {
        FunctionRef ref;
        ref.index = static_cast<uint32_t>(i);
        if (auto t = info_.ExportedFunctionType(std::string(name))) ref.type = *t;
        return ref;
      }
    }
    return NotFound("no exported function " + std::string(name));
  }

  Status Call(const FunctionRef& fn, std::span<const Value> args, std::vector<Value>* results,
              const wasm::CallOptions&) override {
    const std::string& name = info_.exports.at(fn.index).name;
    results->clear();
    if (name != "__guest_call") return Status::Ok();  // _start, wapc_init: nothing to do
    if (args.size() != 2) return InvalidArgument("__guest_call takes 2 arguments");
    engine_->CountGuestCall();
    uint32_t op_len = static_cast<uint32_t>(args[0].i32);
    uint32_t msg_len = static_cast<uint32_t>(args[1].i32);
    if (op_len + msg_len > kAreaSize) return Trap("fake guest: request too large");
    const uint32_t msg_ptr = kRequestArea + op_len;
    WC_RETURN_IF_ERROR(Host("__guest_request", {Value::I32(kRequestArea), Value::I32(msg_ptr)}));
    Bytes op_bytes, msg;
    memory_.Read(kRequestArea, op_len, &op_bytes);
    memory_.Read(msg_ptr, msg_len, &msg);
    std::string op(op_bytes.begin(), op_bytes.end());

    bool ok = true;
    Bytes answer;
    if (op == "Echo") {
      answer = msg;
    } else if (op == "HealthRequest") {
      answer = {0x82, 0xa7, 'h', 'e', 'a', 'l', 't', 'h', 'y', 0xc3,
                0xa7, 'm',  'e', 's', 's', 'a', 'g', 'e', 0xa0};
    } else if (op == "Call") {
      auto parts =
          Split(std::string_view(reinterpret_cast<const char*>(msg.data()), msg.size()), '\n', 4);
      if (parts.size() != 4) {
        ok = false;
        answer = ToBytes("Call needs binding\\nnamespace\\noperation\\npayload");
      } else {
        auto reply = HostCallFromGuest(parts[0], parts[1], parts[2], parts[3]);
        if (!reply.ok()) return reply.status();  // a trap of the host function
        ok = reply->first;
        if (ok) {
          answer = std::move(reply->second);
        } else {
          answer = ToBytes("host error: ");
          answer.insert(answer.end(), reply->second.begin(), reply->second.end());
        }
      }
    } else if (op == "Wait") {
      Gate& gate = engine_->GetGate(std::string(msg.begin(), msg.end()));
      if (!gate.WaitOpen(std::chrono::seconds(30))) return Trap("fake guest: gate never opened");
      answer = ToBytes("opened");
    } else if (op == "Tag") {
      const wasm::Section* tag = info_.FindCustomSection("fake-tag");
      answer = ToBytes(
          tag ? std::string_view(reinterpret_cast<const char*>(code_.data() + tag->content_offset),
                                 tag->content_size)
              : std::string_view());
    } else if (op == "Record") {
      engine_->Record(std::string(msg.begin(), msg.end()));
      answer = msg;
    } else if (op == "Log") {
      if (msg.size() > kAreaSize) return Trap("fake guest: log line too large");
      memory_.Write(kReplyArea, msg);
      WC_RETURN_IF_ERROR(Host(
          "__console_log", {Value::I32(kReplyArea), Value::I32(static_cast<int32_t>(msg.size()))}));
      answer = ToBytes("logged");
    } else if (op == "Fail") {
      ok = false;
      answer = ToBytes("failed on purpose");
    } else {
      ok = false;
      answer = ToBytes("No handler registered for function \"" + op + "\"");
    }
    if (answer.size() > kAreaSize) return Trap("fake guest: answer too large");
    memory_.Write(kReplyArea, answer);
    WC_RETURN_IF_ERROR(
        Host(ok ? "__guest_response" : "__guest_error",
             {Value::I32(kReplyArea), Value::I32(static_cast<int32_t>(answer.size()))}));
    results->push_back(Value::I32(ok ? 1 : 0));
    return Status::Ok();
  }

  wasm::GuestMemory* memory() override { return &memory_; }

  // The "fake-init" host call, made while instantiating; its outcome for the record.
  std::string RunInit() {
    const wasm::Section* init = info_.FindCustomSection("fake-init");
    if (init == nullptr) return {};
    std::string_view text(reinterpret_cast<const char*>(code_.data() + init->content_offset),
                          init->content_size);
    auto parts = Split(text, '\n', 4);
    if (parts.size() != 4) return "error: bad fake-init section";
    auto reply = HostCallFromGuest(parts[0], parts[1], parts[2], parts[3]);
    if (!reply.ok()) return "error: " + reply.status().message();
    std::string body(reply->second.begin(), reply->second.end());
    return reply->first ? body : "error: " + body;
  }

 private:
  static Bytes ToBytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

  // Calls the host function `name` as the guest would; its results, or its error (which
  // traps the guest).
  Result<std::vector<Value>> Call(const std::string& name, std::vector<Value> args) {
    auto it = functions_.find(name);
    if (it == functions_.end()) return FailedPrecondition("no host function wapc." + name);
    std::vector<Value> results(it->second->type.results.size());
    for (size_t i = 0; i < results.size(); ++i) results[i].type = it->second->type.results[i];
    WC_RETURN_IF_ERROR(it->second->callback(context_, args, results));
    return results;
  }
  Status Host(const std::string& name, std::vector<Value> args) {
    return Call(name, std::move(args)).status();
  }

  // (true, response) or (false, error text).
  Result<std::pair<bool, Bytes>> HostCallFromGuest(const std::string& binding,
                                                   const std::string& ns, const std::string& op,
                                                   const std::string& payload) {
    uint32_t at = kHostCallArea;
    std::vector<Value> args;
    for (const std::string* part : {&binding, &ns, &op, &payload}) {
      memory_.Write(at, AsBytes(*part));
      args.push_back(Value::I32(static_cast<int32_t>(at)));
      args.push_back(Value::I32(static_cast<int32_t>(part->size())));
      at += static_cast<uint32_t>(part->size());
    }
    WC_ASSIGN_OR_RETURN(auto rc, Call("__host_call", args));
    const bool ok = rc.at(0).i32 == 1;
    WC_ASSIGN_OR_RETURN(auto len, Call(ok ? "__host_response_len" : "__host_error_len", {}));
    uint32_t n = static_cast<uint32_t>(len.at(0).i32);
    if (n > kAreaSize) return Trap("fake guest: host reply too large");
    WC_RETURN_IF_ERROR(Host(ok ? "__host_response" : "__host_error", {Value::I32(kReplyArea)}));
    Bytes reply;
    memory_.Read(kReplyArea, n, &reply);
    return std::make_pair(ok, std::move(reply));
  }

  FakeEngine* engine_;
  const wasm::ModuleInfo& info_;
  const Bytes& code_;
  FakeMemory memory_;
  FakeContext context_;
  std::map<std::string, const HostFunction*, std::less<>> functions_;
};

class FakeWorker final : public wasm::Worker {
 public:
  explicit FakeWorker(FakeEngine* engine) : engine_(engine) {}
  void Lock() override { mu_.lock(); }
  void Unlock() override { mu_.unlock(); }
  Result<std::unique_ptr<wasm::Instance>> Instantiate(const wasm::Module& module,
                                                      std::span<const HostFunction> host_functions,
                                                      void* user_data) override {
    for (const auto& imp : module.info().imports) {
      bool found = std::any_of(host_functions.begin(), host_functions.end(), [&](const auto& f) {
        return f.module == imp.module && f.name == imp.name;
      });
      if (!found) {
        return FailedPrecondition("missing import " + imp.module + "." + imp.name);
      }
    }
    auto instance = std::make_unique<FakeInstance>(engine_, static_cast<const FakeModule&>(module),
                                                   host_functions, user_data);
    if (std::string init = instance->RunInit(); !init.empty()) engine_->RecordInitResult(init);
    return std::unique_ptr<wasm::Instance>(std::move(instance));
  }

 private:
  FakeEngine* engine_;
  std::recursive_mutex mu_;
};

}  // namespace

void Gate::Open() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
  }
  cv_.notify_all();
}

bool Gate::WaitOpen(std::chrono::milliseconds timeout) {
  waiting_.fetch_add(1);
  std::unique_lock<std::mutex> lock(mu_);
  bool opened = cv_.wait_for(lock, timeout, [&] { return open_; });
  waiting_.fetch_sub(1);
  return opened;
}

Result<std::shared_ptr<const wasm::Module>> FakeEngine::Compile(ByteView bytes) {
  auto info = wasm::InspectModule(bytes);
  if (!info.ok()) return Malformed(info.status().message());
  return std::shared_ptr<const wasm::Module>(
      std::make_shared<FakeModule>(std::move(*info), Bytes(bytes.begin(), bytes.end())));
}

Result<std::unique_ptr<wasm::Worker>> FakeEngine::NewWorker() {
  return std::unique_ptr<wasm::Worker>(new FakeWorker(this));
}

Gate& FakeEngine::GetGate(const std::string& name) {
  std::lock_guard<std::mutex> lock(gates_mu_);
  auto& gate = gates_[name];
  if (!gate) gate = std::make_unique<Gate>();
  return *gate;
}

std::vector<std::string> FakeEngine::init_results() const {
  std::lock_guard<std::mutex> lock(init_mu_);
  return init_results_;
}

void FakeEngine::RecordInitResult(std::string r) {
  std::lock_guard<std::mutex> lock(init_mu_);
  init_results_.push_back(std::move(r));
}

std::vector<std::string> FakeEngine::recorded() const {
  std::lock_guard<std::mutex> lock(recorded_mu_);
  return recorded_;
}

void FakeEngine::Record(std::string payload) {
  std::lock_guard<std::mutex> lock(recorded_mu_);
  recorded_.push_back(std::move(payload));
}

wasm::EngineFactory FakeEngine::Factory() {
  std::shared_ptr<FakeEngine> self = shared_from_this();
  return [self](const wasm::EngineConfig&) -> Result<std::shared_ptr<wasm::Engine>> {
    return std::shared_ptr<wasm::Engine>(self);
  };
}

}  // namespace wasmcloud::testing
