// The C++ side of a capability provider: derive from wasmcloud::sdk::Provider, put
// WASMCLOUD_PROVIDER(YourClass) in one .cc file, build a shared library, and the host
// loads it through the C ABI of <wasmcloud/provider.h> (docs/providers.md).
//
// Header-only, C++17. Every C entry point this header defines catches every exception
// (std::exception or not) and turns it into WC_ERROR with a message; no exception ever
// reaches the host. Buffers handed to the host are released by code from this header.
//
//   class Echo : public wasmcloud::sdk::Provider {
//    public:
//     wasmcloud::sdk::Descriptor Describe() const override {
//       return {"example:echo", "Echo", "0.1.0"};
//     }
//     wasmcloud::sdk::Bytes HandleCall(const std::string& actor, const std::string& op,
//                                      const uint8_t* data, size_t len) override {
//       return wasmcloud::sdk::Bytes(data, data + len);
//     }
//   };
//   WASMCLOUD_PROVIDER(Echo)
#ifndef WASMCLOUD_PROVIDER_SDK_H_
#define WASMCLOUD_PROVIDER_SDK_H_

#include <wasmcloud/provider.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace wasmcloud::sdk {

using Bytes = std::vector<uint8_t>;
using LinkValues = std::map<std::string, std::string>;

// What the provider implements: contract id (e.g. "wasmcloud:keyvalue"), a name for
// people, and a free-form version.
struct Descriptor {
  std::string contract_id;
  std::string name;
  std::string version;
};

// Thrown by Host::CallActor when the host or the actor answers an error; throw it (or
// any other exception) from a Provider method to fail that call with its message.
// code(): what call_actor returned (WC_ERROR, WC_ERROR_DEADLINE when the call ran past
// its deadline, WC_ERROR_UNAVAILABLE when the actor could not be reached for now);
// WC_ERROR for an Error the provider makes.
struct Error : std::runtime_error {
  explicit Error(const std::string& message, int code = WC_ERROR)
      : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

// The host, as the provider sees it. Thread-safe: any thread may use it, the provider's
// own threads included, from construction until Stop returns. A call made before the
// host has started the provider, or after it stopped it, throws Error.
class Host {
 public:
  // `api` may be null (a provider built outside a host, e.g. in a unit test): then
  // CallActor throws and Log does nothing.
  explicit Host(const wc_host_api* api) : api_(api) {}
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  // Calls `operation` on the actor with public key `actor`. Returns its reply; throws
  // Error with the host's or the actor's message when the call fails.
  Bytes CallActor(const std::string& actor, const std::string& operation, const uint8_t* data,
                  size_t len) {
    if (api_ == nullptr || api_->call_actor == nullptr) {
      throw Error("no wasmcloud host to call actor " + actor);
    }
    wc_buffer response{nullptr, 0, nullptr, nullptr};
    int rc =
        api_->call_actor(api_->host_ctx, actor.c_str(), operation.c_str(), data, len, &response);
    // Released however the copy below ends.
    struct Releaser {
      wc_buffer* b;
      ~Releaser() {
        if (b->release != nullptr) b->release(b);
      }
    } releaser{&response};
    Bytes out;
    if (response.data != nullptr) out.assign(response.data, response.data + response.len);
    if (rc != WC_OK) {
      std::string message(out.begin(), out.end());
      throw Error(message.empty() ? "call to actor " + actor + " failed" : message, rc);
    }
    return out;
  }
  Bytes CallActor(const std::string& actor, const std::string& operation, const Bytes& payload) {
    return CallActor(actor, operation, payload.data(), payload.size());
  }

  // A line in the host's log, tagged with this provider.
  void Log(wc_log_level level, const std::string& message) {
    if (api_ == nullptr || api_->log == nullptr) return;
    api_->log(api_->host_ctx, level, message.c_str());
  }

  // Adds `add` to the counter `name` for `labels` ("key=value,key=value"), shown in the
  // host's metrics as wasmcloud_provider_<name>_total (wc_host_api.count). Does nothing on
  // a host that has no counters.
  void Count(const std::string& name, const std::string& labels = "", uint64_t add = 1) {
    if (api_ == nullptr || !WC_HOST_API_HAS(api_, count)) return;
    api_->count(api_->host_ctx, name.c_str(), labels.c_str(), add);
  }

 private:
  const wc_host_api* api_;
};

namespace detail {
// The Host of the provider being constructed on this thread, so that Provider's default
// constructor can find it (set by Create below).
inline Host*& HostUnderConstruction() {
  thread_local Host* host = nullptr;
  return host;
}
inline Host& DetachedHost() {
  static Host host(nullptr);
  return host;
}
}  // namespace detail

// A capability provider. The host calls HandleCall from several threads at once (it must
// be thread-safe); Describe, BindActor, RemoveActor, Health and Stop one at a time, but
// possibly while HandleCall calls are running on other threads. Stop may overlap calls
// already in flight; the destructor runs after every call has returned.
class Provider {
 public:
  Provider()
      : host_(detail::HostUnderConstruction() != nullptr ? detail::HostUnderConstruction()
                                                         : &detail::DetachedHost()) {}
  explicit Provider(Host& host) : host_(&host) {}
  Provider(const Provider&) = delete;
  Provider& operator=(const Provider&) = delete;
  virtual ~Provider() = default;

  // Called once, right after construction; the strings are kept until destruction.
  virtual Descriptor Describe() const = 0;
  // A link to `actor` exists; `values` are the link's values plus the host's
  // `__wasmcloud_*` entries. Sent again when either side restarts: be idempotent.
  virtual void BindActor(const std::string& actor, const LinkValues& values) {
    (void)actor;
    (void)values;
  }
  // The link to `actor` was removed. Idempotent.
  virtual void RemoveActor(const std::string& actor) { (void)actor; }
  // A call from the actor with public key `actor`. Throw to fail the call: the
  // exception's message reaches the actor. A provider that refused an actor's BindActor
  // (threw) may still be called for it, as in wasmCloud 0.18 (the link stays defined and
  // calls route by it): keep track of the actors you bound and refuse the others' calls
  // if serving them without their link values would be wrong.
  virtual Bytes HandleCall(const std::string& actor, const std::string& operation,
                           const uint8_t* data, size_t len) = 0;
  // "" when healthy, else what is wrong.
  virtual std::string Health() { return {}; }
  // Stop serving: stop and join your threads. Nothing but the destructor follows.
  virtual void Stop() {}

  // Valid from construction (also inside the constructor).
  Host& host() const { return *host_; }

 private:
  Host* host_;
};

namespace detail {

// Error text into a buffer the host releases; malloc so that it works while handling
// std::bad_alloc (and an empty message when even that fails).
inline void ReleaseMalloced(wc_buffer* b) {
  std::free(b->data);
  b->data = nullptr;
  b->len = 0;
}
inline void SetMessage(wc_buffer* out, const char* message) noexcept {
  if (out == nullptr) return;
  size_t len = message == nullptr ? 0 : std::strlen(message);
  auto* data = static_cast<uint8_t*>(std::malloc(len == 0 ? 1 : len));
  if (data == nullptr) return;
  if (len != 0) std::memcpy(data, message, len);
  *out = wc_buffer{data, len, &ReleaseMalloced, nullptr};
}

// The reply bytes are handed over without a copy: the vector lives on in `opaque`.
inline void ReleaseBytes(wc_buffer* b) {
  delete static_cast<Bytes*>(b->opaque);
  b->data = nullptr;
  b->len = 0;
  b->opaque = nullptr;
}
inline void SetBytes(wc_buffer* out, Bytes bytes) {
  auto* held = new Bytes(std::move(bytes));
  *out = wc_buffer{held->empty() ? nullptr : held->data(), held->size(), &ReleaseBytes, held};
}

// Runs `body`; any exception becomes WC_ERROR with its message in `error`.
template <typename F>
int Guarded(wc_buffer* error, F&& body) noexcept {
  try {
    body();
    return WC_OK;
  } catch (const std::exception& e) {
    SetMessage(error, e.what());
  } catch (...) {
    SetMessage(error, "the provider threw an exception that is not a std::exception");
  }
  return WC_ERROR;
}

// One provider instance as the host sees it.
struct Instance {
  explicit Instance(const wc_host_api* api) : host(api) {}
  Host host;
  std::unique_ptr<Provider> provider;
  Descriptor descriptor;             // describe's strings point into it until destroy
  std::atomic<bool> stopped{false};  // a call the host began just before stop is refused
};

inline Instance* Self(void* self) { return static_cast<Instance*>(self); }

inline void Describe(void* self, wc_provider_descriptor* out) {
  const Descriptor& d = Self(self)->descriptor;
  *out = wc_provider_descriptor{d.contract_id.c_str(), d.name.c_str(), d.version.c_str()};
}

inline int BindActor(void* self, const char* actor, const wc_link_value* values, size_t count,
                     wc_buffer* error) {
  return Guarded(error, [&] {
    LinkValues map;
    for (size_t i = 0; i < count; ++i) {
      if (values[i].key == nullptr) continue;
      map[values[i].key] = values[i].value == nullptr ? "" : values[i].value;
    }
    Self(self)->provider->BindActor(actor == nullptr ? "" : actor, map);
  });
}

inline int RemoveActor(void* self, const char* actor, wc_buffer* error) {
  return Guarded(error, [&] { Self(self)->provider->RemoveActor(actor == nullptr ? "" : actor); });
}

inline int HandleCall(void* self, const char* actor, const char* operation, const uint8_t* payload,
                      size_t payload_len, wc_buffer* response) {
  return Guarded(response, [&] {
    if (Self(self)->stopped.load()) throw Error("the provider is stopped");
    Bytes reply = Self(self)->provider->HandleCall(
        actor == nullptr ? "" : actor, operation == nullptr ? "" : operation, payload, payload_len);
    SetBytes(response, std::move(reply));
  });
}

inline int Health(void* self, wc_buffer* message) {
  std::string problem;
  int rc = Guarded(message, [&] { problem = Self(self)->provider->Health(); });
  if (rc != WC_OK) return rc;
  if (problem.empty()) return WC_OK;
  SetMessage(message, problem.c_str());
  return WC_ERROR;
}

inline void Stop(void* self) {
  Self(self)->stopped.store(true);
  wc_buffer error{nullptr, 0, nullptr, nullptr};
  if (Guarded(&error, [&] { Self(self)->provider->Stop(); }) == WC_OK) return;
  // Stop cannot fail through the ABI; say so in the host's log.
  try {
    std::string message = "Stop threw: ";
    if (error.data != nullptr) message.append(reinterpret_cast<char*>(error.data), error.len);
    Self(self)->host.Log(WC_LOG_ERROR, message);
  } catch (...) {
  }
  if (error.release != nullptr) error.release(&error);
}

inline void Destroy(void* self) { delete Self(self); }

inline constexpr wc_provider_vtable kVtable = {
    WASMCLOUD_PROVIDER_ABI_VERSION,
    sizeof(wc_provider_vtable),
    &Describe,
    &BindActor,
    &RemoveActor,
    &HandleCall,
    &Health,
    &Stop,
    &Destroy,
};

template <typename T>
int Create(const wc_host_api* api, wc_provider* out, wc_buffer* error) noexcept {
  static_assert(std::is_base_of_v<Provider, T>,
                "WASMCLOUD_PROVIDER needs a class derived from wasmcloud::sdk::Provider");
  static_assert(std::is_constructible_v<T, Host&> || std::is_default_constructible_v<T>,
                "the provider class needs a constructor taking (wasmcloud::sdk::Host&) or a "
                "default constructor");
  if (api == nullptr || out == nullptr) {
    SetMessage(error, "wasmcloud_provider_create: no host api or no output");
    return WC_ERROR;
  }
  if (api->abi_version != WASMCLOUD_PROVIDER_ABI_VERSION ||
      api->struct_size < offsetof(wc_host_api, log) + sizeof(api->log)) {
    SetMessage(error, "the host's wc_host_api is not the one this provider was built for");
    return WC_ERROR;
  }
  std::unique_ptr<Instance> instance;
  int rc = Guarded(error, [&] {
    instance = std::make_unique<Instance>(api);
    // Provider's default constructor picks the host up from here.
    struct Scope {
      explicit Scope(Host* h) { HostUnderConstruction() = h; }
      ~Scope() { HostUnderConstruction() = nullptr; }
    } scope(&instance->host);
    if constexpr (std::is_constructible_v<T, Host&>) {
      instance->provider = std::make_unique<T>(instance->host);
    } else {
      instance->provider = std::make_unique<T>();
    }
    instance->descriptor = instance->provider->Describe();
  });
  if (rc != WC_OK) return rc;
  *out = wc_provider{instance.release(), &kVtable};
  return WC_OK;
}

}  // namespace detail
}  // namespace wasmcloud::sdk

// Defines the library's two exported C functions for `ProviderClass`. Use it in exactly
// one .cc file of the provider, at global scope.
#define WASMCLOUD_PROVIDER(ProviderClass)                                       \
  extern "C" WC_PROVIDER_EXPORT uint32_t wasmcloud_provider_abi_version(void) { \
    return WASMCLOUD_PROVIDER_ABI_VERSION;                                      \
  }                                                                             \
  extern "C" WC_PROVIDER_EXPORT int wasmcloud_provider_create(                  \
      const wc_host_api* host, wc_provider* out, wc_buffer* error) {            \
    return ::wasmcloud::sdk::detail::Create<ProviderClass>(host, out, error);   \
  }

#endif  // WASMCLOUD_PROVIDER_SDK_H_
