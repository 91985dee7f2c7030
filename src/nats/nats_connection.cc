#include "nats/nats_connection.h"

#include <nats/nats.h>

#include <cstdlib>
#include <cstring>
#include <thread>

#include "core/log.h"

namespace wasmcloud::nats {
namespace {

constexpr std::string_view kLog = "nats";

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ",") + s;
  return out;
}

// A malloc'ed copy, which libnats frees.
char* Dup(const std::string& s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (p != nullptr) std::memcpy(p, s.c_str(), s.size() + 1);
  return p;
}

natsStatus UserJwt(char** jwt, char** /*error*/, void* closure) {
  *jwt = Dup(*static_cast<const std::string*>(closure));
  return *jwt != nullptr ? NATS_OK : NATS_NO_MEMORY;
}

natsStatus SignNonce(char** /*error*/, unsigned char** signature, int* length, const char* nonce,
                     void* closure) {
  const auto* key = static_cast<const crypto::KeyPair*>(closure);
  Bytes sig = key->Sign(AsBytes(std::string_view(nonce)));
  *signature = static_cast<unsigned char*>(std::malloc(sig.size()));
  if (*signature == nullptr) return NATS_NO_MEMORY;
  std::memcpy(*signature, sig.data(), sig.size());
  *length = static_cast<int>(sig.size());
  return NATS_OK;
}

}  // namespace

// libnats calls the connection callbacks on a thread of its own, in the order it posts
// them, and posts the closed callback last (after joining the threads that post the
// others), possibly after the NatsConnection is gone. So the callbacks reach this
// instead: libnats holds a heap-allocated reference to it as their closure, which the
// closed callback deletes; the NatsConnection detaches from it when destroyed, so that
// on_event is never called after that.
struct NatsConnection::Callbacks {
  using Ref = std::shared_ptr<Callbacks>;

  std::string servers;  // for log lines
  std::function<void(const NatsConnectionEvent&)> on_event;

  std::mutex mu;  // guards everything below, and on_event against Detach
  std::condition_variable changed;
  bool connected = false;  // connected once (the first connect, retried in the background)
  bool closing = false;    // Close() was called: the disconnect that follows is expected
  bool detached = false;   // no more on_event calls
  bool reporting = false;  // on_event runs, on thread `reporter`
  std::thread::id reporter;

  void Report(NatsConnectionEvent::Kind kind, std::string detail);
  // Returns once on_event is not running (unless this thread is running it) and will not
  // be called again.
  void Detach();

  static Callbacks& From(void* closure) { return **static_cast<Ref*>(closure); }
  static void OnConnected(natsConnection* nc, void* closure);
  static void OnDisconnected(natsConnection* nc, void* closure);
  static void OnReconnected(natsConnection* nc, void* closure);
  static void OnClosed(natsConnection* nc, void* closure);
  static void OnError(natsConnection* nc, natsSubscription* sub, natsStatus err, void* closure);
};

void NatsConnection::Callbacks::Report(NatsConnectionEvent::Kind kind, std::string detail) {
  {
    std::lock_guard<std::mutex> lock(mu);
    if (detached || !on_event) return;
    reporting = true;
    reporter = std::this_thread::get_id();
  }
  on_event(NatsConnectionEvent{kind, std::move(detail)});
  {
    std::lock_guard<std::mutex> lock(mu);
    reporting = false;
    reporter = {};
  }
  changed.notify_all();
}

void NatsConnection::Callbacks::Detach() {
  std::function<void(const NatsConnectionEvent&)> gone;  // destroyed here, without the lock
  std::unique_lock<std::mutex> lock(mu);
  detached = true;
  // From inside on_event: it is not called again, and goes with these callbacks.
  if (reporting && reporter == std::this_thread::get_id()) return;
  changed.wait(lock, [&] { return !reporting; });
  gone = std::move(on_event);
  lock.unlock();
}

void NatsConnection::Callbacks::OnConnected(natsConnection*, void* closure) {
  Callbacks& c = From(closure);
  {
    std::lock_guard<std::mutex> lock(c.mu);
    c.connected = true;
  }
  c.changed.notify_all();
}

void NatsConnection::Callbacks::OnDisconnected(natsConnection*, void* closure) {
  Callbacks& c = From(closure);
  bool closing;
  {
    std::lock_guard<std::mutex> lock(c.mu);
    closing = c.closing;
  }
  Log(closing ? LogLevel::kDebug : LogLevel::kWarn, kLog,
      "disconnected from NATS (" + c.servers + ")");
  c.Report(NatsConnectionEvent::Kind::kDisconnected, c.servers);
}

void NatsConnection::Callbacks::OnReconnected(natsConnection* nc, void* closure) {
  char url[256] = {0};
  natsConnection_GetConnectedUrl(nc, url, sizeof url);
  Log(LogLevel::kInfo, kLog, std::string("reconnected to NATS at ") + url);
  From(closure).Report(NatsConnectionEvent::Kind::kReconnected, url);
}

void NatsConnection::Callbacks::OnClosed(natsConnection*, void* closure) {
  From(closure).Report(NatsConnectionEvent::Kind::kClosed, "");
  delete static_cast<Ref*>(closure);  // the last callback of this connection
}

void NatsConnection::Callbacks::OnError(natsConnection* nc, natsSubscription* /*sub*/,
                                        natsStatus err, void* closure) {
  // `sub` is not retained for this callback by libnats: it may be freed by now, so it is
  // not looked at. Subscriptions log their own dropped messages (nats_transport.cc).
  std::string text = natsStatus_GetText(err);
  if (err == NATS_SLOW_CONSUMER) {
    text += ": a subscription's handler fell behind and libnats dropped messages for it";
  } else {
    const char* last = nullptr;
    if (natsConnection_GetLastError(nc, &last) == err && last != nullptr && *last != '\0' &&
        text != last) {
      text += std::string(": ") + last;
    }
  }
  Callbacks& c = From(closure);
  Log(LogLevel::kWarn, kLog, "NATS error (" + c.servers + "): " + text);
  c.Report(NatsConnectionEvent::Kind::kError, std::move(text));
}

NatsConnection::NatsConnection(NatsConnectionOptions options)
    : options_(std::move(options)), callbacks_(std::make_shared<Callbacks>()) {
  callbacks_->servers = Join(options_.servers);
  callbacks_->on_event = options_.on_event;
}

std::string NatsError(int status) {
  std::string text = natsStatus_GetText(static_cast<natsStatus>(status));
  natsStatus last = NATS_OK;
  const char* detail = nats_GetLastError(&last);
  if (detail != nullptr && *detail != '\0' && last == status && text != detail) {
    text += ": ";
    text += detail;
  }
  return text;
}

Result<std::shared_ptr<NatsConnection>> NatsConnection::Connect(NatsConnectionOptions options) {
  if (options.servers.empty()) return InvalidArgument("no NATS server given");
  std::shared_ptr<NatsConnection> self(new NatsConnection(std::move(options)));
  const NatsConnectionOptions& o = self->options_;
  const std::string where = Join(o.servers);

  // The closure of the connection callbacks: libnats owns it once the connection exists
  // (Callbacks::OnClosed deletes it).
  auto closure = std::make_unique<Callbacks::Ref>(self->callbacks_);
  natsOptions* opts = nullptr;
  if (natsOptions_Create(&opts) != NATS_OK) return Internal("libnats: cannot make options");
  std::vector<const char*> servers;
  for (const auto& s : o.servers) servers.push_back(s.c_str());
  natsStatus s = natsOptions_SetServers(opts, servers.data(), static_cast<int>(servers.size()));
  if (s == NATS_OK && !o.name.empty()) s = natsOptions_SetName(opts, o.name.c_str());
  // One attempt may take this long; the whole of Connect is bounded below.
  if (s == NATS_OK) {
    s = natsOptions_SetTimeout(opts, std::min<int64_t>(o.connect_timeout.count(), 2000));
  }
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, o.reconnect_wait.count());
  if (s == NATS_OK) {
    s = natsOptions_SetReconnectJitter(opts, o.reconnect_jitter.count(),
                                       o.reconnect_jitter.count());
  }
  if (s == NATS_OK) s = natsOptions_SetFailRequestsOnDisconnect(opts, true);
  if (s == NATS_OK) s = natsOptions_SetPingInterval(opts, o.ping_interval.count());
  if (s == NATS_OK) s = natsOptions_SetMaxPingsOut(opts, o.max_pings_out);
  if (s == NATS_OK) s = natsOptions_SetSendAsap(opts, o.send_asap);
  if (s == NATS_OK) {
    s = natsOptions_SetRetryOnFailedConnect(opts, true, &Callbacks::OnConnected, closure.get());
  }
  if (s == NATS_OK) {
    s = natsOptions_SetDisconnectedCB(opts, &Callbacks::OnDisconnected, closure.get());
  }
  if (s == NATS_OK) {
    s = natsOptions_SetReconnectedCB(opts, &Callbacks::OnReconnected, closure.get());
  }
  if (s == NATS_OK) s = natsOptions_SetClosedCB(opts, &Callbacks::OnClosed, closure.get());
  if (s == NATS_OK) s = natsOptions_SetErrorHandler(opts, &Callbacks::OnError, closure.get());
  if (s == NATS_OK && !o.credentials_file.empty()) {
    s = natsOptions_SetUserCredentialsFromFiles(opts, o.credentials_file.c_str(), nullptr);
    if (s != NATS_OK) {
      natsOptions_Destroy(opts);
      return InvalidArgument("NATS credentials file " + o.credentials_file + ": " + NatsError(s));
    }
  }
  if (s == NATS_OK && !o.seed.empty()) {
    auto key = crypto::KeyPair::FromSeed(o.seed);
    if (!key.ok()) {
      natsOptions_Destroy(opts);
      return InvalidArgument("NATS seed: " + key.status().message());
    }
    self->nkey_ = std::make_unique<crypto::KeyPair>(std::move(*key));
    if (!o.jwt.empty()) {
      s = natsOptions_SetUserCredentialsCallbacks(opts, &UserJwt, &self->options_.jwt, &SignNonce,
                                                  self->nkey_.get());
    } else {
      s = natsOptions_SetNKey(opts, self->nkey_->public_key_text().c_str(), &SignNonce,
                              self->nkey_.get());
    }
  }
  if (s != NATS_OK) {
    natsOptions_Destroy(opts);
    return InvalidArgument("NATS options: " + NatsError(s));
  }
  s = natsConnection_Connect(&self->connection_, opts);
  natsOptions_Destroy(opts);
  // A connection that failed here made no callback and will make none: the closure stays
  // ours. Otherwise its closed callback frees it.
  if (s == NATS_OK || s == NATS_NOT_YET_CONNECTED) closure.release();
  if (s != NATS_OK && s != NATS_NOT_YET_CONNECTED) {
    std::string why = NatsError(s);
    if (self->connection_ != nullptr) {
      natsConnection_Destroy(self->connection_);
      self->connection_ = nullptr;
    }
    if (s == NATS_CONNECTION_AUTH_FAILED || s == NATS_NOT_PERMITTED) {
      return Unauthenticated("NATS at " + where + " refused the credentials: " + why);
    }
    return Unavailable("cannot connect to NATS at " + where + ": " + why);
  }
  if (s == NATS_NOT_YET_CONNECTED) {
    // libnats keeps trying in the background; wait for it, within the bound.
    Callbacks& c = *self->callbacks_;
    std::unique_lock<std::mutex> lock(c.mu);
    bool up = c.changed.wait_for(lock, o.connect_timeout, [&] { return c.connected; });
    lock.unlock();
    if (!up) {
      natsConnection_Destroy(self->connection_);  // stops the background attempts
      self->connection_ = nullptr;
      return Unavailable("cannot connect to NATS at " + where + " within " +
                         std::to_string(o.connect_timeout.count()) + " ms");
    }
  }
  Log(LogLevel::kInfo, kLog, "connected to " + where + (o.name.empty() ? "" : " as " + o.name));
  return self;
}

NatsConnection::~NatsConnection() {
  Close();
  callbacks_->Detach();
  if (connection_ != nullptr) natsConnection_Destroy(connection_);
}

bool NatsConnection::connected() const {
  return connection_ != nullptr && natsConnection_Status(connection_) == NATS_CONN_STATUS_CONNECTED;
}

size_t NatsConnection::max_payload() const {
  int64_t n = connection_ != nullptr ? natsConnection_GetMaxPayload(connection_) : 0;
  return n > 0 ? static_cast<size_t>(n) : 1024 * 1024;
}

void NatsConnection::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_ || connection_ == nullptr) return;
    closed_ = true;
  }
  {
    std::lock_guard<std::mutex> lock(callbacks_->mu);
    callbacks_->closing = true;
  }
  if (connected()) natsConnection_FlushTimeout(connection_, 1000);
  natsConnection_Close(connection_);
}

}  // namespace wasmcloud::nats
