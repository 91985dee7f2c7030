#include "provider/guarded_provider.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "core/log.h"
#include "core/text.h"
#include "provider/host_gate.h"

namespace wasmcloud::provider {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::string_view kLog = "provider";
// A lane's thread with nothing to do for this long ends (another starts when needed).
constexpr std::chrono::seconds kIdleThread{10};

std::string Ms(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

// One piece of work handed to a lane. `fn` is dropped before `done` is set, so that
// whatever it holds is released by the time its caller returns.
struct Task {
  std::function<void()> fn;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;       // guarded by mu
  bool abandoned = false;  // guarded by mu: the caller stopped waiting
};

// Threads that run tasks in the order they came, up to `max_threads` at once, started on
// demand. The threads are detached: one stuck in a task is left there, and the lane's
// state lives as long as any of them.
class Lane {
 public:
  Lane(std::string name, size_t max_threads)
      : state_(std::make_shared<State>(std::move(name), std::max<size_t>(1, max_threads))) {}
  ~Lane() { Close(); }
  Lane(const Lane&) = delete;
  Lane& operator=(const Lane&) = delete;

  // Runs `fn` on a thread of the lane. True once it returned; false when `deadline` came
  // first (a task that had not started then never runs).
  bool Run(std::function<void()> fn, Clock::time_point deadline) {
    auto task = std::make_shared<Task>();
    task->fn = std::move(fn);
    State& s = *state_;
    {
      std::lock_guard lock(s.mu);
      s.queue.push_back(task);
      if (s.queue.size() > s.idle && s.threads < s.max_threads) {
        try {
          std::thread([state = state_] { Work(state); }).detach();
          ++s.threads;
        } catch (const std::system_error& e) {
          // The task waits for a thread that is there (or its deadline).
          Log(LogLevel::kWarn, kLog, s.name + ": cannot start a thread: " + e.what());
        }
      }
    }
    s.cv.notify_one();
    std::unique_lock lock(task->mu);
    if (task->cv.wait_until(lock, deadline, [&] { return task->done; })) return true;
    task->abandoned = true;
    return false;
  }

  // No thread waits for more work once the queue is empty; stuck ones end when they return.
  void Close() {
    {
      std::lock_guard lock(state_->mu);
      state_->closed = true;
    }
    state_->cv.notify_all();
  }

 private:
  struct State {
    State(std::string n, size_t max) : name(std::move(n)), max_threads(max) {}
    const std::string name;
    const size_t max_threads;
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::shared_ptr<Task>> queue;  // guarded by mu
    size_t threads = 0;                       // guarded by mu
    size_t idle = 0;                          // guarded by mu: threads waiting for a task
    bool closed = false;                      // guarded by mu
  };

  static void Work(const std::shared_ptr<State>& state) {
    State& s = *state;
    std::unique_lock lock(s.mu);
    for (;;) {
      if (s.queue.empty()) {
        if (s.closed) break;
        ++s.idle;
        const bool woken =
            s.cv.wait_for(lock, kIdleThread, [&] { return !s.queue.empty() || s.closed; });
        --s.idle;
        if (!woken || s.queue.empty()) break;
      }
      std::shared_ptr<Task> task = std::move(s.queue.front());
      s.queue.pop_front();
      lock.unlock();
      bool run;
      {
        std::lock_guard task_lock(task->mu);
        run = !task->abandoned;
      }
      if (run) {
        try {
          task->fn();
        } catch (...) {
          // The task's result stays unset; its caller reports that.
        }
      }
      task->fn = nullptr;
      {
        std::lock_guard task_lock(task->mu);
        task->done = true;
      }
      task->cv.notify_all();
      lock.lock();
    }
    --s.threads;
  }

  std::shared_ptr<State> state_;
};

// The ProviderHost the guarded provider sees: the real one until Detach (a HostGate), an
// error after.
class HostProxy final : public ProviderHost {
 public:
  explicit HostProxy(std::string display) : display_(std::move(display)) {}

  void Attach(ProviderHost* host) { gate_.Attach(host); }
  void Detach() { gate_.Detach(); }

  Result<Bytes> CallActor(std::string_view actor, std::string_view operation,
                          ByteView payload) override {
    HostGate::Hold f(gate_);
    if (f.host() == nullptr) return Stopped();
    return f.host()->CallActor(actor, operation, payload);
  }

  void Log(LogLevel level, std::string_view message) override {
    HostGate::Hold f(gate_);
    if (f.host() == nullptr) {
      wasmcloud::Log(level, kLog, EscapeLogText(display_ + ": " + std::string(message)));
      return;
    }
    f.host()->Log(level, message);
  }

  void Count(std::string_view name, std::string_view labels, uint64_t add) override {
    HostGate::Hold f(gate_);
    if (f.host() != nullptr) f.host()->Count(name, labels, add);
  }

  void OnSupervision(Supervision what, std::string_view detail) override {
    HostGate::Hold f(gate_);
    if (f.host() != nullptr) f.host()->OnSupervision(what, detail);
  }

 private:
  Status Stopped() const {
    return Unavailable(display_ + ": the provider is stopped; the host no longer takes its calls");
  }

  const std::string display_;
  HostGate gate_;
};

// What the tasks hold: a task stuck in the provider keeps it (and its library) alive.
struct Guarded {
  Guarded(std::shared_ptr<Provider> p, const std::string& display)
      : inner(std::move(p)), proxy(display) {}
  std::shared_ptr<Provider> inner;
  HostProxy proxy;
};

class GuardedProvider final : public Provider {
 public:
  GuardedProvider(std::shared_ptr<Provider> inner, GuardOptions options)
      : options_(std::move(options)),
        descriptor_(inner->Describe()),
        guarded_(std::make_shared<Guarded>(std::move(inner), options_.display)),
        control_(options_.display + " (control)", 1),
        calls_(options_.display + " (calls)", options_.max_call_threads) {}

  ~GuardedProvider() override {
    if (!stopped_.exchange(true)) {
      // Never stopped (its Start failed, or the host went without Stop): stop it here,
      // bounded like Stop.
      guarded_->proxy.Detach();
      (void)Control<Status>("stop", options_.control_timeout, [](Provider& p) {
        p.Stop();
        return Status::Ok();
      });
    }
    calls_.Close();
    if (control_stuck_.load(std::memory_order_acquire)) {
      // The stuck control call holds the provider; it goes when that call returns.
      Log(LogLevel::kWarn, kLog,
          options_.display +
              ": the provider is still stuck in a control call; it is destroyed (and its "
              "library unloaded) if that call ever returns");
      guarded_.reset();
    } else {
      // The last reference goes on the control thread, bounded: destroy runs the
      // library's code. A call stuck in the provider keeps its own reference.
      auto last = std::make_shared<std::shared_ptr<Guarded>>(std::move(guarded_));
      if (!control_.Run([last] { last->reset(); }, Clock::now() + options_.control_timeout)) {
        Log(LogLevel::kWarn, kLog,
            options_.display + ": the provider's destroy did not return within " +
                Ms(options_.control_timeout) + "; it is left to finish on its own");
      }
    }
    control_.Close();
  }

  GuardedProvider(const GuardedProvider&) = delete;
  GuardedProvider& operator=(const GuardedProvider&) = delete;

  ProviderDescriptor Describe() const override { return descriptor_; }

  Status Start(ProviderHost* host) override {
    guarded_->proxy.Attach(host);
    Status s = Control<Status>("start", options_.control_timeout,
                               [g = guarded_.get()](Provider& p) { return p.Start(&g->proxy); });
    // The host calls nothing more after a failed Start, and may go: so must the proxy.
    if (!s.ok()) guarded_->proxy.Detach();
    return s;
  }

  Status BindActor(std::string_view actor, const LinkValues& values) override {
    return Control<Status>(
        "bind_actor", options_.control_timeout,
        [actor = std::string(actor), values](Provider& p) { return p.BindActor(actor, values); });
  }

  Status RemoveActor(std::string_view actor) override {
    return Control<Status>(
        "remove_actor", options_.control_timeout,
        [actor = std::string(actor)](Provider& p) { return p.RemoveActor(actor); });
  }

  Result<Bytes> HandleCall(std::string_view actor, std::string_view operation,
                           ByteView payload) override {
    if (stopped_.load(std::memory_order_acquire)) return StoppedError();
    auto result = std::make_shared<std::optional<Result<Bytes>>>();
    const bool returned = calls_.Run(
        [g = guarded_, result, actor = std::string(actor), operation = std::string(operation),
         payload = Bytes(payload.begin(), payload.end())] {
          *result = g->inner->HandleCall(actor, operation, payload);
        },
        Clock::now() + options_.call_timeout);
    if (!returned) return TimedOut("the call " + std::string(operation), options_.call_timeout);
    if (!result->has_value()) return Threw("the call " + std::string(operation));
    return std::move(**result);
  }

  Status Health() override {
    return Control<Status>("health", options_.health_timeout,
                           [](Provider& p) { return p.Health(); });
  }

  void Stop() override {
    if (stopped_.exchange(true)) return;
    Status s = Control<Status>("stop", options_.control_timeout, [](Provider& p) {
      p.Stop();
      return Status::Ok();
    });
    if (!s.ok()) {
      Log(LogLevel::kWarn, kLog, s.message() + "; it is left to finish on its own");
    }
    guarded_->proxy.Detach();
  }

 private:
  // Runs `fn` on the control thread with the deadline `timeout`.
  template <typename T, typename Fn>
  T Control(std::string_view what, std::chrono::milliseconds timeout, Fn fn) {
    auto result = std::make_shared<std::optional<T>>();
    const bool returned = control_.Run(
        [g = guarded_, result, fn = std::move(fn)]() mutable { *result = fn(*g->inner); },
        Clock::now() + timeout);
    if (!returned) {
      control_stuck_.store(true, std::memory_order_release);
      return TimedOut(std::string(what), timeout);
    }
    if (!result->has_value()) return Threw(std::string(what));
    return std::move(**result);
  }

  Status TimedOut(const std::string& what, std::chrono::milliseconds timeout) const {
    return DeadlineExceeded(options_.display + ": the provider did not answer " + what +
                            " within " + Ms(timeout) +
                            " (it runs in the host's process, so it cannot be stopped; run "
                            "it with isolation: process to have it restarted)");
  }

  Status Threw(const std::string& what) const {
    return Internal(options_.display + ": " + what + " threw an exception");
  }

  Status StoppedError() const {
    return Unavailable(options_.display + ": the provider is stopped");
  }

  const GuardOptions options_;
  const ProviderDescriptor descriptor_;
  std::shared_ptr<Guarded> guarded_;
  std::atomic<bool> stopped_{false};
  std::atomic<bool> control_stuck_{false};  // a control call timed out (it may still run)
  Lane control_;
  Lane calls_;
};

}  // namespace

std::shared_ptr<Provider> GuardProvider(std::shared_ptr<Provider> inner, GuardOptions options) {
  return std::make_shared<GuardedProvider>(std::move(inner), std::move(options));
}

Result<std::shared_ptr<Provider>> LoadWithDeadline(
    std::function<Result<std::shared_ptr<Provider>>()> load, const std::string& display,
    std::chrono::milliseconds timeout) {
  struct Slot {
    std::mutex mu;
    std::condition_variable cv;
    std::optional<Result<std::shared_ptr<Provider>>> result;  // guarded by mu
    bool abandoned = false;                                   // guarded by mu
  };
  auto slot = std::make_shared<Slot>();
  try {
    std::thread([slot, load = std::move(load)] {
      Result<std::shared_ptr<Provider>> loaded = [&]() -> Result<std::shared_ptr<Provider>> {
        try {
          return load();
        } catch (const std::exception& e) {
          return Internal(std::string("loading the provider threw: ") + e.what());
        } catch (...) {
          return Internal("loading the provider threw");
        }
      }();
      std::shared_ptr<Provider> late;  // created after its caller gave up: dropped here
      {
        std::lock_guard lock(slot->mu);
        if (slot->abandoned) {
          if (loaded.ok()) late = *std::move(loaded);
        } else {
          slot->result.emplace(std::move(loaded));
        }
      }
      slot->cv.notify_all();
      late.reset();
    }).detach();
  } catch (const std::system_error& e) {
    return Unavailable(display + ": cannot start a thread to load the provider: " + e.what());
  }
  std::unique_lock lock(slot->mu);
  if (!slot->cv.wait_for(lock, timeout, [&] { return slot->result.has_value(); })) {
    slot->abandoned = true;
    return DeadlineExceeded(display + ": the provider's create did not return within " +
                            Ms(timeout) +
                            " (it runs in the host's process, so it cannot be stopped; run it "
                            "with isolation: process to have it killed)");
  }
  return std::move(*slot->result);
}

}  // namespace wasmcloud::provider
