#include "host/control_server.h"

#include <utility>

#include "core/log.h"
#include "core/text.h"
#include "crypto/claims.h"
#include "host/artifacts.h"
#include "lattice/control_json.h"
#include "lattice/events.h"
#include "lattice/subjects.h"
#include "oci/reference.h"

namespace wasmcloud::host {
namespace {

namespace cj = lattice::control_json;

constexpr std::string_view kLog = "control";

std::optional<std::string> FailureOf(const Status& s) {
  if (s.ok()) return std::nullopt;
  return s.message();
}

std::string Join(const std::vector<std::string>& parts, char sep) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

// The part of a v1 subject after "wasmbus.ctl.v1.{ns}." ("" when it is not one).
std::string_view V1Suffix(std::string_view ns, std::string_view subject) {
  const std::string prefix = cj::v1::Subject(ns, "");
  if (!subject.starts_with(prefix)) return {};
  return subject.substr(prefix.size());
}

// The v1 operations of docs/control-v1.md: those addressed to one host, and the rest.
constexpr std::string_view kV1PerHost[] = {
    "host.get",   "host.stop",    "label.put",      "label.del",     "actor.start",
    "actor.stop", "actor.update", "provider.start", "provider.stop",
};
constexpr std::string_view kV1Lattice[] = {
    "host.ping",  "link.put",      "link.del",         "link.get",
    "claims.get", "actor.auction", "provider.auction", "registry.put",
};

// Whether some host serves `suffix` (a per-host operation followed by one host token, or
// a lattice-wide one).
bool ServedV1(std::string_view suffix) {
  for (std::string_view op : kV1Lattice) {
    if (suffix == op) return true;
  }
  for (std::string_view op : kV1PerHost) {
    if (suffix.size() > op.size() + 1 && suffix.starts_with(op) && suffix[op.size()] == '.' &&
        suffix.find('.', op.size() + 1) == std::string_view::npos) {
      return true;
    }
  }
  return false;
}

// The keys of the background commands: one command per key at a time.
std::string ActorKey(std::string_view ref) { return "actor " + std::string(ref); }
std::string ProviderKey(std::string_view ref, std::string_view link) {
  return "provider " + std::string(ref) + " with link name " +
         std::string(link.empty() ? "default" : link);
}
std::string LinkKey(std::string_view actor, std::string_view contract, std::string_view link) {
  return "link " + std::string(actor) + " " + std::string(contract) + " " +
         std::string(link.empty() ? "default" : link);
}
std::string UpdateKey(std::string_view actor_id) {
  return "update of actor " + std::string(actor_id);
}

// Why `ref` cannot be pulled as it is written (checked before the ack: a start that could
// never begin is not acknowledged), nullopt when it can be tried.
std::optional<std::string> BadReference(std::string_view ref) {
  auto parsed = oci::ParseReference(ref);
  if (parsed.ok()) return std::nullopt;
  std::string why = "\"" + std::string(ref.substr(0, 512)) +
                    "\" is not an OCI reference: " + parsed.status().message();
  // A file of the client's machine: nothing a host (maybe on another machine) can read.
  if (LooksLikeFilePath(ref)) {
    why +=
        " (a host starts a file only from a manifest of `wasmcloud up -m`; for the "
        "lattice, push it to a registry with `wasmcloud reg push REF FILE` and start REF)";
  }
  return why;
}

// Why a command whose body names host `host_id` is not for this host `self` (nullopt when
// it names none, or this one): its subject says this host, its body another.
std::optional<std::string> OtherHost(std::string_view host_id, std::string_view self) {
  if (host_id.empty() || host_id == self) return std::nullopt;
  return "this command is for host " + std::string(host_id.substr(0, 128)) + ", not host " +
         std::string(self);
}

}  // namespace

ControlServer::ControlServer(std::shared_ptr<lattice::Transport> transport,
                             ControlServerOptions options, lattice::ControlHandler& handler,
                             const lattice::LatticeStore& store)
    : transport_(std::move(transport)),
      options_(std::move(options)),
      handler_(handler),
      store_(store),
      executor_("wc-control", options_.threads, options_.max_queued),
      commands_("wc-commands", options_.command_threads, options_.max_commands) {}

ControlServer::~ControlServer() { Stop(); }

Status ControlServer::Start() {
  const std::string& ns = options_.lattice_name;
  const std::string& host = options_.host_id;
  struct Sub {
    std::string subject;
    std::string queue;
    Kind kind;
  };
  const std::vector<Sub> subs = {
      {lattice::ControlSubject(ns, "get.hosts"), "", Kind::kHosts},
      {lattice::ControlSubject(ns, "get." + host + ".inv"), "", Kind::kInventory},
      {lattice::ControlSubject(ns, "get.links"), lattice::ControlQueueGroup(ns), Kind::kLinks},
      {lattice::ControlSubject(ns, "get.claims"), lattice::ControlQueueGroup(ns), Kind::kClaims},
      {lattice::ControlSubject(ns, "cmd." + host + ".*"), "", Kind::kCommand},
      {lattice::ControlSubject(ns, "auction.actor"), "", Kind::kActorAuction},
      {lattice::ControlSubject(ns, "auction.provider"), "", Kind::kProviderAuction},
      // v1: per-host subjects exactly, link.* and claims.get queue-grouped, the rest plain,
      // and every subject for "unsupported subject".
      {cj::v1::Subject(ns, "*.*." + host), "", Kind::kV1},
      {cj::v1::Subject(ns, "link.*"), cj::v1::QueueGroup(ns), Kind::kV1},
      {cj::v1::Subject(ns, "claims.get"), cj::v1::QueueGroup(ns), Kind::kV1},
      {cj::v1::Subject(ns, "host.ping"), "", Kind::kV1},
      {cj::v1::Subject(ns, "actor.auction"), "", Kind::kV1},
      {cj::v1::Subject(ns, "provider.auction"), "", Kind::kV1},
      {cj::v1::Subject(ns, "registry.put"), "", Kind::kV1},
      {cj::v1::Subject(ns, ">"), "", Kind::kV1Unknown},
  };
  std::lock_guard lock(mu_);
  if (stopped_) return FailedPrecondition("the control server was stopped");
  for (const Sub& s : subs) {
    Kind kind = s.kind;
    auto sub = transport_->Subscribe(
        s.subject, s.queue, [this, kind](lattice::Message m) { OnMessage(kind, std::move(m)); });
    if (!sub.ok()) return sub.status().WithContext("cannot subscribe to " + s.subject);
    subscriptions_.push_back(std::move(*sub));
  }
  // The subscriptions are in effect at the server before a client is told we are up.
  WC_RETURN_IF_ERROR(transport_->Flush(std::chrono::seconds(5)));
  return Status::Ok();
}

void ControlServer::Stop() {
  std::vector<std::unique_ptr<lattice::Subscription>> subs;
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    subs.swap(subscriptions_);
  }
  subs.clear();  // each waits for a handler in progress
  executor_.Shutdown();
  commands_.Shutdown();  // what is queued runs (and fails fast: the host is stopping)
}

std::optional<std::string> ControlServer::Background(std::string key,
                                                     const std::function<void()>& ack,
                                                     std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return std::string("the host is stopping");
    if (in_flight_.contains(key)) {
      return "a command for the same " + key + " is already in progress on this host";
    }
    if (in_flight_.size() >= options_.max_commands) {
      return "host busy: " + std::to_string(in_flight_.size()) +
             " control commands are running or waiting; try again";
    }
    in_flight_.insert(key);
  }
  // The key goes however the command ends (a task that throws included: the pool logs
  // it), or the target would stay "in progress" until the host restarts.
  struct Release {
    ControlServer* server;
    std::string key;
    ~Release() {
      std::lock_guard lock(server->mu_);
      server->in_flight_.erase(key);
    }
  };
  // (Made in place: a temporary Release would erase the key when it goes.)
  std::shared_ptr<Release> release(new Release{this, key});
  ack();
  // Room was reserved above (in_flight_ counts the queue too): refused only when stopping.
  const bool queued = commands_.TrySubmit([release, task = std::move(task)]() mutable {
    auto done = std::move(release);  // released when the task ends, or throws
    task();
  });
  if (!queued) {
    Log(LogLevel::kWarn, kLog, EscapeLogText("dropped the " + key + ": the host is stopping"));
  }
  return std::nullopt;
}

bool ControlServer::InFlight(const std::string& key) {
  std::lock_guard lock(mu_);
  return in_flight_.contains(key);
}

void ControlServer::OnMessage(Kind kind, lattice::Message message) {
  auto shared = std::make_shared<lattice::Message>(std::move(message));
  if (executor_.TrySubmit([this, kind, shared] { Handle(kind, *shared); })) return;
  if (kind == Kind::kV1) {
    Reply(*shared, cj::v1::Failure("host busy: too many control requests queued; try again"));
  } else if (kind == Kind::kCommand) {
    // Every command's ack has a "failure" member but upd's; a busy host says so.
    const std::string op = shared->subject.substr(shared->subject.rfind('.') + 1);
    const std::string why = "host busy: too many control requests queued; try again";
    if (op == "upd") {
      Reply(*shared, cj::UpdateActorAck(false));
    } else if (op == "la") {
      Reply(*shared, cj::StartActorAck(options_.host_id, "", why));
    } else if (op == "lp") {
      Reply(*shared, cj::StartProviderAck(options_.host_id, "", why));
    } else if (op == "sa" || op == "sp") {
      Reply(*shared, cj::StopActorAck(why));
    }
  }
  Log(LogLevel::kWarn, kLog, "dropped a control request on " + shared->subject + ": queue full");
}

void ControlServer::Reply(const lattice::Message& request, const std::string& json) {
  if (request.reply.empty()) return;  // nobody to answer
  if (Status s = lattice::ValidateReplySubject(request.reply); !s.ok()) {
    bool first;
    {
      std::lock_guard lock(mu_);
      first = !std::exchange(said_reflection_, true);
    }
    Log(first ? LogLevel::kWarn : LogLevel::kDebug, kLog,
        EscapeLogText("a control request on " + request.subject + ": " + s.message()));
    return;
  }
  // Too large for the server (get.links with thousands of links, say): a v1 client is
  // told so in its envelope; a 0.18 client has no shape for it and gets no answer.
  if (const size_t max = transport_->MaxPayload(); json.size() > max) {
    const std::string why = "the answer is " + std::to_string(json.size()) +
                            " bytes, more than the NATS server's max_payload of " +
                            std::to_string(max) +
                            " bytes (raise max_payload in the server's configuration)";
    Log(LogLevel::kError, kLog,
        "cannot answer a control request on " + request.subject + ": " + why);
    if (!V1Suffix(options_.lattice_name, request.subject).empty()) {
      (void)transport_->Publish(request.reply, AsBytes(cj::v1::Failure(why)));
    }
    return;
  }
  Status s = transport_->Publish(request.reply, AsBytes(json));
  if (!s.ok()) {
    Log(LogLevel::kWarn, kLog,
        "cannot answer a control request on " + request.subject + ": " + s.message());
  }
}

void ControlServer::Handle(Kind kind, const lattice::Message& m) {
  switch (kind) {
    case Kind::kHosts:
      Reply(m, cj::HostJson(handler_.Summary()));
      return;
    case Kind::kInventory:
      Reply(m, cj::InventoryJson(handler_.Inventory()));
      return;
    case Kind::kLinks:
      Reply(m, cj::LinksJson(store_.Links()));
      return;
    case Kind::kClaims:
      Reply(m, Claims(false));
      return;
    case Kind::kActorAuction: {
      auto req = cj::ParseActorAuction(m.data);
      if (!req.ok()) {
        Log(LogLevel::kWarn, kLog,
            EscapeLogText("ignored an actor auction: " + req.status().message()));
        return;
      }
      // Only hosts that qualify answer (not one that is starting it).
      if (!InFlight(ActorKey(req->actor_ref)) &&
          handler_.QualifiesForActor(req->actor_ref, req->constraints)) {
        Reply(m, cj::ActorAuctionAck(*req, options_.host_id));
      }
      return;
    }
    case Kind::kProviderAuction: {
      auto req = cj::ParseProviderAuction(m.data);
      if (!req.ok()) {
        Log(LogLevel::kWarn, kLog,
            EscapeLogText("ignored a provider auction: " + req.status().message()));
        return;
      }
      if (!InFlight(ProviderKey(req->provider_ref, req->link_name)) &&
          handler_.QualifiesForProvider(req->provider_ref, req->link_name, req->constraints)) {
        Reply(m, cj::ProviderAuctionAck(*req, options_.host_id));
      }
      return;
    }
    case Kind::kCommand:
      HandleCommand(m);
      return;
    case Kind::kV1:
      HandleV1(m);
      return;
    case Kind::kV1Unknown:
      if (!ServedV1(V1Suffix(options_.lattice_name, m.subject))) {
        Reply(m, cj::v1::Failure("unsupported subject"));
      }
      return;
  }
}

std::string ControlServer::Claims(bool v1) const {
  std::vector<cj::ClaimsValues> out;
  for (const auto& [pk, claims] : store_.AllClaims()) {
    cj::ClaimsValues v;
    v.sub = claims.sub;
    v.iss = claims.iss;
    int32_t rev = 0;
    if (claims.wascap) {
      if (claims.wascap->caps) v.caps = Join(*claims.wascap->caps, ',');
      rev = claims.wascap->rev.value_or(0);
      v.version = claims.wascap->ver.value_or("");
      v.name = claims.wascap->name;
      v.call_alias = claims.wascap->call_alias;
    }
    v.rev = std::to_string(rev);
    out.push_back(std::move(v));
  }
  return v1 ? cj::v1::ClaimsResponse(out) : cj::ClaimsJson(out);
}

void ControlServer::HandleCommand(const lattice::Message& m) {
  const std::string op = m.subject.substr(m.subject.rfind('.') + 1);
  lattice::ControlHandler& h = handler_;
  const std::string& self = options_.host_id;
  if (op == "la") {
    auto cmd = cj::ParseStartActor(m.data);
    if (!cmd.ok()) {
      Reply(m, cj::StartActorAck(self, "",
                                 "Bad StartActor command received: " + cmd.status().message()));
      return;
    }
    const std::string ref = cmd->actor_ref;
    StartFromRegistry(
        m, "actor", ref, cmd->host_id, ActorKey(ref), &cj::StartActorAck,
        [&] { return h.QualifiesForActor(ref, {}); },
        "Actor with image ref '" + ref + "' is already running on this host",
        [&h, ref] { return h.StartActor(ref); });
  } else if (op == "sa") {
    auto cmd = cj::ParseStopActor(m.data);
    if (!cmd.ok()) {
      Reply(m, cj::StopActorAck("Failed to deserialize stop actor command: " +
                                cmd.status().message()));
      return;
    }
    if (auto other = OtherHost(cmd->host_id, self)) return Reply(m, cj::StopActorAck(*other));
    Reply(m, cj::StopActorAck(FailureOf(h.StopActor(cmd->actor_ref))));
  } else if (op == "lp") {
    auto cmd = cj::ParseStartProvider(m.data);
    if (!cmd.ok()) {
      Reply(m, cj::StartProviderAck(
                   self, "", "Bad StartProvider command received: " + cmd.status().message()));
      return;
    }
    const std::string ref = cmd->provider_ref;
    const std::string link = cmd->link_name;
    StartFromRegistry(
        m, "provider", ref, cmd->host_id, ProviderKey(ref, link), &cj::StartProviderAck,
        [&] { return h.QualifiesForProvider(ref, link, {}); },
        "Provider with image ref '" + ref + "' is already running on this host.",
        [&h, ref, link] { return h.StartProvider(ref, link); });
  } else if (op == "sp") {
    auto cmd = cj::ParseStopProvider(m.data);
    if (!cmd.ok()) {
      Reply(m, cj::StopProviderAck("Failed to deserialize stop provider command: " +
                                   cmd.status().message()));
      return;
    }
    if (auto other = OtherHost(cmd->host_id, self)) return Reply(m, cj::StopProviderAck(*other));
    Reply(m, cj::StopProviderAck(
                 FailureOf(h.StopProvider(cmd->provider_ref, cmd->link_name, cmd->contract_id))));
  } else if (op == "upd") {
    // 0.18's UpdateActorAck has no reason: refusals are logged.
    auto refuse = [&](const std::string& why) {
      Log(LogLevel::kWarn, kLog, EscapeLogText("refused an update command: " + why));
      Reply(m, cj::UpdateActorAck(false));
    };
    auto cmd = cj::ParseUpdateActor(m.data);
    if (!cmd.ok()) return refuse(cmd.status().message());
    const std::string what = "actor " + cmd->actor_id + " to " + cmd->new_actor_ref + ": ";
    if (auto other = OtherHost(cmd->host_id, self)) return refuse(what + *other);
    if (!h.IsRunning())
      return refuse(what + "the host is not running (it is starting or stopping)");
    // Accepted when the actor (by its public key, as 0.18 looked it up) runs here and this
    // host allows live updates; the update runs after the ack.
    if (!h.RunsActor(cmd->actor_id)) return refuse(what + "it is not running on this host");
    if (!options_.live_updates) {
      return refuse(what + "live updates are not allowed on this host (--allow-live-updates)");
    }
    if (auto bad = BadReference(cmd->new_actor_ref)) return refuse(what + *bad);
    auto refused = Background(
        UpdateKey(cmd->actor_id), [&] { Reply(m, cj::UpdateActorAck(true)); },
        [&h, id = cmd->actor_id, ref = cmd->new_actor_ref] {
          if (Status s = h.UpdateActor(id, ref); !s.ok()) {
            Log(LogLevel::kError, kLog,
                EscapeLogText("live update of actor " + id + " to " + ref +
                              " failed (control command): " + s.message()));
          }
        });
    if (refused) refuse(what + *refused);
  } else {
    Log(LogLevel::kWarn, kLog, "ignored an unknown control command on " + m.subject);
  }
}

void ControlServer::StartFromRegistry(const lattice::Message& m, std::string_view what,
                                      const std::string& ref, std::string_view host_id,
                                      std::string key, StartAck ack,
                                      const std::function<bool()>& qualifies,
                                      const std::string& already_running,
                                      std::function<Status()> start) {
  const std::string& self = options_.host_id;
  const std::string kind(what);
  auto refuse = [&](const std::string& why) {
    Log(LogLevel::kWarn, kLog, EscapeLogText("refused to start " + kind + " " + ref + ": " + why));
    Reply(m, ack(self, ref, why));
  };
  if (auto other = OtherHost(host_id, self)) return refuse(*other);
  if (!handler_.IsRunning()) return refuse("the host is not running (it is starting or stopping)");
  // 0.18: refused at once when it already runs here; else acknowledged, then fetched.
  if (!qualifies()) return refuse(already_running);
  if (auto bad = BadReference(ref)) return refuse(*bad);
  auto refused = Background(
      std::move(key),
      [&] {
        Reply(m, ack(self, ref, std::nullopt));
        Log(LogLevel::kInfo, kLog,
            EscapeLogText("starting " + kind + " " + ref + " (control command)"));
      },
      [kind, ref, start = std::move(start)] {
        if (Status s = start(); !s.ok()) {
          Log(LogLevel::kError, kLog,
              EscapeLogText("cannot start " + kind + " " + ref +
                            " (control command): " + s.message()));
        }
      });
  if (refused) refuse(*refused);
}

void ControlServer::RunV1(const lattice::Message& m, const std::function<Status()>& command) {
  std::string id = crypto::NewUuidV4();
  Status s;
  {
    lattice::OperationScope scope(id);
    s = command();
  }
  Reply(m, s.ok() ? cj::v1::Accepted(id) : cj::v1::Failure(s.message()));
}

void ControlServer::RunV1Later(const lattice::Message& m, std::string key,
                               std::function<Status()> command) {
  auto request = std::make_shared<lattice::Message>(m);
  auto refused = Background(
      std::move(key), [] {},
      [this, request, command = std::move(command)] { RunV1(*request, command); });
  if (refused) Reply(m, cj::v1::Failure(*refused));
}

void ControlServer::StartV1(const lattice::Message& m, std::string key,
                            std::function<Status()> command, std::string what) {
  std::string id = crypto::NewUuidV4();
  auto refused = Background(
      std::move(key),
      [&] {
        Reply(m, cj::v1::Accepted(id));
        Log(LogLevel::kInfo, kLog, EscapeLogText(what + " (control command " + id + ")"));
      },
      [id, command = std::move(command), what] {
        lattice::OperationScope scope(id);
        if (Status s = command(); !s.ok()) {
          Log(LogLevel::kError, kLog,
              EscapeLogText(what + " failed (control command " + id + "): " + s.message()));
        }
      });
  if (refused) Reply(m, cj::v1::Failure(*refused));
}

void ControlServer::HandleV1(const lattice::Message& m) {
  const std::string_view suffix = V1Suffix(options_.lattice_name, m.subject);
  // The operation: the first two tokens; per-host ones are only subscribed with our key.
  if (!ServedV1(suffix)) return Reply(m, cj::v1::Failure("unsupported subject"));
  const size_t second_dot = suffix.find('.', suffix.find('.') + 1);
  const std::string op(suffix.substr(0, second_dot));
  lattice::ControlHandler& h = handler_;
  auto bad = [&](const Status& s) { Reply(m, cj::v1::Failure("bad request: " + s.message())); };
  auto details = [&] {
    cj::v1::HostDetails d;
    d.summary = h.Summary();
    d.labels = h.Labels();
    d.version = options_.version;
    d.lattice = options_.lattice_name;
    return d;
  };

  if (op == "host.ping") {
    Reply(m, cj::v1::Envelope(true, "", cj::v1::PingResponse(details())));
  } else if (op == "host.get") {
    Reply(m, cj::v1::Envelope(true, "", cj::v1::InventoryResponse(h.Inventory(), details())));
  } else if (op == "host.stop") {
    RunV1(m, [&] { return h.RequestStop(); });
  } else if (op == "label.put") {
    auto c = cj::v1::ParseLabelPut(m.data);
    if (!c.ok()) return bad(c.status());
    RunV1(m, [&] { return h.PutLabel(c->key, c->value); });
  } else if (op == "label.del") {
    auto c = cj::v1::ParseLabelDelete(m.data);
    if (!c.ok()) return bad(c.status());
    RunV1(m, [&] { return h.DeleteLabel(c->key); });
  } else if (op == "link.put") {
    // A write to the lattice data, then a provider's bind: on the command pool, so that
    // slow ones do not hold up the queries and auctions behind them.
    auto c = cj::v1::ParseLinkPut(m.data);
    if (!c.ok()) return bad(c.status());
    RunV1Later(m, LinkKey(c->actor_id, c->contract_id, c->link_name),
               [&h, link = *c] { return h.PutLink(link); });
  } else if (op == "link.del") {
    auto c = cj::v1::ParseLinkDelete(m.data);
    if (!c.ok()) return bad(c.status());
    RunV1Later(m, LinkKey(c->actor_id, c->contract_id, c->link_name), [&h, link = *c] {
      return h.DeleteLink(link.actor_id, link.contract_id, link.link_name);
    });
  } else if (op == "link.get") {
    Reply(m, cj::v1::Envelope(true, "", cj::v1::LinksResponse(store_.Links())));
  } else if (op == "claims.get") {
    Reply(m, cj::v1::Envelope(true, "", Claims(true)));
  } else if (op == "registry.put") {
    auto c = cj::v1::ParseRegistryPut(m.data);
    if (!c.ok()) return bad(c.status());
    RunV1(m, [&] { return h.PutRegistryCredentials(c->registry, c->username, c->password); });
  } else if (op == "actor.auction") {
    auto c = cj::ParseActorAuction(m.data);
    if (!c.ok()) {  // a scatter-gather: nobody waits for a refusal (docs/control-v1.md)
      Log(LogLevel::kDebug, kLog,
          EscapeLogText("unanswered actor auction: " + c.status().message()));
      return;
    }
    if (!InFlight(ActorKey(c->actor_ref)) && h.QualifiesForActor(c->actor_ref, c->constraints)) {
      Reply(m, cj::v1::Envelope(true, "", cj::ActorAuctionAck(*c, options_.host_id)));
    }
  } else if (op == "provider.auction") {
    auto c = cj::ParseProviderAuction(m.data);
    if (!c.ok()) {
      Log(LogLevel::kDebug, kLog,
          EscapeLogText("unanswered provider auction: " + c.status().message()));
      return;
    }
    if (!InFlight(ProviderKey(c->provider_ref, c->link_name)) &&
        h.QualifiesForProvider(c->provider_ref, c->link_name, c->constraints)) {
      Reply(m, cj::v1::Envelope(true, "", cj::ProviderAuctionAck(*c, options_.host_id)));
    }
  } else if (op == "actor.start") {
    auto c = cj::ParseStartActor(m.data);
    if (!c.ok()) return bad(c.status());
    if (!h.IsRunning()) {
      return Reply(m, cj::v1::Failure("the host is not running (it is starting or stopping)"));
    }
    if (!h.QualifiesForActor(c->actor_ref, {})) {
      return Reply(m, cj::v1::Failure("actor " + c->actor_ref + " is already running on host " +
                                      options_.host_id));
    }
    if (auto bad_ref = BadReference(c->actor_ref)) return Reply(m, cj::v1::Failure(*bad_ref));
    StartV1(
        m, ActorKey(c->actor_ref), [&h, ref = c->actor_ref] { return h.StartActor(ref); },
        "starting actor " + c->actor_ref);
  } else if (op == "actor.stop") {
    auto c = cj::ParseStopActor(m.data);
    if (!c.ok()) return bad(c.status());
    RunV1(m, [&] { return h.StopActor(c->actor_ref); });
  } else if (op == "actor.update") {
    auto c = cj::ParseUpdateActor(m.data);
    if (!c.ok()) return bad(c.status());
    if (!h.IsRunning()) {
      return Reply(m, cj::v1::Failure("the host is not running (it is starting or stopping)"));
    }
    if (!h.RunsActor(c->actor_id)) {
      return Reply(m, cj::v1::Failure("actor " + c->actor_id + " is not running on host " +
                                      options_.host_id));
    }
    if (!options_.live_updates) {
      return Reply(m, cj::v1::Failure("live updates are not allowed on host " + options_.host_id +
                                      " (start it with --allow-live-updates)"));
    }
    if (auto bad_ref = BadReference(c->new_actor_ref)) return Reply(m, cj::v1::Failure(*bad_ref));
    StartV1(
        m, UpdateKey(c->actor_id),
        [&h, id = c->actor_id, ref = c->new_actor_ref] { return h.UpdateActor(id, ref); },
        "updating actor " + c->actor_id + " to " + c->new_actor_ref);
  } else if (op == "provider.start") {
    auto c = cj::ParseStartProvider(m.data);
    if (!c.ok()) return bad(c.status());
    if (!h.IsRunning()) {
      return Reply(m, cj::v1::Failure("the host is not running (it is starting or stopping)"));
    }
    if (!h.QualifiesForProvider(c->provider_ref, c->link_name, {})) {
      return Reply(m,
                   cj::v1::Failure("provider " + c->provider_ref + " is already running on host " +
                                   options_.host_id + " with that link name"));
    }
    if (auto bad_ref = BadReference(c->provider_ref)) return Reply(m, cj::v1::Failure(*bad_ref));
    StartV1(
        m, ProviderKey(c->provider_ref, c->link_name),
        [&h, ref = c->provider_ref, link = c->link_name] { return h.StartProvider(ref, link); },
        "starting provider " + c->provider_ref);
  } else if (op == "provider.stop") {
    auto c = cj::ParseStopProvider(m.data);
    if (!c.ok()) return bad(c.status());
    RunV1(m, [&] { return h.StopProvider(c->provider_ref, c->link_name, c->contract_id); });
  } else {
    Reply(m, cj::v1::Failure("unsupported subject"));
  }
}

}  // namespace wasmcloud::host
