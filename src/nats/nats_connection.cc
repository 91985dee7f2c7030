#include "nats/nats_connection.h"

#include <nats/nats.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include "core/log.h"
#include "nats/message_batch.h"
#include "nats/nats_transport.h"

namespace wasmcloud::nats {
namespace {

constexpr std::string_view kLog = "nats";
// Attempts of a first connect whose signed credentials the server refuses (see Connect).
constexpr int kSignedConnectAttempts = 4;
// Attempts whose connection the server closed right after the TLS handshake before that
// counts as a refused client certificate (see ClosedAfterHandshake).
constexpr int kClosedAfterHandshakeAttempts = 3;

// "PATH cannot be read: <errno text>" when it cannot be opened for reading; "" otherwise.
std::string Unreadable(const std::string& path) {
  if (access(path.c_str(), R_OK) == 0) return "";
  return path + " cannot be read: " + std::strerror(errno);
}

}  // namespace

std::string RedactUrl(std::string_view url) {
  const size_t scheme_end = url.find("://");
  const size_t start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  const size_t end = std::min(url.find('/', start), url.size());
  const size_t at = url.substr(0, end).rfind('@');
  if (at == std::string_view::npos || at < start) return std::string(url);
  const size_t colon = url.find(':', start);
  if (colon == std::string_view::npos || colon > at) {  // a token (or a user without password)
    return std::string(url.substr(0, start)) + "***" + std::string(url.substr(at));
  }
  return std::string(url.substr(0, colon + 1)) + "***" + std::string(url.substr(at));
}

std::string ServerList(const std::vector<std::string>& servers) {
  std::string out;
  for (const auto& s : servers) out += (out.empty() ? "" : ",") + RedactUrl(s);
  return out;
}

namespace {

bool HasBlankOrControl(std::string_view text) {
  for (unsigned char c : text) {
    if (c <= ' ' || c == 0x7f) return true;
  }
  return false;
}

// Writes `text` to a new file of mode 0600 in $TMPDIR (or /tmp) named
// wasmcloud-nats-XXXXXX<suffix>, and returns its path.
Result<std::string> WriteSecretFile(const std::string& text, const std::string& suffix) {
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::temp_directory_path(ec);
  if (ec) dir = "/tmp";
  std::string path = (dir / ("wasmcloud-nats-XXXXXX" + suffix)).string();
  const int fd = mkstemps(path.data(), static_cast<int>(suffix.size()));  // mode 0600
  if (fd < 0) return Internal("cannot create a NATS credentials file in " + dir.string());
  const bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  if (!written) {
    unlink(path.c_str());
    return Internal("cannot write the NATS credentials file " + path);
  }
  return path;
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
  std::string role;     // for log lines: which of the process's connections ("rpc"), or ""
  std::function<void(const NatsConnectionEvent&)> on_event;

  std::mutex mu;  // guards everything below, and on_event against Detach
  std::condition_variable changed;
  bool closing = false;    // Close() was called: the disconnect that follows is expected
  bool detached = false;   // no more on_event calls
  bool reporting = false;  // on_event runs, on thread `reporter`
  std::thread::id reporter;

  void Report(NatsConnectionEvent::Kind kind, std::string detail);
  // Returns once on_event is not running (unless this thread is running it) and will not
  // be called again.
  void Detach();

  static Callbacks& From(void* closure) { return **static_cast<Ref*>(closure); }
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

void NatsConnection::Callbacks::OnDisconnected(natsConnection*, void* closure) {
  Callbacks& c = From(closure);
  bool closing;
  {
    std::lock_guard<std::mutex> lock(c.mu);
    closing = c.closing;
  }
  Log(closing ? LogLevel::kDebug : LogLevel::kWarn, kLog,
      "disconnected from NATS (" + (c.role.empty() ? "" : c.role + " connection; ") + c.servers +
          ")");
  c.Report(NatsConnectionEvent::Kind::kDisconnected, c.servers);
}

void NatsConnection::Callbacks::OnReconnected(natsConnection* nc, void* closure) {
  char url[256] = {0};
  natsConnection_GetConnectedUrl(nc, url, sizeof url);
  Callbacks& c = From(closure);
  Log(LogLevel::kInfo, kLog,
      std::string("reconnected to NATS at ") + url +
          (c.role.empty() ? std::string() : " (" + c.role + " connection)"));
  c.Report(NatsConnectionEvent::Kind::kReconnected, url);
}

void NatsConnection::Callbacks::OnClosed(natsConnection* nc, void* closure) {
  Callbacks& c = From(closure);
  bool closing;
  {
    std::lock_guard<std::mutex> lock(c.mu);
    closing = c.closing;
  }
  std::string why;
  if (!closing) {
    // libnats gave up by itself: 3.4.1 does after the same authentication error twice in a
    // row on a reconnect (a server restarted with other accounts, credentials that expired),
    // whatever the reconnect settings.
    const char* last = nullptr;
    const natsStatus err = natsConnection_GetLastError(nc, &last);
    why = last != nullptr && *last != '\0' ? std::string(last) : natsStatus_GetText(err);
    if (why.empty() || err == NATS_OK) why = "libnats closed it";
    Log(LogLevel::kError, kLog,
        "the connection to NATS (" + c.servers + ") is closed and will not reconnect: " + why);
  }
  c.Report(NatsConnectionEvent::Kind::kClosed, why);
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
  callbacks_->servers = ServerList(options_.servers);
  // A host has two connections to one server (rpc, control), named "wasmcloud:<key>:rpc":
  // the lines say which ("rpc connection; nats://…").
  if (const size_t colon = options_.name.rfind(':');
      colon != std::string::npos && colon + 1 < options_.name.size()) {
    callbacks_->role = options_.name.substr(colon + 1);
  }
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

std::string NatsReason(int status) {
  std::string out = natsStatus_GetText(static_cast<natsStatus>(status));
  natsStatus last = NATS_OK;
  const char* text = nats_GetLastError(&last);
  if (text == nullptr || last != status) return out;
  std::string_view detail = text;
  // libnats prefixes where it failed: "(conn.c:2088): No server available for connection".
  if (detail.starts_with('(')) {
    if (const size_t end = detail.find("): "); end != std::string_view::npos) {
      detail.remove_prefix(end + 3);
    }
  }
  if (!detail.empty() && detail != out) out += " (" + std::string(detail) + ")";
  return out;
}

bool WantsTls(const NatsConnectionOptions& o) {
  if (o.tls || !o.tls_ca_file.empty() || !o.tls_ca_pem.empty() || !o.tls_cert_file.empty() ||
      !o.tls_key_file.empty()) {
    return true;
  }
  return std::any_of(o.servers.begin(), o.servers.end(),
                     [](const std::string& url) { return url.starts_with("tls://"); });
}

namespace {

// Turns TLS on in `opts` with the CA (or the system's) and the client certificate of `o`.
Status ApplyTls(natsOptions* opts, const NatsConnectionOptions& o) {
  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    return InvalidArgument(
        "NATS TLS: a client certificate needs its key, and a key its certificate (give both)");
  }
  natsStatus s = natsOptions_SetSecure(opts, true);
  if (s != NATS_OK) return InvalidArgument("NATS TLS: " + NatsReason(s));
  if (!o.tls_ca_pem.empty()) {
    s = natsOptions_SetCATrustedCertificates(opts, o.tls_ca_pem.c_str());
    if (s != NATS_OK) {
      return InvalidArgument("NATS TLS CA certificates given as text: " + NatsReason(s));
    }
  } else if (!o.tls_ca_file.empty()) {
    const std::string what = "NATS TLS CA file ";
    if (std::string unreadable = Unreadable(o.tls_ca_file); !unreadable.empty()) {
      return InvalidArgument(what + unreadable);
    }
    s = natsOptions_LoadCATrustedCertificates(opts, o.tls_ca_file.c_str());
    if (s != NATS_OK) return InvalidArgument(what + o.tls_ca_file + ": " + NatsReason(s));
  }
  // libnats 3.4.1 trusts OpenSSL's default CAs too (SSL_CTX_set_default_verify_paths:
  // SSL_CERT_FILE / SSL_CERT_DIR, else the system's), whatever is loaded above.
  if (o.tls_cert_file.empty()) return Status::Ok();
  for (const std::string* file : {&o.tls_cert_file, &o.tls_key_file}) {
    if (std::string unreadable = Unreadable(*file); !unreadable.empty()) {
      return InvalidArgument("NATS TLS client " +
                             std::string(file == &o.tls_cert_file ? "certificate " : "key ") +
                             unreadable);
    }
  }
  s = natsOptions_LoadCertificatesChain(opts, o.tls_cert_file.c_str(), o.tls_key_file.c_str());
  if (s != NATS_OK) {
    return InvalidArgument("NATS TLS client certificate " + o.tls_cert_file + " with key " +
                           o.tls_key_file + ": " + NatsReason(s));
  }
  return Status::Ok();
}

// Whether libnats' failure is the server closing the connection right after the TLS
// handshake: nats-server with --tlsverify does so when the client's certificate is
// missing or untrusted; with TLS 1.3 the client has finished its side by then, so libnats
// sees it as a missing PONG or as a failed write of its CONNECT. A server going down at
// that moment looks the same, so Connect tries again a few times before it believes it.
bool ClosedAfterHandshake(natsStatus s, bool tls) {
  return tls && (s == NATS_PROTOCOL_ERROR ||
                 (s == NATS_IO_ERROR && NatsReason(s).find("SSL_") != std::string::npos));
}

// A failed connect that TLS explains, final whatever the time left; OK when it is not
// one. Only certificate checks count: an SSL error such as an unexpected EOF or a reset
// (a server restarting, its handshake timeout under load) is tried again as usual.
Status TlsFailure(natsStatus s, bool tls, const NatsConnectionOptions& o, const std::string& where,
                  bool closed_for_good) {
  if (s == NATS_SSL_ERROR) {
    const std::string why = NatsReason(s);
    if (why.find("certificate") == std::string::npos && why.find("mismatch") == std::string::npos) {
      return Status::Ok();
    }
    if (!tls) {
      // The server asked for TLS; libnats upgraded by itself and could verify the
      // server's certificate with the system's CAs only.
      return FailedPrecondition("NATS at " + where +
                                " requires TLS, which was not asked for: " + why);
    }
    return FailedPrecondition("TLS with NATS at " + where + " failed: " + why);
  }
  if (s == NATS_SECURE_CONNECTION_WANTED) {
    return FailedPrecondition("NATS at " + where + " does not offer TLS");
  }
  if (closed_for_good && ClosedAfterHandshake(s, tls)) {
    return FailedPrecondition(
        "NATS at " + where +
        " closed the connection after the TLS handshake (does it require a client "
        "certificate" +
        (o.tls_cert_file.empty() ? "" : " that it trusts") + "?): " + NatsReason(s));
  }
  return Status::Ok();
}

// See its use in Connect.
constexpr int64_t kLibnatsLockSpinCount = 0;

// Set by the first Connect: CloseLibraryAtExit has nothing to wait for otherwise.
std::atomic<bool> g_library_used{false};

}  // namespace

void CloseLibraryAtExit(std::chrono::milliseconds timeout) {
  if (!g_library_used.load(std::memory_order_acquire)) return;
  FlushMessagesOfThisThread();
  g_library_closing.store(true, std::memory_order_release);
  const natsStatus s = nats_CloseAndWait(std::max<int64_t>(1, timeout.count()));
  if (s != NATS_OK) {
    Log(LogLevel::kDebug, kLog,
        std::string("libnats' threads did not all end before the exit: ") + natsStatus_GetText(s));
  }
}

Result<std::shared_ptr<NatsConnection>> NatsConnection::Connect(NatsConnectionOptions options) {
  if (options.servers.empty()) return InvalidArgument("no NATS server given");
  if (!options.callbacks && options.on_event) {
    return InvalidArgument("NATS connection options: on_event needs callbacks");
  }
  std::shared_ptr<NatsConnection> self(new NatsConnection(std::move(options)));
  const NatsConnectionOptions& o = self->options_;
  const std::string where = ServerList(o.servers);

  // The closure of the connection callbacks: libnats owns it once the connection exists
  // (Callbacks::OnClosed deletes it). None without callbacks.
  auto closure = o.callbacks ? std::make_unique<Callbacks::Ref>(self->callbacks_) : nullptr;
  // Before libnats' first use: how many times its mutexes spin (a trylock and a pause each)
  // before they block. Its default, 2000, is some 100 µs of spinning on a contended lock;
  // on a machine with fewer cores than busy threads the holder is often not running, and
  // nats_bench spent 9 % of the machine's CPU in that loop (docs/lattice.md).
  static const natsStatus opened = nats_Open(kLibnatsLockSpinCount);
  (void)opened;  // NATS_OK, or the library was opened before with another count: harmless
  g_library_used.store(true, std::memory_order_release);
  natsOptions* opts = nullptr;
  if (natsOptions_Create(&opts) != NATS_OK) return Internal("libnats: cannot make options");
  std::vector<const char*> servers;
  for (const auto& s : o.servers) servers.push_back(s.c_str());
  natsStatus s = natsOptions_SetServers(opts, servers.data(), static_cast<int>(servers.size()));
  if (s == NATS_OK && !o.name.empty()) s = natsOptions_SetName(opts, o.name.c_str());
  // One attempt may take this long; with callbacks, the whole of Connect is bounded
  // below. Without, there is one attempt per server.
  if (s == NATS_OK) {
    s = natsOptions_SetTimeout(opts, o.callbacks
                                         ? std::min<int64_t>(o.connect_timeout.count(), 2000)
                                         : o.connect_timeout.count());
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
  // A server that stops reading (stopped, or a network that drops packets) would otherwise
  // block a write for good, with libnats' connection lock held: every publish, request,
  // status query and the ping timer would wait behind it. Past the deadline libnats drops
  // the connection and reconnects.
  if (s == NATS_OK) s = natsOptions_SetWriteDeadline(opts, o.write_deadline.count());
  if (o.callbacks) {
    if (s == NATS_OK) {
      s = natsOptions_SetDisconnectedCB(opts, &Callbacks::OnDisconnected, closure.get());
    }
    if (s == NATS_OK) {
      s = natsOptions_SetReconnectedCB(opts, &Callbacks::OnReconnected, closure.get());
    }
    if (s == NATS_OK) s = natsOptions_SetClosedCB(opts, &Callbacks::OnClosed, closure.get());
    if (s == NATS_OK) s = natsOptions_SetErrorHandler(opts, &Callbacks::OnError, closure.get());
  }
  if (s == NATS_OK && !o.credentials_file.empty()) {
    s = natsOptions_SetUserCredentialsFromFiles(opts, o.credentials_file.c_str(), nullptr);
    if (s != NATS_OK) {
      natsOptions_Destroy(opts);
      return InvalidArgument("NATS credentials file " + o.credentials_file + ": " + NatsReason(s));
    }
  }
  if (s == NATS_OK && !o.seed.empty()) {
    auto key = crypto::KeyPair::FromSeed(o.seed);
    if (!key.ok()) {
      natsOptions_Destroy(opts);
      return InvalidArgument("NATS seed: " + key.status().message());
    }
    if (o.callbacks) {
      self->nkey_ = std::make_unique<crypto::KeyPair>(std::move(*key));
      if (!o.jwt.empty()) {
        s = natsOptions_SetUserCredentialsCallbacks(opts, &UserJwt, &self->options_.jwt, &SignNonce,
                                                    self->nkey_.get());
      } else {
        s = natsOptions_SetNKey(opts, self->nkey_->public_key_text().c_str(), &SignNonce,
                                self->nkey_.get());
      }
    } else {
      // Files libnats reads and signs with by itself (see NatsConnectionOptions::callbacks).
      if (!o.jwt.empty() && HasBlankOrControl(o.jwt)) {
        natsOptions_Destroy(opts);
        return InvalidArgument("NATS JWT: it contains a blank or a control character");
      }
      const std::string seed_section =
          "-----BEGIN USER NKEY SEED-----\n" + o.seed + "\n------END USER NKEY SEED------\n";
      auto file = o.jwt.empty()
                      ? WriteSecretFile(seed_section, ".nk")
                      : WriteSecretFile("-----BEGIN NATS USER JWT-----\n" + o.jwt +
                                            "\n------END NATS USER JWT------\n\n" + seed_section,
                                        ".creds");
      if (!file.ok()) {
        natsOptions_Destroy(opts);
        return file.status();
      }
      self->secret_file_ = *file;  // removed by the destructor, also when Connect fails
      s = o.jwt.empty()
              ? natsOptions_SetNKeyFromSeed(opts, key->public_key_text().c_str(),
                                            self->secret_file_.c_str())
              : natsOptions_SetUserCredentialsFromFiles(opts, self->secret_file_.c_str(), nullptr);
    }
  }
  if (s != NATS_OK) {
    const std::string why = NatsReason(s);
    natsOptions_Destroy(opts);
    return InvalidArgument("NATS options: " + why);
  }
  const bool tls = WantsTls(o);
  if (tls) {
    if (Status applied = ApplyTls(opts, o); !applied.ok()) {
      natsOptions_Destroy(opts);
      return applied;
    }
  }
  // The first connect is this loop's, not libnats' retry-on-failed-connect: after a
  // server refused the credentials, libnats 3.4.1's retry thread finds no current server
  // and closes the connection without a word, so a refusal read as a timeout. Each pass
  // tries every server once. Not reachable: with callbacks, passes go on until
  // connect_timeout (the server may be starting); without, the first pass decides.
  //
  // Refused credentials are final, except that libnats 3.4.1 leaves the nonce's signature
  // out of CONNECT when its first byte is 0 (its base64 encoder stops at a 0 byte; fixed
  // in 3.8.0, nats-io/nats.c#705), so a server refuses 1 in 256 attempts that sign with
  // an nkey. The nonce is new on each attempt: signing credentials get up to
  // kSignedConnectAttempts (a wrong one is refused that many times, a few round trips).
  // Reconnects need no help: libnats gives up on a server only after the same refusal
  // twice in a row, and tries again with a new nonce otherwise.
  const bool signs = !o.seed.empty() || !o.credentials_file.empty();
  const auto deadline = std::chrono::steady_clock::now() + o.connect_timeout;
  int refusals = 0;
  int closed_after_handshake = 0;  // in a row (see ClosedAfterHandshake)
  for (;;) {
    if (o.callbacks) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      natsOptions_SetTimeout(opts, std::clamp<int64_t>(left.count(), 1, 2000));
    }
    s = natsConnection_Connect(&self->connection_, opts);
    if (s == NATS_OK) break;
    // A failed connect made no callback and will make none, and left no connection.
    if (self->connection_ != nullptr) {
      natsConnection_Destroy(self->connection_);
      self->connection_ = nullptr;
    }
    if (s == NATS_CONNECTION_AUTH_FAILED && signs && ++refusals < kSignedConnectAttempts) {
      continue;
    }
    if (s == NATS_CONNECTION_AUTH_FAILED || s == NATS_NOT_PERMITTED) {
      const std::string why = NatsReason(s);
      natsOptions_Destroy(opts);
      return Unauthenticated("NATS at " + where + " refused the credentials: " + why);
    }
    const auto now = std::chrono::steady_clock::now();
    const bool last = !o.callbacks || now >= deadline;
    closed_after_handshake = ClosedAfterHandshake(s, tls) ? closed_after_handshake + 1 : 0;
    const bool closed_for_good = last || closed_after_handshake >= kClosedAfterHandshakeAttempts;
    if (Status failed = TlsFailure(s, tls, o, where, closed_for_good); !failed.ok()) {
      natsOptions_Destroy(opts);
      return failed;
    }
    if (last) {
      const std::string why = NatsReason(s);
      natsOptions_Destroy(opts);
      const std::string within =
          o.callbacks ? " within " + std::to_string(o.connect_timeout.count()) + " ms" : "";
      return Unavailable("cannot connect to NATS at " + where + within + ": " + why);
    }
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(o.reconnect_wait, deadline - now));
  }
  natsOptions_Destroy(opts);
  static_cast<void>(closure.release());  // libnats' now: its closed callback frees it
  if (o.callbacks) {
    Log(LogLevel::kInfo, kLog, "connected to " + where + (o.name.empty() ? "" : " as " + o.name));
  }
  return self;
}

NatsConnection::~NatsConnection() {
  Close();
  callbacks_->Detach();
  if (connection_ != nullptr) natsConnection_Destroy(connection_);
  if (!secret_file_.empty()) unlink(secret_file_.c_str());
}

bool NatsConnection::reconnecting() const {
  return connection_ != nullptr &&
         natsConnection_Status(connection_) == NATS_CONN_STATUS_RECONNECTING;
}

bool NatsConnection::connected() const {
  return connection_ != nullptr && natsConnection_Status(connection_) == NATS_CONN_STATUS_CONNECTED;
}

NatsConnection::Stats NatsConnection::stats() const {
  Stats out;
  if (connection_ == nullptr) return out;
  natsStatistics* s = nullptr;
  if (natsStatistics_Create(&s) != NATS_OK) return out;
  if (natsConnection_GetStats(connection_, s) == NATS_OK) {
    natsStatistics_GetCounts(s, &out.in_msgs, &out.in_bytes, &out.out_msgs, &out.out_bytes,
                             &out.reconnects);
  }
  natsStatistics_Destroy(s);
  return out;
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
