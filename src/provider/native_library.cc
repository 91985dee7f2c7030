#include "provider/native_library.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasmcloud/provider.h>

#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/log.h"
#include "core/text.h"
#include "provider/host_gate.h"
#include "provider/par.h"

namespace wasmcloud::provider {
namespace {

constexpr std::string_view kLog = "provider";

// The bytes a v1 vtable must have: everything up to and including destroy.
constexpr size_t kVtableV1Size =
    offsetof(wc_provider_vtable, destroy) + sizeof(wc_provider_vtable::destroy);

// A dlopen handle; closed when it goes unless leaked (a provider instance that could not
// be destroyed may still run code from it).
class LibraryHandle {
 public:
  explicit LibraryHandle(void* handle) : handle_(handle) {}
  ~LibraryHandle() {
    if (handle_ != nullptr) dlclose(handle_);
  }
  LibraryHandle(const LibraryHandle&) = delete;
  LibraryHandle& operator=(const LibraryHandle&) = delete;
  void* get() const { return handle_; }
  void Leak() { handle_ = nullptr; }

 private:
  void* handle_;
};

// A buffer the provider fills (zeroed before the call, as the ABI promises), released
// through its own release function when this goes, whatever the return code was.
class ProviderBuffer {
 public:
  ProviderBuffer() = default;
  ~ProviderBuffer() {
    if (buffer_.release != nullptr) buffer_.release(&buffer_);
  }
  ProviderBuffer(const ProviderBuffer&) = delete;
  ProviderBuffer& operator=(const ProviderBuffer&) = delete;
  wc_buffer* get() { return &buffer_; }
  ByteView view() const {
    if (buffer_.data == nullptr) return {};
    return {buffer_.data, buffer_.len};
  }
  std::string text() const { return std::string(AsChars(view())); }

 private:
  wc_buffer buffer_{nullptr, 0, nullptr, nullptr};
};

// Our replies to the provider's call_actor: the vector lives on in `opaque` until the
// provider releases the buffer.
void ReleaseHeldBytes(wc_buffer* b) {
  delete static_cast<Bytes*>(b->opaque);
  b->data = nullptr;
  b->len = 0;
  b->opaque = nullptr;
}
void GiveBytes(wc_buffer* out, Bytes bytes) {
  auto* held = new Bytes(std::move(bytes));
  *out = wc_buffer{held->empty() ? nullptr : held->data(), held->size(), &ReleaseHeldBytes, held};
}

// A C caller may pass any int: no switch on the enum type itself.
LogLevel ToLogLevel(wc_log_level level) {
  const int value = static_cast<int>(level);
  if (value <= WC_LOG_TRACE) return LogLevel::kTrace;
  if (value == WC_LOG_DEBUG) return LogLevel::kDebug;
  if (value == WC_LOG_INFO) return LogLevel::kInfo;
  if (value == WC_LOG_WARN) return LogLevel::kWarn;
  return LogLevel::kError;
}

// The wc_host_api a provider instance holds from create until destroy. It forwards to
// the ProviderHost between Start and Stop (a HostGate), and answers an error outside that
// window.
class HostBridge {
 public:
  explicit HostBridge(std::string path) : path_(std::move(path)) {
    api_.abi_version = WASMCLOUD_PROVIDER_ABI_VERSION;
    api_.struct_size = sizeof(wc_host_api);
    api_.host_ctx = this;
    api_.call_actor = &CallActorEntry;
    api_.log = &LogEntry;
    api_.count = &CountEntry;
  }
  HostBridge(const HostBridge&) = delete;
  HostBridge& operator=(const HostBridge&) = delete;

  const wc_host_api* api() const { return &api_; }

  void Attach(ProviderHost* host) { gate_.Attach(host); }
  void Detach() { gate_.Detach(); }

 private:
  Result<Bytes> CallActor(const char* actor, const char* operation, const uint8_t* payload,
                          size_t payload_len) {
    if (actor == nullptr || operation == nullptr) {
      return InvalidArgument("call_actor: the actor and the operation must not be NULL");
    }
    if (payload == nullptr && payload_len != 0) {
      return InvalidArgument("call_actor: the payload is NULL but its length is " +
                             std::to_string(payload_len));
    }
    HostGate::Hold call(gate_);
    if (call.host() == nullptr) {
      return FailedPrecondition(gate_.detached()
                                    ? "call_actor: the host has stopped this provider"
                                    : "call_actor: the host has not started this provider");
    }
    return call.host()->CallActor(actor, operation, ByteView(payload, payload_len));
  }

  void Log(wc_log_level level, const char* message) {
    std::string_view text = message == nullptr ? "" : message;
    HostGate::Hold call(gate_);
    if (call.host() != nullptr) {
      call.host()->Log(ToLogLevel(level), text);
    } else {
      // No host to escape it (before Start, after Stop): escaped here, as the host would.
      wasmcloud::Log(ToLogLevel(level), "provider " + EscapeLogText(path_, 1024),
                     EscapeLogText(text));
    }
  }

  // Outside Start..Stop there is no host to count for: dropped.
  void Count(std::string_view name, std::string_view labels, uint64_t add) {
    HostGate::Hold call(gate_);
    if (call.host() != nullptr) call.host()->Count(name, labels, add);
  }

  static int CallActorEntry(void* ctx, const char* actor, const char* operation,
                            const uint8_t* payload, size_t payload_len, wc_buffer* response) {
    if (response == nullptr) return WC_ERROR;
    *response = wc_buffer{nullptr, 0, nullptr, nullptr};
    try {
      Result<Bytes> r =
          static_cast<HostBridge*>(ctx)->CallActor(actor, operation, payload, payload_len);
      if (r.ok()) {
        GiveBytes(response, std::move(r).value());
        return WC_OK;
      }
      GiveBytes(response, ToBytes(r.status().message()));
      switch (r.status().code()) {
        case Code::kDeadlineExceeded:
          return WC_ERROR_DEADLINE;
        case Code::kUnavailable:
          return WC_ERROR_UNAVAILABLE;
        default:
          return WC_ERROR;
      }
    } catch (...) {  // std::bad_alloc: an error without a message
    }
    return WC_ERROR;
  }

  static void CountEntry(void* ctx, const char* name, const char* labels, uint64_t add) {
    if (name == nullptr) return;
    try {
      static_cast<HostBridge*>(ctx)->Count(name, labels == nullptr ? "" : labels, add);
    } catch (...) {  // a count is not worth an exception crossing into C
    }
  }

  static void LogEntry(void* ctx, wc_log_level level, const char* message) {
    try {
      static_cast<HostBridge*>(ctx)->Log(level, message);
    } catch (...) {  // a log line is not worth an exception crossing into C
    }
  }

  wc_host_api api_{};
  const std::string path_;
  HostGate gate_;
};

// A provider instance from a library, behind the Provider interface. Declaration order
// matters: the library outlives the bridge, which outlives the instance (destroyed
// in the destructor's body).
class NativeProvider final : public Provider {
 public:
  NativeProvider(std::string path, std::unique_ptr<LibraryHandle> library,
                 std::unique_ptr<HostBridge> bridge, wc_provider instance)
      : library_(std::move(library)),
        bridge_(std::move(bridge)),
        instance_(instance),
        vt_(instance.vtable),
        path_(std::move(path)) {
    wc_provider_descriptor d{nullptr, nullptr, nullptr};
    vt_->describe(instance_.instance, &d);
    descriptor_.contract_id = d.contract_id == nullptr ? "" : d.contract_id;
    descriptor_.name = d.name == nullptr ? "" : d.name;
    descriptor_.version = d.version == nullptr ? "" : d.version;
  }

  ~NativeProvider() override {
    {
      std::lock_guard lock(control_mu_);
      StopLocked();
    }
    vt_->destroy(instance_.instance);
    bridge_.reset();
    library_.reset();
  }

  NativeProvider(const NativeProvider&) = delete;
  NativeProvider& operator=(const NativeProvider&) = delete;

  ProviderDescriptor Describe() const override { return descriptor_; }

  Status Start(ProviderHost* host) override {
    if (host == nullptr) return InvalidArgument(path_ + ": Start needs a host");
    std::lock_guard lock(control_mu_);
    if (stopped_.load()) return FailedPrecondition(path_ + ": the provider has been stopped");
    if (started_) return FailedPrecondition(path_ + ": the provider is already started");
    started_ = true;
    bridge_->Attach(host);
    return Status::Ok();
  }

  Status BindActor(std::string_view actor, const LinkValues& values) override {
    std::lock_guard lock(control_mu_);
    WC_RETURN_IF_ERROR(CheckNotStopped());
    std::vector<wc_link_value> list;
    list.reserve(values.size());
    for (const auto& [key, value] : values) list.push_back({key.c_str(), value.c_str()});
    ProviderBuffer error;
    int rc = vt_->bind_actor(instance_.instance, std::string(actor).c_str(), list.data(),
                             list.size(), error.get());
    return rc == WC_OK ? Status::Ok() : ProviderError("bind_actor", error);
  }

  Status RemoveActor(std::string_view actor) override {
    std::lock_guard lock(control_mu_);
    WC_RETURN_IF_ERROR(CheckNotStopped());
    ProviderBuffer error;
    int rc = vt_->remove_actor(instance_.instance, std::string(actor).c_str(), error.get());
    return rc == WC_OK ? Status::Ok() : ProviderError("remove_actor", error);
  }

  Result<Bytes> HandleCall(std::string_view actor, std::string_view operation,
                           ByteView payload) override {
    WC_RETURN_IF_ERROR(CheckNotStopped());
    ProviderBuffer response;
    int rc = vt_->handle_call(instance_.instance, std::string(actor).c_str(),
                              std::string(operation).c_str(), payload.data(), payload.size(),
                              response.get());
    if (rc != WC_OK) return ProviderError("handle_call", response);
    ByteView reply = response.view();
    return Bytes(reply.begin(), reply.end());
  }

  Status Health() override {
    std::lock_guard lock(control_mu_);
    WC_RETURN_IF_ERROR(CheckNotStopped());
    ProviderBuffer message;
    int rc = vt_->health(instance_.instance, message.get());
    return rc == WC_OK ? Status::Ok() : ProviderError("health", message);
  }

  void Stop() override {
    std::lock_guard lock(control_mu_);
    StopLocked();
  }

 private:
  // After stop nothing but destroy may reach the library (calls already in flight on
  // other threads finish).
  void StopLocked() {
    if (stopped_.exchange(true)) return;
    vt_->stop(instance_.instance);
    bridge_->Detach();
  }

  Status CheckNotStopped() const {
    if (stopped_.load(std::memory_order_acquire)) {
      return FailedPrecondition("provider " + descriptor_.name + " (" + path_ + ") is stopped");
    }
    return Status::Ok();
  }

  // The provider's message as it gave it: for handle_call it is what the actor receives.
  Status ProviderError(std::string_view function, const ProviderBuffer& message) const {
    std::string text = message.text();
    if (text.empty()) text = path_ + ": " + std::string(function) + " failed without a message";
    return GuestError(std::move(text));
  }

  std::unique_ptr<LibraryHandle> library_;
  std::unique_ptr<HostBridge> bridge_;
  const wc_provider instance_;
  const wc_provider_vtable* const vt_;
  const std::string path_;
  ProviderDescriptor descriptor_;
  std::mutex control_mu_;  // describe/bind/remove/health/stop one at a time (the ABI's rule)
  bool started_ = false;
  std::atomic<bool> stopped_{false};
};

// What is wrong with a vtable, or ok.
Status CheckVtable(const std::string& path, const wc_provider_vtable* vt) {
  if (vt == nullptr) {
    return InvalidArgument(path + ": wasmcloud_provider_create succeeded but gave no vtable");
  }
  if (vt->abi_version != WASMCLOUD_PROVIDER_ABI_VERSION) {
    return FailedPrecondition(path +
                              ": ABI version mismatch: the provider's vtable was built for ABI " +
                              std::to_string(vt->abi_version) + ", this host speaks " +
                              std::to_string(WASMCLOUD_PROVIDER_ABI_VERSION));
  }
  if (vt->struct_size < kVtableV1Size) {
    return InvalidArgument(path + ": the provider's vtable is " + std::to_string(vt->struct_size) +
                           " bytes, ABI " + std::to_string(WASMCLOUD_PROVIDER_ABI_VERSION) +
                           " needs at least " + std::to_string(kVtableV1Size));
  }
  const std::pair<const char*, bool> functions[] = {
      {"describe", vt->describe != nullptr},
      {"bind_actor", vt->bind_actor != nullptr},
      {"remove_actor", vt->remove_actor != nullptr},
      {"handle_call", vt->handle_call != nullptr},
      {"health", vt->health != nullptr},
      {"stop", vt->stop != nullptr},
      {"destroy", vt->destroy != nullptr},
  };
  for (const auto& [name, present] : functions) {
    if (!present) return InvalidArgument(path + ": the provider's vtable has no " + name);
  }
  return Status::Ok();
}

// dlerror's text without the path it usually starts with (our messages start with it).
std::string LoadError(const std::string& opened) {
  const char* e = dlerror();
  std::string text = e == nullptr ? "unknown dlopen error" : e;
  const std::string prefix = opened + ": ";
  if (text.compare(0, prefix.size(), prefix) == 0) text.erase(0, prefix.size());
  return text;
}

// An ELF file built for another CPU than this process's, said by its e_machine ("" when
// it is not such a file): glibc's dlerror for it is "cannot open shared object file: No
// such file or directory", about a file that exists.
std::string ForeignMachine(const std::string& file) {
  const std::string own = NativeTarget();
  const std::optional<unsigned> own_machine = ElfMachineOfTarget(own);
  if (!own_machine) return "";
  uint8_t head[20] = {};
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  const ssize_t n = ::pread(fd, head, sizeof head, 0);
  ::close(fd);
  if (n != static_cast<ssize_t>(sizeof head) || head[0] != 0x7f || head[1] != 'E' ||
      head[2] != 'L' || head[3] != 'F' || head[5] != 1) {
    return "";
  }
  const unsigned machine = head[18] | (head[19] << 8);
  if (machine == *own_machine) return "";
  return "it is built for " + ElfMachineName(machine) + ", and this host runs on " +
         own.substr(0, own.find('-'));
}

}  // namespace

Result<std::shared_ptr<Provider>> LoadNativeProvider(const std::string& path,
                                                     std::optional<std::string> expected_contract) {
  return LoadNativeProviderFrom(path, path, std::move(expected_contract));
}

Result<std::shared_ptr<Provider>> LoadNativeProviderFrom(
    const std::string& file, const std::string& path,
    std::optional<std::string> expected_contract) {
  struct stat st;
  if (file.empty() || ::stat(file.c_str(), &st) != 0) {
    return NotFound(path + ": no such file");
  }
  // A name without a slash is a file here, not a library for dlopen to search for.
  const std::string opened = file.find('/') == std::string::npos ? "./" + file : file;
  auto library = std::make_unique<LibraryHandle>(dlopen(opened.c_str(), RTLD_NOW | RTLD_LOCAL));
  if (library->get() == nullptr) {
    std::string why = LoadError(opened);
    if (std::string foreign = ForeignMachine(opened); !foreign.empty()) {
      why = foreign + " (" + why + ")";
    }
    return InvalidArgument(path + ": cannot load: " + why);
  }

  auto abi_version = reinterpret_cast<wc_provider_abi_version_fn>(
      dlsym(library->get(), WC_PROVIDER_ABI_VERSION_SYMBOL));
  auto create =
      reinterpret_cast<wc_provider_create_fn>(dlsym(library->get(), WC_PROVIDER_CREATE_SYMBOL));
  for (const auto& [name, found] :
       {std::pair{WC_PROVIDER_ABI_VERSION_SYMBOL, abi_version != nullptr},
        std::pair{WC_PROVIDER_CREATE_SYMBOL, create != nullptr}}) {
    if (!found) {
      return InvalidArgument(path + ": not a wasmcloud provider: symbol " + name + " not found");
    }
  }
  const uint32_t version = abi_version();
  if (version != WASMCLOUD_PROVIDER_ABI_VERSION) {
    return FailedPrecondition(path + ": ABI version mismatch: the library was built for ABI " +
                              std::to_string(version) + ", this host speaks " +
                              std::to_string(WASMCLOUD_PROVIDER_ABI_VERSION));
  }

  auto bridge = std::make_unique<HostBridge>(path);
  wc_provider instance{nullptr, nullptr};
  ProviderBuffer error;
  // No exception may cross the ABI; one that does (a C++ provider without the SDK) is
  // this provider's failure, not the host's.
  int created;
  try {
    created = create(bridge->api(), &instance, error.get());
  } catch (const std::exception& e) {
    return Unavailable(path + ": wasmcloud_provider_create threw: " + e.what());
  } catch (...) {
    return Unavailable(path +
                       ": wasmcloud_provider_create threw an exception that is not a "
                       "std::exception");
  }
  if (created != WC_OK) {
    std::string message = error.text();
    return Unavailable(path + ": wasmcloud_provider_create failed" +
                       (message.empty() ? std::string() : ": " + message));
  }
  if (Status s = CheckVtable(path, instance.vtable); !s.ok()) {
    const wc_provider_vtable* vt = instance.vtable;
    if (vt != nullptr && vt->abi_version == WASMCLOUD_PROVIDER_ABI_VERSION &&
        vt->struct_size >= kVtableV1Size && vt->stop != nullptr && vt->destroy != nullptr) {
      vt->stop(instance.instance);
      vt->destroy(instance.instance);
    } else {
      // The instance may have threads running library code: keep both alive.
      Log(LogLevel::kWarn, kLog,
          path +
              ": the refused provider instance cannot be destroyed; "
              "the library stays loaded");
      library->Leak();
      (void)bridge.release();
    }
    return s;
  }

  auto provider =
      std::make_shared<NativeProvider>(path, std::move(library), std::move(bridge), instance);
  const ProviderDescriptor descriptor = provider->Describe();
  // On the errors below the provider goes again: stop, destroy, dlclose.
  if (descriptor.contract_id.empty()) {
    return InvalidArgument(path + ": the provider declares no contract id");
  }
  if (expected_contract && descriptor.contract_id != *expected_contract) {
    return InvalidArgument(path + ": contract id " + descriptor.contract_id + ", expected " +
                           *expected_contract);
  }
  return std::shared_ptr<Provider>(std::move(provider));
}

}  // namespace wasmcloud::provider
