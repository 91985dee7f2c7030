#include "host/control_server.h"

#include <utility>

#include "core/log.h"
#include "core/text.h"
#include "lattice/control_json.h"
#include "lattice/subjects.h"

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

}  // namespace

ControlServer::ControlServer(std::shared_ptr<lattice::Transport> transport,
                             ControlServerOptions options, lattice::ControlHandler& handler,
                             const lattice::LatticeStore& store)
    : transport_(std::move(transport)),
      options_(std::move(options)),
      handler_(handler),
      store_(store),
      executor_("wc-control", options_.threads, options_.max_queued) {}

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
  commands_.WaitAll();
}

void ControlServer::OnMessage(Kind kind, lattice::Message message) {
  auto shared = std::make_shared<lattice::Message>(std::move(message));
  if (executor_.TrySubmit([this, kind, shared] { Handle(kind, *shared); })) return;
  if (kind == Kind::kCommand) {
    // Every command's ack has a "failure" member but upd's; a busy host says so.
    const std::string op = shared->subject.substr(shared->subject.rfind('.') + 1);
    const std::string why = "host busy: too many control requests queued; try again";
    if (op == "upd") {
      Reply(*shared, cj::UpdateActorAck(false));
    } else if (op == "la") {
      Reply(*shared, cj::StartActorAck(options_.host_id, "", why));
    } else if (op == "lp") {
      Reply(*shared, cj::StartProviderAck(options_.host_id, "", why));
    } else {
      Reply(*shared, cj::StopActorAck(why));
    }
  }
  Log(LogLevel::kWarn, kLog, "dropped a control request on " + shared->subject + ": queue full");
}

void ControlServer::Reply(const lattice::Message& request, const std::string& json) {
  if (request.reply.empty()) return;  // nobody to answer
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
    case Kind::kClaims: {
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
        }
        v.rev = std::to_string(rev);
        out.push_back(std::move(v));
      }
      Reply(m, cj::ClaimsJson(out));
      return;
    }
    case Kind::kActorAuction: {
      auto req = cj::ParseActorAuction(m.data);
      if (!req.ok()) {
        Log(LogLevel::kWarn, kLog,
            EscapeLogText("ignored an actor auction: " + req.status().message()));
        return;
      }
      // Only hosts that qualify answer.
      if (handler_.QualifiesForActor(req->actor_ref, req->constraints)) {
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
      if (handler_.QualifiesForProvider(req->provider_ref, req->link_name, req->constraints)) {
        Reply(m, cj::ProviderAuctionAck(*req, options_.host_id));
      }
      return;
    }
    case Kind::kCommand:
      HandleCommand(m);
      return;
  }
}

void ControlServer::HandleCommand(const lattice::Message& m) {
  const std::string op = m.subject.substr(m.subject.rfind('.') + 1);
  lattice::ControlHandler& h = handler_;
  if (op == "la") {
    auto cmd = cj::ParseStartActor(m.data);
    if (!cmd.ok()) {
      Reply(m, cj::StartActorAck(options_.host_id, "",
                                 "Bad StartActor command received: " + cmd.status().message()));
      return;
    }
    // 0.18: refused at once when it already runs here; else acknowledged, then fetched.
    if (!h.QualifiesForActor(cmd->actor_ref, {})) {
      Reply(m, cj::StartActorAck(options_.host_id, cmd->actor_ref,
                                 "Actor with image ref '" + cmd->actor_ref +
                                     "' is already running on this host"));
      return;
    }
    Reply(m, cj::StartActorAck(options_.host_id, cmd->actor_ref, std::nullopt));
    Log(LogLevel::kInfo, kLog,
        EscapeLogText("starting actor " + cmd->actor_ref + " (control command)"));
    commands_.Run([&h, ref = cmd->actor_ref] {
      if (Status s = h.StartActor(ref); !s.ok()) {
        Log(LogLevel::kError, kLog,
            EscapeLogText("cannot start actor " + ref + " (control command): " + s.message()));
      }
    });
  } else if (op == "sa") {
    auto cmd = cj::ParseStopActor(m.data);
    if (!cmd.ok()) {
      Reply(m, cj::StopActorAck("Failed to deserialize stop actor command: " +
                                cmd.status().message()));
      return;
    }
    Reply(m, cj::StopActorAck(FailureOf(h.StopActor(cmd->actor_ref))));
  } else if (op == "lp") {
    auto cmd = cj::ParseStartProvider(m.data);
    if (!cmd.ok()) {
      Reply(m,
            cj::StartProviderAck(options_.host_id, "",
                                 "Bad StartProvider command received: " + cmd.status().message()));
      return;
    }
    if (!h.QualifiesForProvider(cmd->provider_ref, cmd->link_name, {})) {
      Reply(m, cj::StartProviderAck(options_.host_id, cmd->provider_ref,
                                    "Provider with image ref '" + cmd->provider_ref +
                                        "' is already running on this host."));
      return;
    }
    Reply(m, cj::StartProviderAck(options_.host_id, cmd->provider_ref, std::nullopt));
    Log(LogLevel::kInfo, kLog,
        EscapeLogText("starting provider " + cmd->provider_ref + " (control command)"));
    commands_.Run([&h, ref = cmd->provider_ref, link = cmd->link_name] {
      if (Status s = h.StartProvider(ref, link); !s.ok()) {
        Log(LogLevel::kError, kLog,
            EscapeLogText("cannot start provider " + ref + " (control command): " + s.message()));
      }
    });
  } else if (op == "sp") {
    auto cmd = cj::ParseStopProvider(m.data);
    if (!cmd.ok()) {
      Reply(m, cj::StopProviderAck("Failed to deserialize stop provider command: " +
                                   cmd.status().message()));
      return;
    }
    Reply(m, cj::StopProviderAck(
                 FailureOf(h.StopProvider(cmd->provider_ref, cmd->link_name, cmd->contract_id))));
  } else if (op == "upd") {
    auto cmd = cj::ParseUpdateActor(m.data);
    if (!cmd.ok()) {
      Log(LogLevel::kWarn, kLog,
          EscapeLogText("refused an update command: " + cmd.status().message()));
      Reply(m, cj::UpdateActorAck(false));
      return;
    }
    // Accepted when the actor runs here (QualifiesForActor is false exactly then) and
    // this host allows live updates; the update runs after the ack.
    bool running_here = !h.QualifiesForActor(cmd->actor_id, {});
    if (!running_here || !options_.live_updates) {
      Log(LogLevel::kWarn, kLog,
          EscapeLogText(
              "refused to update actor " + cmd->actor_id + " to " + cmd->new_actor_ref + ": " +
              (running_here ? "live updates are not allowed on this host (--allow-live-updates)"
                            : "it is not running on this host")));
      Reply(m, cj::UpdateActorAck(false));
      return;
    }
    Reply(m, cj::UpdateActorAck(true));
    commands_.Run([&h, id = cmd->actor_id, ref = cmd->new_actor_ref] {
      if (Status s = h.UpdateActor(id, ref); !s.ok()) {
        Log(LogLevel::kError, kLog,
            EscapeLogText("live update of actor " + id + " to " + ref +
                          " failed (control command): " + s.message()));
      }
    });
  } else {
    Log(LogLevel::kWarn, kLog, "ignored an unknown control command on " + m.subject);
  }
}

}  // namespace wasmcloud::host
