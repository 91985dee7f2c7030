// `wasmcloud ctl`: a lattice client speaking the v1 control dialect (docs/control-v1.md)
// to whatever hosts share a NATS server: the local lattice `up` started (found through
// the local lattice file), or any lattice with --rpc-host. docs/cli.md#wasmcloud-ctl.
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "cli/commands.h"
#include "cli/io.h"
#include "cli/local_lattice.h"
#include "core/bytes.h"
#include "core/log.h"
#include "core/text.h"
#include "core/utf8.h"
#include "crypto/claims.h"
#include "crypto/nkeys.h"
#include "lattice/control_json.h"
#include "lattice/entity.h"
#include "lattice/invocation.h"
#include "lattice/subjects.h"
#include "nats/nats_connection.h"
#include "nats/nats_transport.h"
#include "wire/http.h"

namespace wasmcloud::cli {
namespace {

using Json = nlohmann::ordered_json;
namespace v1 = lattice::control_json::v1;

// The options every ctl command takes.
struct CtlOptions {
  std::string rpc_host;
  uint16_t rpc_port = 4222;
  std::string nsprefix;
  std::string credsfile, jwt, seed;
  bool tls = false;
  std::string tls_ca_file, tls_cert_file, tls_key_file;
  int64_t timeout_ms = 0;  // 0: not given (2000 ms; kCallTimeoutMs for `call`)
  std::string format = "text";

  void Register(CLI::App& cmd) {
    cmd.add_option("--rpc-host", rpc_host,
                   "NATS server of the lattice; default: the local lattice `up` started")
        ->envname("RPC_HOST");
    cmd.add_option("--rpc-port", rpc_port, "port of that server; default 4222")
        ->envname("RPC_PORT");
    cmd.add_option("-x,--nsprefix", nsprefix,
                   "lattice name; default: the local lattice's, or default")
        ->envname("WASMCLOUD_LATTICE_PREFIX");
    cmd.add_option("--rpc-credsfile", credsfile, "NATS .creds file")->envname("RPC_CREDS");
    cmd.add_option("--rpc-jwt", jwt, "user JWT (or a file holding it), with --rpc-seed")
        ->envname("RPC_JWT");
    cmd.add_option("--rpc-seed", seed, "nkey seed (or a file holding it)")->envname("RPC_SEED");
    cmd.add_flag("--rpc-tls", tls, "connect with TLS (on with any --rpc-tls-*-file too)")
        ->envname("WASMCLOUD_RPC_TLS");
    cmd.add_option("--rpc-tls-ca-file", tls_ca_file,
                   "PEM CA certificates trusted for the server, besides the system's")
        ->envname("WASMCLOUD_RPC_TLS_CA_FILE");
    cmd.add_option("--rpc-tls-cert-file", tls_cert_file,
                   "PEM client certificate, for a server that asks for one")
        ->envname("WASMCLOUD_RPC_TLS_CERT_FILE");
    cmd.add_option("--rpc-tls-key-file", tls_key_file, "PEM key of --rpc-tls-cert-file")
        ->envname("WASMCLOUD_RPC_TLS_KEY_FILE");
    cmd.add_option("--timeout-ms", timeout_ms,
                   "how long to wait for an answer (get hosts, auctions: to collect answers); "
                   "default 2000, for call 12000")
        ->check(CLI::Range(int64_t{1}, int64_t{3600000}));
    AddFormatOption(cmd, &format);
  }
  bool json() const { return format == "json"; }
  std::chrono::milliseconds timeout() const {
    return std::chrono::milliseconds(timeout_ms > 0 ? timeout_ms : 2000);
  }
};

// `ctl call` waits longer by default: the actor's call may take the host's call deadline
// (10 s by default), and a failure of a call it makes to another host arrives only after
// that host's RPC timeout (2 s): with 2 s here, that answer came just too late to show.
constexpr int64_t kCallTimeoutMs = 12000;

// A failure with the exit code it deserves: 1 the operation failed, 2 bad input.
struct Failure {
  int code;
  std::string message;
};

// The connection to a lattice.
class Lattice {
 public:
  static std::variant<std::unique_ptr<Lattice>, Failure> Connect(const CtlOptions& o) {
    auto l = std::unique_ptr<Lattice>(new Lattice(o));
    nats::NatsConnectionOptions c;
    c.tls = o.tls;
    c.tls_ca_file = o.tls_ca_file;
    c.tls_cert_file = o.tls_cert_file;
    c.tls_key_file = o.tls_key_file;
    std::string url;
    std::string stale_hint;  // when the local lattice file named a server that is gone
    bool gone = false;       // and the process it names no longer exists
    if (!o.rpc_host.empty()) {
      url = (nats::WantsTls(c) ? "tls://" : "nats://") + o.rpc_host + ":" +
            std::to_string(o.rpc_port);
      l->ns_ = o.nsprefix.empty() ? std::string(lattice::kDefaultLattice) : o.nsprefix;
    } else {
      auto local = ReadLocalLatticeFile(LocalLatticeFilePath());
      if (!local.ok()) return Failure{1, local.status().message()};
      url = local->url;
      l->ns_ = o.nsprefix.empty() ? local->lattice : o.nsprefix;
      // Its `up` gone (killed, the machine restarted) is said after a short try, not the
      // whole connect timeout. Only a short try: that `up` may run in another PID
      // namespace (a container sharing the runtime directory) and answer all the same.
      gone = local->pid > 0 && ::kill(local->pid, 0) != 0 && errno == ESRCH;
      stale_hint = " (the local lattice file " + LocalLatticeFilePath() +
                   " names `wasmcloud up` process " + std::to_string(local->pid) +
                   (gone ? ", which is not running: start `wasmcloud up` again, it replaces "
                           "the file)"
                         : ": is it still running?)");
    }
    if (Status s = lattice::ValidateLatticeName(l->ns_); !s.ok()) {
      return Failure{2, "--nsprefix: " + s.message()};
    }
    c.servers = {url};
    c.name = "wasmcloud-ctl";
    // ctl logs at warn and above, so the "disconnected" line of an outage would stand
    // alone (a `ctl watch events` seemed dead): the reconnection is said at the same level.
    c.on_event = [](const nats::NatsConnectionEvent& e) {
      if (e.kind == nats::NatsConnectionEvent::Kind::kReconnected) {
        Log(LogLevel::kWarn, "nats", "reconnected to NATS at " + e.detail);
      }
    };
    c.connect_timeout = gone ? std::chrono::milliseconds(500) : std::chrono::milliseconds(5000);
    c.credentials_file = o.credsfile;
    if (!o.jwt.empty() && o.seed.empty()) {
      return Failure{2, "--rpc-jwt needs --rpc-seed (the seed that signs for the JWT's user)"};
    }
    if (!o.seed.empty()) {
      auto seed = ValueOrFile(o.seed, "--rpc-seed");
      if (!seed.ok()) return Failure{2, seed.status().message()};
      c.seed = *seed;
    }
    if (!o.jwt.empty()) {
      auto jwt = ValueOrFile(o.jwt, "--rpc-jwt");
      if (!jwt.ok()) return Failure{2, jwt.status().message()};
      c.jwt = *jwt;
    }
    auto conn = nats::NatsConnection::Connect(c);
    if (!conn.ok() && conn.status().code() == Code::kInvalidArgument) {
      return Failure{2, conn.status().message()};  // e.g. an unreadable TLS file
    }
    if (!conn.ok()) {
      return Failure{1, "cannot reach lattice " + l->ns_ + " at " + url + ": " +
                            conn.status().message() + stale_hint};
    }
    l->transport_ = std::make_shared<nats::NatsTransport>(*conn);
    l->url_ = url;
    return l;
  }

  const std::string& ns() const { return ns_; }
  lattice::Transport& transport() { return *transport_; }

  // One request on a v1 subject; the envelope's response (null when none), or why not.
  std::variant<Json, Failure> Request(const std::string& suffix, const Json& body) {
    const std::string subject = v1::Subject(ns_, suffix);
    const std::string text = body.is_null() ? std::string() : body.dump();
    auto reply = transport_->Request(subject, AsBytes(text), options_.timeout());
    if (!reply.ok()) {
      if (lattice::IsNoResponders(reply.status())) {
        return Failure{1, "no host of lattice " + ns_ + " on " + url_ +
                              " answers (is a host running? `wasmcloud up` starts one; "
                              "right after a restart of the NATS server, hosts answer again "
                              "once they have reconnected, within a second or two)"};
      }
      if (reply.status().code() == Code::kDeadlineExceeded) {
        return Failure{1, "no answer to " + subject + " within " +
                              std::to_string(options_.timeout().count()) +
                              " ms (is that host running? `wasmcloud ctl get hosts`)"};
      }
      return Failure{1, "cannot send " + subject + ": " + reply.status().message()};
    }
    return Unwrap(subject, reply->data);
  }

  // A scatter-gather: every answer received within the timeout (envelopes unwrapped;
  // failures skipped).
  std::variant<std::vector<Json>, Failure> Gather(const std::string& suffix, const Json& body) {
    // At most 10,000 answers and 64 MiB of them (a hostile responder could send up to
    // max_payload each); beyond, answers are dropped and that is said.
    constexpr size_t kMaxReplies = 10000;
    constexpr size_t kMaxBytes = size_t{64} << 20;
    struct Box {
      std::mutex mu;
      std::vector<Bytes> replies;
      size_t bytes = 0;
      size_t dropped = 0;
    };
    auto box = std::make_shared<Box>();
    const std::string inbox = "_INBOX.ctl." + crypto::NewUuidV4();
    auto sub = transport_->Subscribe(inbox, "", [box](lattice::Message m) {
      std::lock_guard lock(box->mu);
      if (box->replies.size() >= kMaxReplies || box->bytes + m.data.size() > kMaxBytes) {
        ++box->dropped;
        return;
      }
      box->bytes += m.data.size();
      box->replies.push_back(std::move(m.data));
    });
    if (!sub.ok()) return Failure{1, "cannot subscribe: " + sub.status().message()};
    if (Status s = transport_->Flush(options_.timeout()); !s.ok()) {
      return Failure{1, "lattice " + ns_ + " on " + url_ + ": " + s.message()};
    }
    const std::string subject = v1::Subject(ns_, suffix);
    const std::string text = body.is_null() ? std::string() : body.dump();
    if (Status s = transport_->Publish(subject, AsBytes(text), inbox); !s.ok()) {
      return Failure{1, "cannot send " + subject + ": " + s.message()};
    }
    std::this_thread::sleep_for(options_.timeout());  // the collection window
    sub->reset();
    std::vector<Json> out;
    std::lock_guard lock(box->mu);
    if (box->dropped > 0) {
      Log(LogLevel::kWarn, "ctl",
          "dropped " + std::to_string(box->dropped) + " answers to " + subject +
              " beyond the first " + std::to_string(box->replies.size()) + " (" +
              std::to_string(box->bytes) + " bytes)");
    }
    // An answer that is a failure (or not a v1 reply) is not listed; it is said, so that
    // a host that answered is not taken for one that is not there.
    size_t failed = 0;
    std::string first_failure;
    for (const Bytes& b : box->replies) {
      auto r = Unwrap(subject, b);
      if (auto* j = std::get_if<Json>(&r)) {
        out.push_back(std::move(*j));
      } else if (failed++ == 0) {
        first_failure = std::get<Failure>(r).message;
      }
    }
    if (failed > 0) {
      Log(LogLevel::kWarn, "ctl",
          std::to_string(failed) + " answer(s) to " + subject +
              " were failures and are not listed; the first: " +
              EscapeLogText(first_failure, 1024));
    }
    return out;
  }

  // Events of this lattice, received from Watch() on.
  void Watch() {
    auto sub =
        transport_->Subscribe(lattice::EventSubject(ns_, ">"), "", [this](lattice::Message m) {
          Json e = Json::parse(m.data.begin(), m.data.end(), nullptr,
                               /*allow_exceptions=*/false);
          if (e.is_discarded() || !e.is_object()) return;
          {
            std::lock_guard lock(events_mu_);
            events_.push_back(std::move(e));
          }
          events_cv_.notify_all();
        });
    if (sub.ok()) events_sub_ = std::move(*sub);
    (void)transport_->Flush(options_.timeout());
  }
  // The next event, or nullopt after `timeout` (forever when negative).
  std::optional<Json> NextEvent(std::chrono::milliseconds timeout) {
    std::unique_lock lock(events_mu_);
    auto ready = [&] { return !events_.empty(); };
    if (timeout.count() < 0) {
      events_cv_.wait(lock, ready);
    } else if (!events_cv_.wait_for(lock, timeout, ready)) {
      return std::nullopt;
    }
    Json e = std::move(events_.front());
    events_.pop_front();
    return e;
  }

 private:
  explicit Lattice(const CtlOptions& o) : options_(o) {}

  static std::variant<Json, Failure> Unwrap(const std::string& subject, const Bytes& data) {
    Json j = Json::parse(data.begin(), data.end(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object() || !j.contains("success")) {
      return Failure{1, "the answer to " + subject + " is not a v1 control reply"};
    }
    if (!j["success"].is_boolean() || !j["success"].get<bool>()) {
      auto m = j.find("message");
      std::string message = m != j.end() && m->is_string() ? m->get<std::string>() : "failed";
      return Failure{1, message.empty() ? std::string("failed") : message};
    }
    return j.contains("response") ? j["response"] : Json();
  }

  const CtlOptions& options_;
  std::string ns_, url_;
  std::shared_ptr<nats::NatsTransport> transport_;
  std::mutex events_mu_;
  std::condition_variable events_cv_;
  std::deque<Json> events_;
  // Last: destroyed first, so that its handler (which uses the three above) has ended.
  std::unique_ptr<lattice::Subscription> events_sub_;
};

// --- output ---

std::string Str(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::string LabelsText(const Json& labels) {
  std::string out;
  if (!labels.is_object()) return out;
  for (const auto& [k, v] : labels.items()) {
    if (!out.empty()) out += ',';
    out += k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
  }
  return out;
}

std::string Duration(uint64_t seconds) {
  std::string out;
  if (seconds >= 86400) out += std::to_string(seconds / 86400) + "d ";
  if (seconds >= 3600) out += std::to_string(seconds / 3600 % 24) + "h ";
  if (seconds >= 60) out += std::to_string(seconds / 60 % 60) + "m ";
  return out + std::to_string(seconds % 60) + "s";
}

// A table with a header, columns as wide as their widest cell, two spaces apart. Cells
// come from the lattice (labels, names, errors of other hosts): each is escaped to one
// printable line, so that none can forge a line or drive the terminal.
void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& raw_rows) {
  std::vector<std::vector<std::string>> rows;
  rows.reserve(raw_rows.size());
  for (const auto& r : raw_rows) {
    std::vector<std::string>& row = rows.emplace_back();
    for (const auto& cell : r) {
      row.emplace_back();
      AppendEscaped(row.back(), cell);
    }
  }
  std::vector<size_t> width(header.size());
  for (size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], r[i].size());
    }
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < cells.size(); ++i) {
      out += cells[i];
      if (i + 1 < cells.size()) out += std::string(width[i] - cells[i].size() + 2, ' ');
    }
    std::cout << out << "\n";
  };
  line(header);
  for (const auto& r : rows) line(r);
}

void PrintJson(const Json& j) {
  std::cout << j.dump(-1, ' ', false, Json::error_handler_t::replace) << "\n";
}

// What a command prints when it succeeded: `text`, or {"success":true,...} for -o json.
void PrintDone(const CtlOptions& o, const std::string& text, Json extra = Json::object()) {
  if (o.json()) {
    Json j;
    j["success"] = true;
    j["message"] = text;
    for (auto& [k, v] : extra.items()) j[k] = v;
    PrintJson(j);
  } else {
    std::cout << text << "\n";
  }
}

// Runs `body` with a connected lattice; prints a failure (text, or JSON with -o json) and
// returns its exit code.
int WithLattice(const CtlOptions& o, const std::function<std::optional<Failure>(Lattice&)>& body) {
  auto connected = Lattice::Connect(o);
  std::optional<Failure> failed;
  if (auto* f = std::get_if<Failure>(&connected)) {
    failed = *f;
  } else {
    try {
      failed = body(*std::get<std::unique_ptr<Lattice>>(connected));
    } catch (const Json::exception& e) {
      // An answer with a member of another type than a v1 reply's (the lattice's words:
      // anyone who may publish there): a failure that says so, not an abort.
      failed = Failure{1, std::string("an answer from the lattice is not a v1 reply: ") + e.what()};
    }
  }
  if (!failed) return 0;
  if (o.json()) PrintCtlJsonFailure(failed->message);
  PrintError("ctl", failed->message);
  return failed->code;
}

// Waits for the event that ends operation `op`: one of `done` (success) or `failed`.
std::optional<Failure> AwaitOutcome(Lattice& l, const std::string& op,
                                    const std::vector<std::string>& done,
                                    const std::vector<std::string>& failed, int64_t wait_ms,
                                    Json* event_out) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return Failure{1, "accepted (operation " + op + "), but no outcome within " +
                            std::to_string(wait_ms) +
                            " ms; `wasmcloud ctl watch events` shows what happens"};
    }
    auto e = l.NextEvent(left);
    if (!e) continue;
    const Json& data = (*e)["data"];
    if (!data.is_object() || Str(data, "operation_id") != op) continue;
    std::string type = Str(*e, "type");
    constexpr std::string_view kPrefix = "com.wasmcloud.lattice.";
    if (type.starts_with(kPrefix)) type = type.substr(kPrefix.size());
    if (std::find(failed.begin(), failed.end(), type) != failed.end()) {
      return Failure{1, Str(data, "error")};
    }
    if (std::find(done.begin(), done.end(), type) != done.end()) {
      if (event_out) *event_out = *e;
      return std::nullopt;
    }
  }
}

// The host that runs a start: --host, else the first to answer the auction.
std::variant<std::string, Failure> PickHost(Lattice& l, const std::string& host,
                                            const std::string& auction, const Json& request) {
  if (!host.empty()) return host;
  auto answers = l.Gather(auction, request);
  if (auto* f = std::get_if<Failure>(&answers)) return *f;
  for (const Json& a : std::get<std::vector<Json>>(answers)) {
    if (std::string h = Str(a, "host_id"); !h.empty()) return h;
  }
  return Failure{1, "no host of lattice " + l.ns() + " can take it (" + auction +
                        ": no host whose labels match the constraints and that does not run "
                        "it already)"};
}

Result<std::map<std::string, std::string>> ParsePairs(const std::vector<std::string>& pairs,
                                                      std::string_view what) {
  std::map<std::string, std::string> out;
  for (const std::string& p : pairs) {
    size_t eq = p.find('=');
    if (eq == std::string::npos || eq == 0) {
      return InvalidArgument(std::string(what) + " \"" + p + "\" is not KEY=VALUE");
    }
    out[p.substr(0, eq)] = p.substr(eq + 1);
  }
  return out;
}

// Bytes as JSON: a string when they are UTF-8, else {"hex": …}.
Json BytesJson(ByteView b) {
  std::string_view text(reinterpret_cast<const char*>(b.data()), b.size());
  if (IsValidUtf8(text)) return std::string(text);
  Json j;
  j["hex"] = HexEncode(b);
  return j;
}

// msgpack binary values made readable (recursively).
Json Readable(const Json& j) {
  if (j.is_binary()) return BytesJson(ByteView(j.get_binary().data(), j.get_binary().size()));
  if (j.is_array()) {
    Json out = Json::array();
    for (const auto& v : j) out.push_back(Readable(v));
    return out;
  }
  if (j.is_object()) {
    Json out = Json::object();
    for (const auto& [k, v] : j.items()) out[k] = Readable(v);
    return out;
  }
  return j;
}

// ctl call's payload: JSON turned into msgpack (an httpserver Request for HandleRequest),
// or raw bytes from --data-hex / --data-file.
Result<Bytes> CallPayload(const std::string& operation, const std::optional<std::string>& json,
                          const PayloadOptions& raw) {
  if (!json) return raw.Resolve();
  Json j = Json::parse(*json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgument("--data is not JSON (--data-hex sends raw bytes)");
  if (operation == "HandleRequest") {
    if (!j.is_object()) return InvalidArgument("--data: an HTTP request is a JSON object");
    // A member of another type is refused, not dropped or guessed at.
    auto text = [&](const char* name, std::string fallback) -> Result<std::string> {
      auto it = j.find(name);
      if (it == j.end()) return fallback;
      if (!it->is_string()) {
        return InvalidArgument(std::string("--data: \"") + name + "\" must be a string, not " +
                               it->type_name());
      }
      return it->get<std::string>();
    };
    wire::HttpRequest r;
    WC_ASSIGN_OR_RETURN(r.method, text("method", "GET"));
    WC_ASSIGN_OR_RETURN(r.path, text("path", "/"));
    WC_ASSIGN_OR_RETURN(std::string query_string, text("query_string", ""));
    WC_ASSIGN_OR_RETURN(r.query_string, text("queryString", query_string));
    if (auto h = j.find("header"); h != j.end()) {
      if (!h->is_object()) {
        return InvalidArgument(
            std::string("--data: \"header\" must be an object of strings, not ") + h->type_name());
      }
      for (const auto& [k, v] : h->items()) {
        if (!v.is_string()) {
          return InvalidArgument("--data: header \"" + k + "\" must be a string, not " +
                                 v.type_name());
        }
        r.header[k] = v.get<std::string>();
      }
    }
    if (auto b = j.find("body"); b != j.end()) {
      std::string body = b->is_string() ? b->get<std::string>() : b->dump();
      r.body = ToBytes(body);
    }
    return wire::Encode(r);
  }
  std::vector<uint8_t> packed = Json::to_msgpack(j);
  return Bytes(packed.begin(), packed.end());
}

Json CallReplyJson(const std::string& operation, ByteView reply) {
  if (operation == "HandleRequest") {
    if (auto r = wire::DecodeHttpResponse(reply); r.ok()) {
      Json j;
      j["statusCode"] = r->status_code;
      j["status"] = r->status;
      Json h = Json::object();
      for (const auto& [k, v] : r->header) h[k] = v;
      j["header"] = std::move(h);
      j["body"] = BytesJson(r->body);
      return j;
    }
  }
  Json j = Json::from_msgpack(reply.begin(), reply.end(), /*strict=*/true,
                              /*allow_exceptions=*/false);
  if (!j.is_discarded()) return Readable(j);
  return BytesJson(reply);
}

// --- the commands ---

struct Args {
  CtlOptions o;
  std::string host, actor, provider, contract, ref, link_name = "default", key, value, operation;
  std::string password;
  std::vector<std::string> pairs;
  std::vector<std::string> constraints;
  std::optional<std::string> data_json;
  PayloadOptions raw;
  int64_t wait_ms = 60000;
  bool no_wait = false;
  int64_t count = 0;
};

std::optional<Failure> Fail(const Status& s, int code = 1) { return Failure{code, s.message()}; }

std::optional<Failure> GetHosts(Lattice& l, const Args& a) {
  auto hosts = l.Gather("host.ping", Json());
  if (auto* f = std::get_if<Failure>(&hosts)) return *f;
  auto& list = std::get<std::vector<Json>>(hosts);
  std::sort(list.begin(), list.end(),
            [](const Json& x, const Json& y) { return Str(x, "id") < Str(y, "id"); });
  if (a.o.json()) {
    PrintJson(Json(list));
    return std::nullopt;
  }
  std::vector<std::vector<std::string>> rows;
  for (const Json& h : list) {
    auto up = h.find("uptime_seconds");
    const uint64_t uptime = up != h.end() && up->is_number_unsigned() ? up->get<uint64_t>() : 0;
    rows.push_back({Str(h, "id"), Duration(uptime), Str(h, "version"),
                    LabelsText(h.value("labels", Json::object()))});
  }
  PrintTable({"HOST ID", "UPTIME", "VERSION", "LABELS"}, rows);
  if (list.empty()) std::cout << "(no host of lattice " << l.ns() << " answered)\n";
  return std::nullopt;
}

std::optional<Failure> GetInventory(Lattice& l, const Args& a) {
  std::vector<std::string> hosts;
  if (!a.host.empty()) {
    hosts.push_back(a.host);
  } else {
    auto pinged = l.Gather("host.ping", Json());
    if (auto* f = std::get_if<Failure>(&pinged)) return *f;
    for (const Json& h : std::get<std::vector<Json>>(pinged)) hosts.push_back(Str(h, "id"));
    std::sort(hosts.begin(), hosts.end());
  }
  Json all = Json::array();
  for (const std::string& h : hosts) {
    auto inv = l.Request("host.get." + h, Json());
    if (auto* f = std::get_if<Failure>(&inv)) return *f;
    all.push_back(std::get<Json>(inv));
  }
  if (a.o.json()) {
    PrintJson(a.host.empty() ? all : all[0]);
    return std::nullopt;
  }
  bool first = true;
  for (const Json& inv : all) {
    if (!first) std::cout << "\n";
    first = false;
    std::cout << "Host " << EscapeLogText(Str(inv, "host_id"), 256) << " ("
              << EscapeLogText(LabelsText(inv["labels"])) << ")\n";
    std::vector<std::vector<std::string>> actors, providers;
    const Json actor_list = inv.value("actors", Json::array());
    const Json provider_list = inv.value("providers", Json::array());
    for (const Json& x : actor_list) {
      actors.push_back({Str(x, "id"), Str(x, "name"), Str(x, "image_ref"), Str(x, "revision")});
    }
    for (const Json& x : provider_list) {
      std::string health = Str(x, "health");
      if (health == "unhealthy") health += ": " + Str(x, "health_message");
      providers.push_back({Str(x, "id"), Str(x, "link_name"), Str(x, "contract_id"), Str(x, "name"),
                           Str(x, "image_ref"), health});
    }
    if (actors.empty()) {
      std::cout << "  no actors\n";
    } else {
      PrintTable({"ACTOR ID", "NAME", "IMAGE REF", "REVISION"}, actors);
    }
    std::vector<std::vector<std::string>> failed;
    const Json failed_list = inv.value("failed_links", Json::array());
    for (const Json& x : failed_list) {
      failed.push_back({Str(x, "actor_id"), Str(x, "provider_id"), Str(x, "contract_id"),
                        Str(x, "link_name"), Str(x, "error")});
    }
    if (providers.empty()) {
      std::cout << "  no providers\n";
    } else {
      PrintTable({"PROVIDER ID", "LINK NAME", "CONTRACT ID", "NAME", "IMAGE REF", "HEALTH"},
                 providers);
    }
    if (!failed.empty()) {
      PrintTable({"FAILED LINK: ACTOR ID", "PROVIDER ID", "CONTRACT ID", "LINK NAME", "ERROR"},
                 failed);
    }
  }
  if (all.empty()) std::cout << "(no host of lattice " << l.ns() << " answered)\n";
  return std::nullopt;
}

std::optional<Failure> GetLinks(Lattice& l, const Args& a) {
  auto links = l.Request("link.get", Json());
  if (auto* f = std::get_if<Failure>(&links)) return *f;
  const Json& list = std::get<Json>(links);
  if (a.o.json()) {
    PrintJson(list.is_array() ? list : Json::array());
    return std::nullopt;
  }
  std::vector<std::vector<std::string>> rows;
  for (const Json& x : list) {
    std::string values;
    const Json link_values = x.value("values", Json::object());
    for (const auto& [k, v] : link_values.items()) {
      if (!values.empty()) values += ',';
      values += k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
    }
    rows.push_back({Str(x, "actor_id"), Str(x, "provider_id"), Str(x, "contract_id"),
                    Str(x, "link_name"), values});
  }
  if (rows.empty()) {
    std::cout << "no links in lattice " << l.ns() << "\n";
  } else {
    PrintTable({"ACTOR ID", "PROVIDER ID", "CONTRACT ID", "LINK NAME", "VALUES"}, rows);
  }
  return std::nullopt;
}

std::optional<Failure> GetClaims(Lattice& l, const Args& a) {
  auto claims = l.Request("claims.get", Json());
  if (auto* f = std::get_if<Failure>(&claims)) return *f;
  const Json& list = std::get<Json>(claims);
  if (a.o.json()) {
    PrintJson(list.is_array() ? list : Json::array());
    return std::nullopt;
  }
  std::vector<std::vector<std::string>> rows;
  for (const Json& x : list) {
    rows.push_back({Str(x, "sub"), Str(x, "name"), Str(x, "iss"), Str(x, "caps"), Str(x, "version"),
                    Str(x, "rev"), Str(x, "call_alias")});
  }
  if (rows.empty()) {
    std::cout << "no actor claims in lattice " << l.ns() << "\n";
  } else {
    PrintTable({"ACTOR ID", "NAME", "ISSUER", "CAPABILITIES", "VERSION", "REVISION", "CALL ALIAS"},
               rows);
  }
  return std::nullopt;
}

// Sends an accepted-then-run command to `host` and waits for its outcome event.
std::optional<Failure> RunAndAwait(Lattice& l, const Args& a, const std::string& suffix,
                                   const Json& body, const std::vector<std::string>& done,
                                   const std::vector<std::string>& failed,
                                   const std::string& what) {
  if (!a.no_wait) l.Watch();  // before the command: its events cannot be missed
  auto reply = l.Request(suffix, body);
  if (auto* f = std::get_if<Failure>(&reply)) return *f;
  const std::string op = Str(std::get<Json>(reply), "operation_id");
  if (a.no_wait) {
    PrintDone(a.o, what + ": accepted (operation " + op + ")", {{"operation_id", op}});
    return std::nullopt;
  }
  Json event;
  if (auto f = AwaitOutcome(l, op, done, failed, a.wait_ms, &event)) {
    f->message = what + ": " + f->message;
    return f;
  }
  PrintDone(a.o, what + ": done (operation " + op + ")",
            {{"operation_id", op}, {"event", event.value("data", Json::object())}});
  return std::nullopt;
}

// Sends a command that is done when answered: says `done` when it is, "cannot <what>:
// <reason>" when it is not.
std::optional<Failure> RunNow(Lattice& l, const Args& a, const std::string& suffix,
                              const Json& body, const std::string& what, const std::string& done) {
  auto reply = l.Request(suffix, body);
  if (auto* f = std::get_if<Failure>(&reply)) {
    f->message = "cannot " + what + ": " + f->message;
    return *f;
  }
  const std::string op = Str(std::get<Json>(reply), "operation_id");
  PrintDone(a.o, done + " (operation " + op + ")", {{"operation_id", op}});
  return std::nullopt;
}

std::optional<Failure> StartActor(Lattice& l, const Args& a) {
  auto constraints = ParsePairs(a.constraints, "--constraint");
  if (!constraints.ok()) return Fail(constraints.status(), 2);
  Json auction;
  auction["actor_ref"] = a.ref;
  auction["constraints"] = *constraints;
  auto host = PickHost(l, a.host, "actor.auction", auction);
  if (auto* f = std::get_if<Failure>(&host)) return *f;
  const std::string& h = std::get<std::string>(host);
  Json body;
  body["actor_ref"] = a.ref;
  body["host_id"] = h;
  return RunAndAwait(l, a, "actor.start." + h, body, {"actor_started"}, {"actor_start_failed"},
                     "start actor " + a.ref + " on host " + h);
}

std::optional<Failure> StartProvider(Lattice& l, const Args& a) {
  auto constraints = ParsePairs(a.constraints, "--constraint");
  if (!constraints.ok()) return Fail(constraints.status(), 2);
  Json auction;
  auction["provider_ref"] = a.ref;
  auction["link_name"] = a.link_name;
  auction["constraints"] = *constraints;
  auto host = PickHost(l, a.host, "provider.auction", auction);
  if (auto* f = std::get_if<Failure>(&host)) return *f;
  const std::string& h = std::get<std::string>(host);
  Json body;
  body["provider_ref"] = a.ref;
  body["link_name"] = a.link_name;
  body["host_id"] = h;
  return RunAndAwait(l, a, "provider.start." + h, body, {"provider_started"},
                     {"provider_start_failed"},
                     "start provider " + a.ref + " (" + a.link_name + ") on host " + h);
}

// The actor key a call alias names in the lattice's claims; the text itself when it is an
// actor key. `or_reference`: an OCI reference is kept too (the host resolves those).
std::variant<std::string, Failure> ActorKeyOf(Lattice& l, const std::string& given,
                                              bool or_reference) {
  if (given.empty()) return Failure{2, "ACTOR is empty"};  // an unset $ACTOR in a script
  if (given.size() == crypto::kPublicKeyLength && given[0] == 'M') return given;
  // An alias first: aliases may hold '/' ("examples/kvcounter") as references do.
  auto claims = l.Request("claims.get", Json());
  if (auto* f = std::get_if<Failure>(&claims)) return *f;
  for (const Json& c : std::get<Json>(claims)) {
    if (Str(c, "call_alias") == given && !Str(c, "sub").empty()) return Str(c, "sub");
  }
  if (or_reference && given.find_first_of("/:") != std::string::npos) return given;
  return Failure{1, "\"" + given + "\" is neither an actor's public key nor a call alias" +
                        (or_reference ? std::string(" or OCI reference") : std::string()) +
                        " in lattice " + l.ns() + " (wasmcloud ctl get claims lists them)"};
}

std::optional<Failure> UpdateActor(Lattice& l, const Args& a) {
  auto actor = ActorKeyOf(l, a.actor, /*or_reference=*/false);  // a call alias, as call
  if (auto* f = std::get_if<Failure>(&actor)) return *f;
  Json body;
  body["actor_id"] = std::get<std::string>(actor);
  body["new_actor_ref"] = a.ref;
  body["host_id"] = a.host;
  return RunAndAwait(l, a, "actor.update." + a.host, body, {"actor_updated"},
                     {"actor_update_failed"}, "update actor " + a.actor + " to " + a.ref);
}

std::optional<Failure> StopActor(Lattice& l, const Args& a) {
  auto actor = ActorKeyOf(l, a.actor, /*or_reference=*/true);  // a call alias, as call
  std::string ref;
  if (auto* f = std::get_if<Failure>(&actor)) {
    // Not a key, an alias or a reference by its look ("echo"): the host has the last word
    // (it resolves the references it started from), as before aliases were looked up here.
    if (f->code != 1) return *f;
    ref = a.actor;
  } else {
    ref = std::get<std::string>(actor);
  }
  Json body;
  body["actor_ref"] = ref;
  body["host_id"] = a.host;
  return RunNow(l, a, "actor.stop." + a.host, body, "stop actor " + a.actor,
                "stopped actor " + a.actor);
}

std::optional<Failure> StopProvider(Lattice& l, const Args& a) {
  Json body;
  body["provider_ref"] = a.provider;
  body["link_name"] = a.link_name;
  body["contract_id"] = a.contract;
  body["host_id"] = a.host;
  const std::string provider = "provider " + a.provider + " (" + a.link_name + ")";
  return RunNow(l, a, "provider.stop." + a.host, body, "stop " + provider, "stopped " + provider);
}

std::optional<Failure> LinkPut(Lattice& l, const Args& a) {
  auto values = ParsePairs(a.pairs, "link value");
  if (!values.ok()) return Fail(values.status(), 2);
  auto actor = ActorKeyOf(l, a.actor, /*or_reference=*/true);  // a call alias, as manifests
  if (auto* f = std::get_if<Failure>(&actor)) return *f;
  Json body;
  body["actor_id"] = std::get<std::string>(actor);
  body["provider_id"] = a.provider;
  body["contract_id"] = a.contract;
  body["link_name"] = a.link_name;
  body["values"] = *values;
  const std::string link =
      a.actor + " to " + a.provider + " (" + a.contract + ", " + a.link_name + ")";
  return RunNow(l, a, "link.put", body, "link " + link, "linked " + link);
}

std::optional<Failure> LinkDel(Lattice& l, const Args& a) {
  auto actor = ActorKeyOf(l, a.actor, /*or_reference=*/true);
  if (auto* f = std::get_if<Failure>(&actor)) return *f;
  Json body;
  body["actor_id"] = std::get<std::string>(actor);
  body["contract_id"] = a.contract;
  body["link_name"] = a.link_name;
  const std::string link = "the link of " + a.actor + " (" + a.contract + ", " + a.link_name + ")";
  return RunNow(l, a, "link.del", body, "remove " + link, "removed " + link);
}

std::optional<Failure> LabelPut(Lattice& l, const Args& a) {
  Json body;
  body["key"] = a.key;
  body["value"] = a.value;
  return RunNow(l, a, "label.put." + a.host, body,
                "set label " + a.key + "=" + a.value + " on host " + a.host,
                "label " + a.key + "=" + a.value + " set on host " + a.host);
}

std::optional<Failure> LabelDel(Lattice& l, const Args& a) {
  Json body;
  body["key"] = a.key;
  return RunNow(l, a, "label.del." + a.host, body, "remove label " + a.key + " from host " + a.host,
                "label " + a.key + " removed from host " + a.host);
}

std::optional<Failure> RegistryPut(Lattice& l, const Args& a) {
  Json body;
  body["registry"] = a.key;
  body["username"] = a.value;
  body["password"] = a.password;
  // Every host answers (each keeps the credentials): gather, and count them.
  auto answers = l.Gather("registry.put", body);
  if (auto* f = std::get_if<Failure>(&answers)) return *f;
  const size_t hosts = std::get<std::vector<Json>>(answers).size();
  if (hosts == 0) return Failure{1, "no host of lattice " + l.ns() + " took the credentials"};
  PrintDone(a.o, "credentials for " + a.key + " given to " + std::to_string(hosts) + " host(s)",
            {{"hosts", hosts}});
  return std::nullopt;
}

std::optional<Failure> StopHost(Lattice& l, const Args& a) {
  return RunNow(l, a, "host.stop." + a.host, Json::object(), "stop host " + a.host,
                "host " + a.host + " is stopping");
}

std::optional<Failure> Call(Lattice& l, const Args& a) {
  auto named = ActorKeyOf(l, a.actor, /*or_reference=*/false);
  if (auto* f = std::get_if<Failure>(&named)) return *f;
  const std::string actor = std::get<std::string>(named);
  auto payload = CallPayload(a.operation, a.data_json, a.raw);
  if (!payload.ok()) return Fail(payload.status(), 2);
  // As a 0.18 client: from the system actor, signed with a key made for this call.
  crypto::KeyPair key = crypto::KeyPair::Generate(crypto::KeyType::kServer);
  auto inv = lattice::NewInvocation(key, lattice::Entity::System(), lattice::Entity::Actor(actor),
                                    a.operation, std::move(*payload));
  if (!inv.ok()) return Fail(inv.status());
  const std::string subject = lattice::RpcSubject(l.ns(), lattice::Entity::Actor(actor));
  const auto wait = a.o.timeout_ms > 0 ? a.o.timeout() : std::chrono::milliseconds(kCallTimeoutMs);
  auto reply = l.transport().Request(subject, lattice::Encode(*inv), wait);
  if (!reply.ok()) {
    if (lattice::IsNoResponders(reply.status())) {
      return Failure{1, "actor " + actor + " is not running in lattice " + l.ns()};
    }
    return Failure{1, "call " + actor + " " + a.operation + ": " + reply.status().message()};
  }
  auto response = lattice::DecodeInvocationResponse(reply->data);
  if (!response.ok()) {
    return Failure{1, "the answer is not an InvocationResponse: " + response.status().message()};
  }
  if (response->error) return Failure{1, *response->error};
  if (a.raw.hex) {
    PrintPayload(response->msg, true);
    return std::nullopt;
  }
  PrintJson(CallReplyJson(a.operation, response->msg));
  return std::nullopt;
}

// Whether whoever read our standard output has gone (a pipe whose reader exited: `… |
// head -n 2`). The process ignores SIGPIPE (the NATS sockets), so nothing else would end
// the watch.
bool OutputClosed() {
  pollfd p{STDOUT_FILENO, 0, 0};  // POLLERR and POLLHUP are reported without asking
  return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0;
}

std::optional<Failure> WatchEvents(Lattice& l, const Args& a) {
  l.Watch();
  std::cerr << "watching events of lattice " << l.ns() << " (Ctrl-C ends)" << std::endl;
  for (int64_t seen = 0; a.count == 0 || seen < a.count;) {
    // A reader gone ends the watch, also while no event comes; another failed write (a
    // full disk) is a failure.
    if (OutputClosed()) return std::nullopt;
    if (!std::cout) return Failure{1, "cannot write the events to the standard output"};
    auto e = l.NextEvent(std::chrono::milliseconds(500));
    if (!e) continue;
    ++seen;
    if (a.o.json()) {
      PrintJson(*e);
    } else {
      std::string type = Str(*e, "type");
      constexpr std::string_view kPrefix = "com.wasmcloud.lattice.";
      if (type.starts_with(kPrefix)) type = type.substr(kPrefix.size());
      std::string data;
      const Json event_data = e->value("data", Json::object());
      for (const auto& [k, v] : event_data.items()) {
        if (k == "labels" || k == "actors" || k == "providers" || k == "claims" ||
            k == "entities") {
          continue;  // heartbeats: too long for one line (-o json has them)
        }
        data += " " + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
      }
      // One printable line: the event's words are other hosts' (or anyone's who may
      // publish on the lattice).
      std::cout << EscapeLogText(Str(*e, "time") + "  " + type + "  host=" + Str(*e, "source") +
                                 data)
                << "\n";
    }
    std::cout.flush();
  }
  return std::nullopt;
}

}  // namespace

void PrintCtlJsonFailure(const std::string& message) {
  Json j;
  j["success"] = false;
  j["message"] = message;
  PrintJson(j);
}

void AddCtlCommand(CLI::App& app, int* exit_code) {
  auto a = std::make_shared<Args>();
  CLI::App* ctl = app.add_subcommand(
      "ctl", "Inspect and change a running lattice (the local one `up` started, or --rpc-host)");
  ctl->require_subcommand(1);
  // Each leaf: the common options, its arguments, and what it runs.
  auto leaf = [&](CLI::App* parent, const std::string& name, const std::string& help,
                  std::optional<Failure> (*run)(Lattice&, const Args&)) {
    CLI::App* cmd = parent->add_subcommand(name, help);
    a->o.Register(*cmd);
    cmd->callback([a, run, exit_code] {
      SetLogLevel(LogLevel::kWarn);  // the NATS client's info lines are not the answer
      *exit_code = WithLattice(a->o, [&](Lattice& l) { return run(l, *a); });
    });
    return cmd;
  };
  auto group = [&](const std::string& name, const std::string& help) {
    CLI::App* g = ctl->add_subcommand(name, help);
    g->require_subcommand(1);
    return g;
  };
  auto wait_options = [&](CLI::App* cmd) {
    cmd->add_option("--wait-ms", a->wait_ms,
                    "how long to wait for the outcome (pull and start); default 60000")
        ->check(CLI::Range(int64_t{1}, int64_t{3600000}));
    cmd->add_flag("--no-wait", a->no_wait, "return once a host accepted it");
  };

  CLI::App* get = group("get", "List hosts, inventories, links or claims");
  leaf(get, "hosts", "Every host of the lattice", GetHosts);
  leaf(get, "inventory", "What runs on a host (every host without HOST)", GetInventory)
      ->add_option("HOST", a->host, "host public key");
  leaf(get, "links", "Every link definition of the lattice", GetLinks);
  leaf(get, "claims", "The claims of every actor of the lattice", GetClaims);

  CLI::App* start = group("start", "Start an actor or a provider from an OCI reference");
  CLI::App* sa =
      leaf(start, "actor", "Start an actor (on --host, or the host an auction picks)", StartActor);
  sa->add_option("REF", a->ref, "OCI reference")->required();
  sa->add_option("--host", a->host, "host public key (default: an auction picks one)");
  sa->add_option("--constraint", a->constraints, "KEY=VALUE label the host must have")
      ->allow_extra_args(false);
  wait_options(sa);
  CLI::App* sp = leaf(start, "provider",
                      "Start a provider (on --host, or the host an auction picks)", StartProvider);
  sp->add_option("REF", a->ref, "OCI reference")->required();
  sp->add_option("-l,--link-name", a->link_name, "link name; default default");
  sp->add_option("--host", a->host, "host public key (default: an auction picks one)");
  sp->add_option("--constraint", a->constraints, "KEY=VALUE label the host must have")
      ->allow_extra_args(false);
  wait_options(sp);

  CLI::App* stop = group("stop", "Stop an actor, a provider or a host");
  CLI::App* xa = leaf(stop, "actor", "Stop an actor on a host", StopActor);
  xa->add_option("HOST", a->host, "host public key")->required();
  xa->add_option("ACTOR", a->actor, "actor public key, call alias or OCI reference")->required();
  CLI::App* xp = leaf(stop, "provider", "Stop a provider on a host", StopProvider);
  xp->add_option("HOST", a->host, "host public key")->required();
  xp->add_option("PROVIDER", a->provider, "provider public key or OCI reference")->required();
  xp->add_option("LINK_NAME", a->link_name, "link name")->required();
  xp->add_option("CONTRACT", a->contract, "contract id")->required();
  leaf(stop, "host", "Stop a host (as SIGTERM would)", StopHost)
      ->add_option("HOST", a->host, "host public key")
      ->required();

  CLI::App* update = group("update", "Live-update an actor");
  CLI::App* ua = leaf(update, "actor", "Replace a running actor by a new revision from a registry",
                      UpdateActor);
  ua->add_option("HOST", a->host, "host public key")->required();
  ua->add_option("ACTOR", a->actor, "actor public key or call alias")->required();
  ua->add_option("NEW_REF", a->ref, "OCI reference of the new revision")->required();
  wait_options(ua);

  CLI::App* link = group("link", "Put or delete a link definition");
  CLI::App* lp = leaf(link, "put", "Link an actor to a provider", LinkPut);
  lp->add_option("ACTOR", a->actor, "actor public key, call alias or OCI reference")->required();
  lp->add_option("PROVIDER", a->provider, "provider public key")->required();
  lp->add_option("CONTRACT", a->contract, "contract id, e.g. wasmcloud:httpserver")->required();
  lp->add_option("VALUES", a->pairs, "KEY=VALUE link values");
  lp->add_option("-l,--link-name", a->link_name, "link name; default default");
  CLI::App* ld = leaf(link, "del", "Delete a link definition", LinkDel);
  ld->add_option("ACTOR", a->actor, "actor public key, call alias or OCI reference")->required();
  ld->add_option("CONTRACT", a->contract, "contract id")->required();
  ld->add_option("-l,--link-name", a->link_name, "link name; default default");

  CLI::App* label = group("label", "Put or delete a host label");
  CLI::App* lbp = leaf(label, "put", "Set a label on a host", LabelPut);
  lbp->add_option("HOST", a->host, "host public key")->required();
  lbp->add_option("KEY", a->key, "label key")->required();
  lbp->add_option("VALUE", a->value, "label value")->required();
  CLI::App* lbd = leaf(label, "del", "Remove a label from a host", LabelDel);
  lbd->add_option("HOST", a->host, "host public key")->required();
  lbd->add_option("KEY", a->key, "label key")->required();

  CLI::App* registry = group("registry", "Give the lattice's hosts registry credentials");
  CLI::App* rp = leaf(registry, "put",
                      "Credentials every host uses for later pulls from REGISTRY (sent over the "
                      "lattice's NATS connection: use it on a lattice you trust, over TLS)",
                      RegistryPut);
  rp->add_option("REGISTRY", a->key, "HOST[:PORT] of the registry")->required();
  rp->add_option("-u,--user", a->value, "user name")->required();
  rp->add_option("-p,--password", a->password, "password (better: the environment variable)")
      ->envname("WASMCLOUD_REGISTRY_PASSWORD")
      ->required();

  CLI::App* call = leaf(
      ctl, "call", "Call an actor of the lattice; print the reply (JSON where it decodes)", Call);
  call->add_option("ACTOR", a->actor, "actor public key or call alias")->required();
  call->add_option("OPERATION", a->operation, "operation, e.g. HandleRequest")->required();
  auto* data = call->add_option("--data", a->data_json,
                                "payload as JSON, sent as msgpack (for HandleRequest: an "
                                "httpserver Request {method, path, queryString, header, body})");
  auto* hex =
      call->add_option("--data-hex", a->raw.hex, "payload as hex, sent as is (reply as hex)");
  auto* file = call->add_option("--data-file", a->raw.file, "payload read from a file, sent as is");
  data->excludes(hex)->excludes(file);
  hex->excludes(file);

  CLI::App* watch = group("watch", "Follow what happens in the lattice");
  leaf(watch, "events", "Print the lattice's events as they come (CloudEvents)", WatchEvents)
      ->add_option("--count", a->count, "stop after this many events (default: until Ctrl-C)");
}

}  // namespace wasmcloud::cli
