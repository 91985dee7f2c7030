// Fakes that record, for the Host acceptance tests: an in-memory wasmcloud:keyvalue
// provider, an Authorizer whose answers the test sets, and small helpers to sign test
// modules and build the payloads the upstream actors expect.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"
#include "crypto/claims.h"
#include "crypto/module_claims.h"
#include "crypto/nkeys.h"
#include "crypto/verify.h"
#include "host/host.h"
#include "provider/provider.h"
#include "wire/http.h"
#include "wire/keyvalue.h"

namespace wasmcloud::host::test {

// Polls `done` until it holds or `timeout` passes; true when it held. For effects the
// host may deliver on its own threads (BindActor after SetLink, Stop after StopProvider).
inline bool WaitUntil(const std::function<bool()>& done,
                      std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

// The data of the fake keyvalue provider, kept apart from it so that a new provider
// object started after StopProvider sees the same counters (as a redis server outlives
// the provider that talks to it).
struct KeyValueStore {
  std::mutex mu;
  std::map<std::string, int32_t> numbers;
};

// One thing the host did to a provider.
struct ProviderEvent {
  enum class Kind { kStart, kBindActor, kRemoveActor, kHandleCall, kStop };
  Kind kind;
  std::string actor;      // BindActor, RemoveActor, HandleCall
  LinkValues values;      // BindActor
  std::string operation;  // HandleCall
  Bytes payload;          // HandleCall
};

// wasmcloud:keyvalue in memory: Add and Get on numbers. Records every call the host
// makes, in order. The public members change its behaviour; set them before the provider
// is started.
class FakeKeyValueProvider : public provider::Provider {
 public:
  explicit FakeKeyValueProvider(
      std::shared_ptr<KeyValueStore> store = std::make_shared<KeyValueStore>())
      : store_(std::move(store)) {}

  // Start and BindActor return these.
  Status start_error;
  Status bind_error;
  // What Health answers (a health check); may be changed while it runs.
  std::function<Status()> health;
  // When set, BindActor runs this first (a test may block it there).
  std::function<void(std::string_view actor)> before_bind;
  // When set, Start runs this first (a test may block it there).
  std::function<void()> before_start;
  // When set, HandleCall runs this before its own work; an error is returned as is.
  std::function<Status(provider::ProviderHost* host, std::string_view actor,
                       std::string_view operation)>
      before_call;

  provider::ProviderDescriptor Describe() const override {
    return {"wasmcloud:keyvalue", "In-memory key-value store (test)", "0.1.0"};
  }

  Status Start(provider::ProviderHost* host) override {
    if (before_start) before_start();
    Record({ProviderEvent::Kind::kStart, {}, {}, {}, {}});
    if (!start_error.ok()) return start_error;
    host_.store(host);
    return Status::Ok();
  }

  Status Health() override { return health ? health() : Status::Ok(); }

  Status BindActor(std::string_view actor, const LinkValues& values) override {
    if (before_bind) before_bind(actor);
    Record({ProviderEvent::Kind::kBindActor, std::string(actor), values, {}, {}});
    return bind_error;
  }

  Status RemoveActor(std::string_view actor) override {
    Record({ProviderEvent::Kind::kRemoveActor, std::string(actor), {}, {}, {}});
    return Status::Ok();
  }

  Result<Bytes> HandleCall(std::string_view actor, std::string_view operation,
                           ByteView payload) override {
    Record({ProviderEvent::Kind::kHandleCall,
            std::string(actor),
            {},
            std::string(operation),
            Bytes(payload.begin(), payload.end())});
    if (before_call) {
      Status s = before_call(host_.load(), actor, operation);
      if (!s.ok()) return s;
    }
    if (operation == "Add") {
      auto args = wire::DecodeAddArgs(payload);
      if (!args.ok()) return args.status();
      std::lock_guard lock(store_->mu);
      int32_t& n = store_->numbers[args->key];
      n += args->value;
      return wire::Encode(wire::AddResponse{n});
    }
    if (operation == "Get") {
      auto args = wire::DecodeKeyArgs(payload);
      if (!args.ok()) return args.status();
      std::lock_guard lock(store_->mu);
      auto it = store_->numbers.find(args->key);
      if (it == store_->numbers.end()) return wire::Encode(wire::GetResponse{"", false});
      return wire::Encode(wire::GetResponse{std::to_string(it->second), true});
    }
    return Unimplemented("fake keyvalue: no operation " + std::string(operation));
  }

  void Stop() override {
    Record({ProviderEvent::Kind::kStop, {}, {}, {}, {}});
    host_.store(nullptr);
  }

  // The host as this provider sees it (null before Start and after Stop).
  provider::ProviderHost* host() const { return host_.load(); }

  std::vector<ProviderEvent> Events() const {
    std::lock_guard lock(mu_);
    return events_;
  }
  size_t Count(ProviderEvent::Kind kind) const {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const auto& e : events_) n += e.kind == kind ? 1 : 0;
    return n;
  }
  // HandleCall events with this operation.
  size_t CallCount(std::string_view operation) const {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const auto& e : events_) {
      n += (e.kind == ProviderEvent::Kind::kHandleCall && e.operation == operation) ? 1 : 0;
    }
    return n;
  }
  // The values of the last BindActor for `actor`, if any.
  std::optional<LinkValues> LastBind(std::string_view actor) const {
    std::lock_guard lock(mu_);
    for (auto it = events_.rbegin(); it != events_.rend(); ++it) {
      if (it->kind == ProviderEvent::Kind::kBindActor && it->actor == actor) return it->values;
    }
    return std::nullopt;
  }

 private:
  void Record(ProviderEvent e) {
    std::lock_guard lock(mu_);
    events_.push_back(std::move(e));
  }

  std::shared_ptr<KeyValueStore> store_;
  std::atomic<provider::ProviderHost*> host_{nullptr};
  mutable std::mutex mu_;
  std::vector<ProviderEvent> events_;
};

// Provider claims with a fixed service key, so that a provider started again after
// StopProvider has the same public key (and its links bind again).
inline crypto::ProviderClaims FakeProviderClaims(const crypto::KeyPair& account,
                                                 const crypto::KeyPair& service,
                                                 std::string contract_id = "wasmcloud:keyvalue") {
  crypto::ProviderClaims c;
  c.jti = crypto::NewTokenId();
  c.iat = static_cast<uint64_t>(crypto::SystemUnixSeconds());
  c.iss = account.public_key_text();
  c.sub = service.public_key_text();
  crypto::ProviderMetadata m;
  m.name = "Fake KV";
  m.capid = std::move(contract_id);
  m.vendor = "tests";
  m.rev = 1;
  m.ver = "0.1.0";
  c.wascap = m;
  return c;
}

// What the test's Authorizer was asked.
struct AuthorizerQuery {
  std::string actor;  // claims.sub ("system" for a host's CallActor)
  Entity target;
  std::string operation;
  std::string issuer;  // claims.iss (the calling host's key for "system")
};

// An Authorizer whose answers the test sets; records every CanInvoke.
class RecordingAuthorizer : public Authorizer {
 public:
  std::atomic<bool> allow_load{true};
  std::atomic<bool> allow_invoke{true};  // calls whose origin is an actor
  std::atomic<bool> allow_system{true};  // calls whose origin is a host ("system")
  std::atomic<int> load_queries{0};

  bool CanLoad(const crypto::ActorClaims&) override {
    load_queries.fetch_add(1);
    return allow_load.load();
  }
  bool CanInvoke(const crypto::ActorClaims& claims, const Entity& target,
                 std::string_view operation) override {
    std::lock_guard lock(mu_);
    queries_.push_back({claims.sub, target, std::string(operation), claims.iss});
    return claims.sub == "system" ? allow_system.load() : allow_invoke.load();
  }
  std::vector<AuthorizerQuery> Queries() const {
    std::lock_guard lock(mu_);
    return queries_;
  }
  // The queries about calls made by actors (not by a host's CallActor).
  std::vector<AuthorizerQuery> ActorQueries() const {
    std::vector<AuthorizerQuery> out;
    for (const auto& q : Queries()) {
      if (q.actor != "system") out.push_back(q);
    }
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::vector<AuthorizerQuery> queries_;
};

// A tiny waPC actor (141 bytes), made with wat2wasm from:
//   (module
//     (import "wapc" "__guest_request" (func $req (param i32 i32)))
//     (import "wapc" "__guest_response" (func $resp (param i32 i32)))
//     (memory (export "memory") 1)
//     (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
//       (if (i32.eqz (local.get $msg_len)) (then (loop $forever (br $forever))))
//       (call $req (i32.const 0) (i32.const 1024))
//       (call $resp (i32.const 1024) (local.get $msg_len))
//       (i32.const 1)))
// Any operation with a non-empty payload (up to 63 KiB) answers the payload itself; an
// empty payload loops forever (for deadline tests). Unsigned: sign it with SignActor.
inline Bytes LoopEchoModule() {
  static const uint8_t kBytes[] = {
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0c, 0x02, 0x60, 0x02, 0x7f, 0x7f,
      0x00, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x02, 0x30, 0x02, 0x04, 0x77, 0x61, 0x70, 0x63,
      0x0f, 0x5f, 0x5f, 0x67, 0x75, 0x65, 0x73, 0x74, 0x5f, 0x72, 0x65, 0x71, 0x75, 0x65, 0x73,
      0x74, 0x00, 0x00, 0x04, 0x77, 0x61, 0x70, 0x63, 0x10, 0x5f, 0x5f, 0x67, 0x75, 0x65, 0x73,
      0x74, 0x5f, 0x72, 0x65, 0x73, 0x70, 0x6f, 0x6e, 0x73, 0x65, 0x00, 0x00, 0x03, 0x02, 0x01,
      0x01, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x19, 0x02, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72,
      0x79, 0x02, 0x00, 0x0c, 0x5f, 0x5f, 0x67, 0x75, 0x65, 0x73, 0x74, 0x5f, 0x63, 0x61, 0x6c,
      0x6c, 0x00, 0x02, 0x0a, 0x1f, 0x01, 0x1d, 0x00, 0x20, 0x01, 0x45, 0x04, 0x40, 0x03, 0x40,
      0x0c, 0x00, 0x0b, 0x0b, 0x41, 0x00, 0x41, 0x80, 0x08, 0x10, 0x00, 0x41, 0x80, 0x08, 0x20,
      0x01, 0x10, 0x01, 0x41, 0x01, 0x0b};
  return Bytes(kBytes, kBytes + sizeof kBytes);
}

struct SignedActor {
  Bytes module;
  std::string public_key;  // the subject, "M..."
  std::string issuer;      // "A..."
};

// Signs `module` (replacing any token it carries) with a new account key for a new
// module key, as `wasmcloud claims sign` would. `spec.name` defaults to "test actor".
inline Result<SignedActor> SignActor(ByteView module, crypto::ActorClaimsSpec spec = {}) {
  if (spec.name.empty()) spec.name = "test actor";
  crypto::KeyPair account = crypto::KeyPair::Generate(crypto::KeyType::kAccount);
  crypto::KeyPair subject = crypto::KeyPair::Generate(crypto::KeyType::kModule);
  crypto::ActorClaims claims =
      crypto::NewActorClaims(spec, account.public_key_text(), subject.public_key_text(),
                             static_cast<uint64_t>(crypto::SystemUnixSeconds()));
  WC_ASSIGN_OR_RETURN(Bytes signed_module, crypto::SignModule(module, claims, account));
  return SignedActor{std::move(signed_module), subject.public_key_text(),
                     account.public_key_text()};
}

// The msgpack of wasmcloud:httpserver Request {GET path}.
inline Bytes HttpGet(std::string path, std::string query = "", std::string body = "") {
  wire::HttpRequest r;
  r.method = "GET";
  r.path = std::move(path);
  r.query_string = std::move(query);
  r.body = ToBytes(body);
  return wire::Encode(r);
}

}  // namespace wasmcloud::host::test
