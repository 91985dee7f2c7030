#include "lattice/memory_transport.h"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "lattice/subjects.h"

namespace wasmcloud::lattice {
namespace {

// True when the subscription `pattern` (wildcards allowed) covers `subject` (none).
bool Matches(const std::vector<std::string>& pattern,
             const std::vector<std::string_view>& subject) {
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == ">") return subject.size() > i;
    if (i >= subject.size()) return false;
    if (pattern[i] != "*" && pattern[i] != subject[i]) return false;
  }
  return pattern.size() == subject.size();
}

// One subscription's strand. Every field is guarded by Broker::mu, except that `handler`
// is called without the lock by the one delivery thread that set `running`.
struct SubState {
  std::string subject;
  std::vector<std::string> pattern;  // tokens, for wildcard subscriptions only
  std::string queue_group;
  MessageHandler handler;
  std::deque<Message> queue;
  bool scheduled = false;  // in Broker::ready, or being run by a delivery thread
  bool running = false;    // the handler is running on thread `runner`
  bool cancelled = false;  // the Subscription was destroyed
  std::thread::id runner;
  std::condition_variable idle;  // signalled when `running` becomes false
};

// A Request waiting for its reply. Guarded by Broker::mu.
struct PendingRequest {
  std::optional<Message> reply;
  Status failure;  // set by Close
  std::condition_variable done;
};

// The in-process "server": the subscription table, the strands and their delivery
// threads, the requests waiting for a reply. Shared by the transport, its subscriptions
// and its delivery threads.
struct Broker {
  explicit Broker(MemoryTransportOptions o) : options(o) {}

  const MemoryTransportOptions options;
  std::atomic<uint64_t> published{0};

  std::mutex mu;  // guards everything below, and the SubState and PendingRequest fields
  bool closed = false;
  std::unordered_map<std::string, std::vector<std::shared_ptr<SubState>>> exact;
  std::vector<std::shared_ptr<SubState>> wildcard;
  std::deque<std::shared_ptr<SubState>> ready;  // strands with messages, not yet running
  std::condition_variable work;                 // signalled when `ready` grows or on Close
  std::unordered_map<std::string, std::shared_ptr<PendingRequest>> pending;  // by inbox
  std::string inbox_prefix;                                                  // "_INBOX.<random>."
  uint64_t next_inbox = 0;
  std::minstd_rand rng;  // picks the member of a queue group
  std::vector<std::thread> threads;

  // The subscriptions `subject` reaches: every plain one, one member of each queue group.
  std::vector<std::shared_ptr<SubState>> MatchLocked(std::string_view subject,
                                                     const std::vector<std::string_view>& tokens);
  void EnqueueLocked(const std::shared_ptr<SubState>& sub, Message message);
  // Delivers to `targets`, counts the message, and hands a reply to a waiting Request.
  void SendLocked(const std::vector<std::shared_ptr<SubState>>& targets, Message message);
  void RemoveLocked(const std::shared_ptr<SubState>& sub);
  void RunDelivery();
};

class MemorySubscription final : public Subscription {
 public:
  MemorySubscription(std::shared_ptr<Broker> state, std::shared_ptr<SubState> sub)
      : state_(std::move(state)), sub_(std::move(sub)) {}
  ~MemorySubscription() override;

 private:
  std::shared_ptr<Broker> state_;
  std::shared_ptr<SubState> sub_;
};

std::vector<std::shared_ptr<SubState>> Broker::MatchLocked(
    std::string_view subject, const std::vector<std::string_view>& tokens) {
  std::vector<std::shared_ptr<SubState>> plain;
  std::vector<std::shared_ptr<SubState>> queued;
  auto add = [&](const std::shared_ptr<SubState>& s) {
    (s->queue_group.empty() ? plain : queued).push_back(s);
  };
  if (auto it = exact.find(std::string(subject)); it != exact.end()) {
    for (const auto& s : it->second) add(s);
  }
  for (const auto& s : wildcard) {
    if (Matches(s->pattern, tokens)) add(s);
  }
  // Group the queue subscribers by group name (as nats-server does, across the patterns
  // that match) and pick one member of each at random.
  std::stable_sort(queued.begin(), queued.end(),
                   [](const auto& a, const auto& b) { return a->queue_group < b->queue_group; });
  for (size_t i = 0; i < queued.size();) {
    size_t end = i + 1;
    while (end < queued.size() && queued[end]->queue_group == queued[i]->queue_group) ++end;
    std::uniform_int_distribution<size_t> pick(i, end - 1);
    plain.push_back(queued[pick(rng)]);
    i = end;
  }
  return plain;
}

void Broker::EnqueueLocked(const std::shared_ptr<SubState>& sub, Message message) {
  sub->queue.push_back(std::move(message));
  if (!sub->scheduled) {
    sub->scheduled = true;
    ready.push_back(sub);
    work.notify_one();
  }
}

void Broker::SendLocked(const std::vector<std::shared_ptr<SubState>>& targets, Message message) {
  published.fetch_add(1, std::memory_order_relaxed);
  if (!pending.empty()) {
    if (auto it = pending.find(message.subject); it != pending.end() && !it->second->reply) {
      // A reply goes straight to its requester: it needs no delivery thread, so a
      // requester is answered even while every delivery thread is busy.
      it->second->reply = message;
      it->second->done.notify_one();
    }
  }
  for (size_t i = 0; i < targets.size(); ++i) {
    if (i + 1 == targets.size()) {
      EnqueueLocked(targets[i], std::move(message));
    } else {
      EnqueueLocked(targets[i], message);
    }
  }
}

void Broker::RemoveLocked(const std::shared_ptr<SubState>& sub) {
  if (sub->pattern.empty()) {
    auto it = exact.find(sub->subject);
    if (it == exact.end()) return;
    std::erase(it->second, sub);
    if (it->second.empty()) exact.erase(it);
  } else {
    std::erase(wildcard, sub);
  }
}

void Broker::RunDelivery() {
  std::unique_lock lock(mu);
  for (;;) {
    work.wait(lock, [&] { return closed || !ready.empty(); });
    if (closed) return;
    std::shared_ptr<SubState> sub = std::move(ready.front());
    ready.pop_front();
    if (sub->cancelled || sub->queue.empty()) {
      sub->scheduled = false;
      continue;
    }
    // One message per turn, then the strand goes to the back of the line: a busy
    // subscription does not starve the others.
    Message message = std::move(sub->queue.front());
    sub->queue.pop_front();
    sub->running = true;
    sub->runner = std::this_thread::get_id();
    lock.unlock();
    sub->handler(std::move(message));
    lock.lock();
    if (sub->cancelled) {
      // Unsubscribed from inside the handler (or while it ran): the handler's captures
      // go now, before anyone waiting in the destructor is released.
      MessageHandler handler = std::move(sub->handler);
      std::deque<Message> dropped = std::move(sub->queue);
      lock.unlock();
      handler = nullptr;
      dropped.clear();
      lock.lock();
    }
    sub->running = false;
    sub->runner = {};
    if (!sub->cancelled && !sub->queue.empty() && !closed) {
      ready.push_back(sub);
      work.notify_one();
    } else {
      sub->scheduled = false;
    }
    sub->idle.notify_all();
  }
}

MemorySubscription::~MemorySubscription() {
  std::unique_lock lock(state_->mu);
  sub_->cancelled = true;
  state_->RemoveLocked(sub_);
  std::deque<Message> dropped = std::move(sub_->queue);
  sub_->queue.clear();
  if (sub_->running && sub_->runner == std::this_thread::get_id()) {
    // From inside our own handler: the delivery thread finishes the clean-up when the
    // handler returns, and starts no further call.
    lock.unlock();
    return;
  }
  sub_->idle.wait(lock, [&] { return !sub_->running; });
  MessageHandler handler = std::move(sub_->handler);
  lock.unlock();
  // `handler` and `dropped` are destroyed here, without the lock.
}

}  // namespace

struct MemoryTransport::State : Broker {
  using Broker::Broker;
};

MemoryTransport::MemoryTransport(MemoryTransportOptions options)
    : state_(std::make_shared<State>(options)) {
  std::random_device random;
  std::seed_seq seed{random(), random(), random(), random()};
  std::mt19937_64 bits(seed);
  char id[17];
  std::snprintf(id, sizeof id, "%016llx", static_cast<unsigned long long>(bits()));
  state_->inbox_prefix = "_INBOX." + std::string(id) + ".";
  state_->rng.seed(static_cast<std::minstd_rand::result_type>(bits()));
  unsigned n = std::max(1u, options.delivery_threads);
  std::lock_guard lock(state_->mu);
  for (unsigned i = 0; i < n; ++i) {
    state_->threads.emplace_back([state = state_] { state->RunDelivery(); });
  }
}

MemoryTransport::~MemoryTransport() { Close(); }

void MemoryTransport::Close() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(state_->mu);
    state_->closed = true;
    for (auto& [inbox, request] : state_->pending) {
      if (!request->reply) {
        request->failure = DeadlineExceeded(
            "transport closed while waiting for a reply (the request may have "
            "been delivered)");
        request->done.notify_one();
      }
    }
    // Undelivered messages are dropped; subscriptions stay until their owners drop them.
    for (const auto& sub : state_->ready) sub->scheduled = false;
    state_->ready.clear();
    for (auto& [subject, subs] : state_->exact) {
      for (const auto& sub : subs) sub->queue.clear();
    }
    for (const auto& sub : state_->wildcard) sub->queue.clear();
    threads = std::move(state_->threads);
    state_->threads.clear();
    state_->work.notify_all();
  }
  for (std::thread& t : threads) {
    // Closed from inside a handler: that delivery thread ends when the handler returns
    // (it holds the state).
    if (t.get_id() == std::this_thread::get_id()) {
      t.detach();
    } else {
      t.join();
    }
  }
}

Status MemoryTransport::Publish(std::string_view subject, ByteView data, std::string_view reply,
                                const Headers& headers) {
  std::vector<std::string_view> tokens;
  WC_RETURN_IF_ERROR(ValidateSubject(subject, /*wildcards=*/false, &tokens));
  if (!reply.empty()) {
    std::vector<std::string_view> reply_tokens;
    WC_RETURN_IF_ERROR(
        ValidateSubject(reply, /*wildcards=*/false, &reply_tokens).WithContext("reply subject"));
  }
  if (data.size() > state_->options.max_payload) {
    return ResourceExhausted("message of " + std::to_string(data.size()) +
                             " bytes exceeds the maximum payload of " +
                             std::to_string(state_->options.max_payload));
  }
  Message message{std::string(subject), std::string(reply), Bytes(data.begin(), data.end()),
                  headers};
  std::lock_guard lock(state_->mu);
  if (state_->closed) return Unavailable("transport closed");
  state_->SendLocked(state_->MatchLocked(subject, tokens), std::move(message));
  return Status::Ok();
}

Result<Message> MemoryTransport::Request(std::string_view subject, ByteView data,
                                         std::chrono::milliseconds timeout,
                                         const Headers& headers) {
  std::vector<std::string_view> tokens;
  WC_RETURN_IF_ERROR(ValidateSubject(subject, /*wildcards=*/false, &tokens));
  if (data.size() > state_->options.max_payload) {
    return ResourceExhausted("request of " + std::to_string(data.size()) +
                             " bytes exceeds the maximum payload of " +
                             std::to_string(state_->options.max_payload));
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto request = std::make_shared<PendingRequest>();
  std::unique_lock lock(state_->mu);
  if (state_->closed) return Unavailable("transport closed");
  std::vector<std::shared_ptr<SubState>> targets = state_->MatchLocked(subject, tokens);
  if (targets.empty()) return NotFound("no responders for " + std::string(subject));
  std::string inbox = state_->inbox_prefix + std::to_string(state_->next_inbox++);
  state_->pending.emplace(inbox, request);
  state_->SendLocked(
      targets, Message{std::string(subject), inbox, Bytes(data.begin(), data.end()), headers});
  request->done.wait_until(lock, deadline,
                           [&] { return request->reply.has_value() || !request->failure.ok(); });
  state_->pending.erase(inbox);
  if (request->reply) return std::move(*request->reply);
  if (!request->failure.ok()) return request->failure;
  return DeadlineExceeded("no reply to the request on " + std::string(subject) + " within " +
                          std::to_string(timeout.count()) + " ms");
}

Result<std::unique_ptr<Subscription>> MemoryTransport::Subscribe(std::string_view subject,
                                                                 std::string_view queue_group,
                                                                 MessageHandler handler) {
  std::vector<std::string_view> tokens;
  WC_RETURN_IF_ERROR(ValidateSubject(subject, /*wildcards=*/true, &tokens));
  WC_RETURN_IF_ERROR(ValidateQueueGroup(queue_group));
  if (!handler) return InvalidArgument("subscription to " + std::string(subject) + ": no handler");
  auto sub = std::make_shared<SubState>();
  sub->subject = std::string(subject);
  if (std::any_of(tokens.begin(), tokens.end(), [](auto t) { return t == "*" || t == ">"; })) {
    sub->pattern.assign(tokens.begin(), tokens.end());
  }
  sub->queue_group = std::string(queue_group);
  sub->handler = std::move(handler);
  std::lock_guard lock(state_->mu);
  if (state_->closed) return Unavailable("transport closed");
  if (sub->pattern.empty()) {
    state_->exact[sub->subject].push_back(sub);
  } else {
    state_->wildcard.push_back(sub);
  }
  return std::unique_ptr<Subscription>(std::make_unique<MemorySubscription>(state_, sub));
}

Status MemoryTransport::Flush(std::chrono::milliseconds /*timeout*/) {
  // Subscriptions and messages take effect inside the call that makes them.
  std::lock_guard lock(state_->mu);
  if (state_->closed) return Unavailable("transport closed");
  return Status::Ok();
}

size_t MemoryTransport::MaxPayload() const { return state_->options.max_payload; }

uint64_t MemoryTransport::published() const {
  return state_->published.load(std::memory_order_relaxed);
}

}  // namespace wasmcloud::lattice
