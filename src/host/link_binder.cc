#include "host/link_binder.h"

#include <algorithm>
#include <chrono>
#include <system_error>

#include "core/log.h"

namespace wasmcloud::host {
namespace {

constexpr std::string_view kLog = "host";

std::string Join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += sep;
    out += items[i];
  }
  return out;
}

}  // namespace

provider::LinkValues LinkBinder::BindValues(const lattice::LinkDefinition& link,
                                            const crypto::ActorClaims& claims) {
  provider::LinkValues values = link.values;
  const crypto::ActorMetadata empty;
  const crypto::ActorMetadata& md = claims.wascap ? *claims.wascap : empty;
  values["__wasmcloud_issuer"] = claims.iss;
  values["__wasmcloud_capabilities"] = md.caps ? Join(*md.caps, ",") : "";
  values["__wasmcloud_name"] = md.name.value_or("");
  values["__wasmcloud_expires"] = std::to_string(claims.exp.value_or(0));
  values["__wasmcloud_tags"] = md.tags ? Join(*md.tags, ",") : "";
  return values;
}

struct LinkBinder::Lane {
  std::mutex mu;
  std::condition_variable cv;    // a task ran (waiters)
  std::condition_variable work;  // a task was queued, or the lane closed (its thread)
  std::deque<std::pair<uint64_t, std::function<void()>>> queue;  // guarded by mu
  uint64_t next = 1;     // the next ticket's number; guarded by mu
  uint64_t done = 0;     // tickets up to this one ran or were dropped; guarded by mu
  bool running = false;  // a thread serves the queue; guarded by mu
  bool closed = false;   // guarded by mu
  std::pair<std::string, std::string> key;  // (provider key, link name) in lanes_
};

namespace {
thread_local const void* t_lane = nullptr;  // the lane whose thread this is
}  // namespace

LinkBinder::~LinkBinder() { Close(); }

LinkBinder::Ticket LinkBinder::Enqueue(const std::string& provider_id, const std::string& link_name,
                                       std::function<void()> task) {
  // Nothing runs for a provider that is not here: a provider that starts later binds what
  // exists then (BindProvider).
  if (!providers_.Find(provider_id, link_name)) return {};
  // lanes_mu_ is held until the task is queued: a lane whose thread ends for want of work
  // leaves lanes_ under it, so no task is queued on a lane that nothing will serve.
  std::lock_guard<std::mutex> map_lock(lanes_mu_);
  if (closed_) return {};
  std::shared_ptr<Lane>& slot = lanes_[{provider_id, link_name}];
  if (!slot) {
    slot = std::make_shared<Lane>();
    slot->key = {provider_id, link_name};
  }
  std::shared_ptr<Lane> lane = slot;
  std::lock_guard<std::mutex> lock(lane->mu);
  const uint64_t number = lane->next++;
  lane->queue.emplace_back(number, std::move(task));
  if (lane->running) {
    lane->work.notify_one();
  } else {
    try {
      // Detached: it ends on its own (RunLane), and Close waits for it through `running`.
      std::thread([this, lane] { RunLane(lane); }).detach();
      lane->running = true;
    } catch (const std::system_error& e) {
      // No thread: run nothing, and say so; a waiter is released.
      Log(LogLevel::kError, kLog,
          std::string("cannot start a thread for the binds of provider ") + provider_id + ": " +
              e.what());
      lane->queue.clear();
      lane->done = lane->next - 1;
      lane->cv.notify_all();
    }
  }
  return {lane, number};
}

void LinkBinder::RunLane(const std::shared_ptr<Lane>& lane) {
  t_lane = lane.get();
  std::unique_lock<std::mutex> lock(lane->mu);
  while (!lane->closed) {
    if (lane->queue.empty()) {
      if (lane->work.wait_for(lock, lane_linger_,
                              [&] { return lane->closed || !lane->queue.empty(); })) {
        continue;
      }
      // Idle for lane_linger_: the lane leaves lanes_ (the next task makes a new one) unless
      // work came while the locks were taken in their order.
      lock.unlock();
      std::lock_guard<std::mutex> map_lock(lanes_mu_);
      lock.lock();
      if (lane->closed || !lane->queue.empty()) continue;
      auto it = lanes_.find(lane->key);
      if (it != lanes_.end() && it->second == lane) lanes_.erase(it);
      break;
    }
    auto [number, task] = std::move(lane->queue.front());
    lane->queue.pop_front();
    lock.unlock();
    task();
    task = nullptr;  // what it holds goes before the waiter learns it ran
    lock.lock();
    // Close may have moved it past this task already: never back.
    lane->done = std::max(lane->done, number);
    lane->cv.notify_all();
  }
  // From here on nothing of the binder is touched: Close may return and the binder go.
  lane->running = false;
  lane->cv.notify_all();
}

void LinkBinder::Wait(const Ticket& ticket) {
  if (!ticket.lane || t_lane == ticket.lane.get()) return;
  Lane& lane = *ticket.lane;
  std::unique_lock<std::mutex> lock(lane.mu);
  lane.cv.wait(lock, [&] { return lane.done >= ticket.number; });
}

void LinkBinder::Close() {
  std::map<std::pair<std::string, std::string>, std::shared_ptr<Lane>> lanes;
  {
    std::lock_guard<std::mutex> lock(lanes_mu_);
    closed_ = true;
    lanes.swap(lanes_);
  }
  for (auto& entry : lanes) {
    const std::shared_ptr<Lane>& lane =
        entry.second;  // (clang: no structured binding in the lambda)
    std::unique_lock<std::mutex> lock(lane->mu);
    lane->closed = true;
    lane->queue.clear();
    lane->done = lane->next - 1;  // a task still running finishes; its waiter goes now
    lane->cv.notify_all();
    lane->work.notify_all();  // a thread waiting for work ends
    // Closed from inside one of this lane's tasks: its thread ends after the task.
    if (t_lane == lane.get()) continue;
    lane->cv.wait(lock, [&] { return !lane->running; });
  }
}

size_t LinkBinder::lane_count() const {
  std::lock_guard<std::mutex> lock(lanes_mu_);
  return lanes_.size();
}

Status LinkBinder::Record(const lattice::LinkDefinition& link, Status s) {
  std::lock_guard<std::mutex> lock(results_mu_);
  results_[lattice::LinkId(link.actor_id, link.contract_id, link.link_name)] =
      BindResult{link.provider_id + "/" + link.link_name, s};
  return s;
}

void LinkBinder::Forget(const lattice::LinkDefinition& link) {
  std::lock_guard<std::mutex> lock(results_mu_);
  auto it = results_.find(lattice::LinkId(link.actor_id, link.contract_id, link.link_name));
  if (it != results_.end() && it->second.provider == link.provider_id + "/" + link.link_name) {
    results_.erase(it);
  }
}

Status LinkBinder::Enforce(const lattice::LinkDefinition& link) {
  ProviderPtr entry = providers_.Find(link.provider_id, link.link_name);
  // Not served here (or not started yet: BindProvider binds it once it is).
  if (!entry || !entry->started.load()) return Record(link, Status::Ok());
  auto claims = store_.Claims(link.actor_id);
  if (!claims) return Record(link, Status::Ok());  // the actor has not been seen yet
  if (entry->contract_id != link.contract_id) {
    Status mismatch = FailedPrecondition("the link of actor " + link.actor_id + " names provider " +
                                         link.provider_id + " for " + link.contract_id +
                                         ", but that provider implements " + entry->contract_id);
    LogRefusal(LogLevel::kWarn, link, mismatch);
    return Record(link, mismatch);
  }
  const std::string& issuer = claims->claims.iss;
  if (!allowed_issuers_.empty() && std::find(allowed_issuers_.begin(), allowed_issuers_.end(),
                                             issuer) == allowed_issuers_.end()) {
    Status untrusted =
        PermissionDenied("provider " + entry->DisplayName() + " is not bound to actor " +
                         link.actor_id + ": it was issued by " + issuer +
                         ", which is not an allowed issuer of this host " + "(--allowed-issuer)");
    LogRefusal(LogLevel::kWarn, link, untrusted);
    return Record(link, untrusted);
  }
  Status s;
  {
    std::lock_guard<std::mutex> control(entry->control_mu);
    if (entry->stopping.load()) return Record(link, Status::Ok());
    s = entry->Guard([&] {
      return entry->provider->BindActor(link.actor_id, BindValues(link, claims->claims));
    });
  }
  if (!s.ok()) {
    Status refused(s.code(), "provider " + entry->DisplayName() + " refused to bind actor " +
                                 link.actor_id + ": " + s.message());
    LogRefusal(LogLevel::kError, link, refused);
    return Record(link, refused);
  }
  Log(LogLevel::kDebug, kLog, "bound actor " + link.actor_id + " to " + entry->DisplayName());
  return Record(link, Status::Ok());
}

void LinkBinder::LogRefusal(LogLevel level, const lattice::LinkDefinition& link,
                            const Status& refusal) const {
  // A link is often enforced twice in a row (the write's own answer, then the lattice
  // data's watch bringing it back): the same refusal again is said once.
  const Status previous = LastResult(link);
  const bool again = !previous.ok() && previous.message() == refusal.message();
  Log(again ? LogLevel::kDebug : level, kLog, refusal.message());
}

void LinkBinder::Remove(const lattice::LinkDefinition& link) {
  Forget(link);
  ProviderPtr entry = providers_.Find(link.provider_id, link.link_name);
  // Not started yet: it was never bound (BindProvider binds what exists once it is).
  if (!entry || !entry->started.load()) return;
  std::lock_guard<std::mutex> control(entry->control_mu);
  if (entry->stopping.load()) return;
  Status s = entry->Guard([&] { return entry->provider->RemoveActor(link.actor_id); });
  if (!s.ok()) {
    Log(LogLevel::kWarn, kLog,
        "provider " + entry->DisplayName() + " failed to remove actor " + link.actor_id + ": " +
            s.message());
  }
}

LinkBinder::Ticket LinkBinder::QueueEnforce(const lattice::LinkDefinition& link) {
  Ticket t = Enqueue(link.provider_id, link.link_name, [this, link] { (void)Enforce(link); });
  if (!t.lane) (void)Record(link, Status::Ok());  // its provider does not run here
  return t;
}

void LinkBinder::OnLinkPut(const lattice::LinkDefinition& link,
                           const std::optional<lattice::LinkDefinition>& previous) {
  // The link moved to another provider (or link name): the old one lets go of the actor.
  if (previous &&
      (previous->provider_id != link.provider_id || previous->link_name != link.link_name)) {
    const lattice::LinkDefinition old = *previous;
    Ticket t = Enqueue(old.provider_id, old.link_name, [this, old] { Remove(old); });
    if (!t.lane) Forget(old);
  }
  (void)QueueEnforce(link);  // refusals are logged and kept for LastResult
}

void LinkBinder::OnLinkDeleted(const lattice::LinkDefinition& link) {
  Ticket t = Enqueue(link.provider_id, link.link_name, [this, link] { Remove(link); });
  if (!t.lane) Forget(link);
}

void LinkBinder::OnClaims(const lattice::ClaimsRecord& record) {
  for (const auto& link : store_.LinksOfActor(record.claims.sub)) (void)QueueEnforce(link);
}

void LinkBinder::BindProvider(const ProviderPtr& entry) {
  // One task for all of them, reading the links when it runs: after every change queued
  // before it, so none is missed or applied out of order.
  Wait(Enqueue(entry->public_key, entry->link_name,
               [this, key = entry->public_key, name = entry->link_name] {
                 for (const auto& link : store_.LinksOfProvider(key, name)) (void)Enforce(link);
               }));
}

void LinkBinder::BindActorLinks(std::string_view actor_id) {
  std::vector<Ticket> tickets;
  for (const auto& link : store_.LinksOfActor(actor_id)) tickets.push_back(QueueEnforce(link));
  for (const Ticket& t : tickets) Wait(t);
}

Status LinkBinder::Rebind(const lattice::LinkDefinition& link) {
  auto result = std::make_shared<Status>(Status::Ok());
  Ticket t =
      Enqueue(link.provider_id, link.link_name, [this, link, result] { *result = Enforce(link); });
  if (!t.lane) return Record(link, Status::Ok());
  Wait(t);
  if (t_lane == t.lane.get()) return LastResult(link);  // not run yet: queued behind us
  return *result;
}

Status LinkBinder::Outcome(const lattice::LinkDefinition& link) {
  std::shared_ptr<Lane> lane;
  {
    std::lock_guard<std::mutex> lock(lanes_mu_);
    auto it = lanes_.find({link.provider_id, link.link_name});
    if (it != lanes_.end()) lane = it->second;
  }
  if (lane) {
    uint64_t last;
    {
      std::lock_guard<std::mutex> lock(lane->mu);
      last = lane->next - 1;
    }
    Wait({lane, last});
  }
  return LastResult(link);
}

bool LinkBinder::HasRefusals() const {
  std::lock_guard<std::mutex> lock(results_mu_);
  for (const auto& [id, outcome] : results_) {
    if (!outcome.status.ok()) return true;
  }
  return false;
}

Status LinkBinder::LastResult(const lattice::LinkDefinition& link) const {
  std::lock_guard<std::mutex> lock(results_mu_);
  auto it = results_.find(lattice::LinkId(link.actor_id, link.contract_id, link.link_name));
  return it == results_.end() ? Status::Ok() : it->second.status;
}

}  // namespace wasmcloud::host
