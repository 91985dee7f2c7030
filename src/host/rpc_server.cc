#include "host/rpc_server.h"

#include "core/log.h"
#include "core/text.h"
#include "lattice/subjects.h"

namespace wasmcloud::host {
namespace {
constexpr std::string_view kLog = "lattice";
}  // namespace

RpcServer::RpcServer(std::shared_ptr<lattice::Transport> transport, RpcServerOptions options,
                     Dispatcher& dispatcher)
    : transport_(std::move(transport)),
      options_(std::move(options)),
      dispatcher_(dispatcher),
      verifier_(options_.verifier),
      executor_("wc-inbound", options_.threads, options_.max_queued) {}

RpcServer::~RpcServer() { Stop(); }

Status RpcServer::Serve(const lattice::Entity& entity) {
  if (entity.is_capability()) {
    Status token = lattice::ValidateSubjectToken(entity.link_name);
    if (!token.ok()) {
      return InvalidArgument("provider " + entity.id +
                             " cannot be served on the lattice: link name \"" + entity.link_name +
                             "\": " + token.message());
    }
  }
  const std::string subject = lattice::RpcSubject(options_.lattice_name, entity);
  std::lock_guard<std::mutex> lock(mu_);
  if (stopped_) return FailedPrecondition("the host is stopping");
  if (subscriptions_.count(subject) != 0) return Status::Ok();
  auto sub = transport_->Subscribe(
      subject, subject, [this, entity](lattice::Message m) { OnMessage(entity, std::move(m)); });
  if (!sub.ok()) return sub.status().WithContext("cannot serve " + entity.ToString());
  subscriptions_.emplace(subject, std::move(*sub));
  return Status::Ok();
}

void RpcServer::Unserve(const lattice::Entity& entity) {
  std::unique_ptr<lattice::Subscription> sub;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = subscriptions_.find(lattice::RpcSubject(options_.lattice_name, entity));
    if (it == subscriptions_.end()) return;
    sub = std::move(it->second);
    subscriptions_.erase(it);
  }
  sub.reset();  // outside mu_: it waits for a handler that may be running
}

void RpcServer::Stop() {
  std::map<std::string, std::unique_ptr<lattice::Subscription>> subs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
    subs.swap(subscriptions_);
  }
  subs.clear();
  executor_.Shutdown();
}

void RpcServer::OnMessage(const lattice::Entity& served, lattice::Message message) {
  if (message.reply.empty()) {
    Log(LogLevel::kDebug, kLog, "ignored a message without a reply subject on " + message.subject);
    return;
  }
  // Not run at all: its answer could only go where it must not.
  if (Status s = lattice::ValidateReplySubject(message.reply); !s.ok()) {
    const bool first = !said_reflection_.exchange(true);
    Log(first ? LogLevel::kWarn : LogLevel::kDebug, kLog,
        EscapeLogText("ignored an invocation on " + message.subject + ": " + s.message()));
    return;
  }
  // Never run an invocation on the transport's thread: it would hold up every other
  // message of this subscription.
  auto shared = std::make_shared<lattice::Message>(std::move(message));
  bool queued = executor_.TrySubmit([this, served, shared] { Handle(served, *shared); });
  if (!queued) {
    auto decoded = lattice::DecodeInvocation(shared->data);
    std::string id = decoded.ok() ? decoded->id : std::string();
    LogRefusal("inbound invocations queue full; answering busy to " +
               (id.empty() ? "an invocation that does not decode" : "invocation " + id) + " to " +
               served.ToString());
    (void)transport_->Publish(
        shared->reply,
        lattice::Encode(lattice::ErrorResponse(
            id, "host busy: too many invocations queued; the invocation was not run")));
  }
}

void RpcServer::LogRefusal(const std::string& line) {
  if (!LogEnabled(LogLevel::kWarn)) return;
  uint64_t suppressed = 0;
  if (!refusal_lines_.Allow({}, &suppressed)) return;
  if (suppressed > 0) {
    Log(LogLevel::kWarn, kLog,
        std::to_string(suppressed) + " more refused invocation(s) were not logged (at most " +
            std::to_string(static_cast<int>(kRefusalLinesPerSecond)) + " lines a second)");
  }
  // The id, host id and reason are the sender's words: escaped, so that they cannot
  // start a line of their own in the log.
  Log(LogLevel::kWarn, kLog, EscapeLogText(line));
}

void RpcServer::Handle(const lattice::Entity& served, const lattice::Message& message) {
  lattice::InvocationResponse response;
  auto verified = verifier_.Verify(message.data, served);
  if (!verified.ok()) {
    auto decoded = lattice::DecodeInvocation(message.data);
    std::string id = decoded.ok() ? decoded->id : std::string();
    std::string from = decoded.ok() ? " from host " + decoded->host_id : std::string();
    // The id and host id are the sender's words: escaped, so that they cannot start a
    // line of their own in the log.
    LogRefusal("refused invocation" + (id.empty() ? std::string() : " " + id) + from + " to " +
               served.ToString() + ": " + verified.status().message());
    if (options_.metrics != nullptr) options_.metrics->Refused(verified.status().message());
    response = lattice::ErrorResponse(
        id, std::string(lattice::kRefusedPrefix) + verified.status().message());
  } else {
    LogContext context("invocation_id", verified->id);
    response = dispatcher_.HandleInbound(*verified);
  }
  Bytes encoded = lattice::Encode(response);
  Status sent = transport_->Publish(message.reply, encoded);
  if (sent.code() == Code::kResourceExhausted && encoded.size() > transport_->MaxPayload()) {
    // Larger than the server takes (NATS max_payload): the caller would wait out its
    // deadline and report a timeout ("it may have run"). It did run; say so at once.
    const std::string why = "the response of " + std::to_string(encoded.size()) +
                            " bytes is larger than the lattice's maximum payload of " +
                            std::to_string(transport_->MaxPayload()) +
                            " bytes (the invocation ran)";
    Log(LogLevel::kWarn, kLog,
        EscapeLogText("invocation " + response.invocation_id + " to " + served.ToString() + ": " +
                      why));
    sent = transport_->Publish(
        message.reply, lattice::Encode(lattice::ErrorResponse(response.invocation_id, why)));
  }
  if (!sent.ok()) {
    Log(LogLevel::kWarn, kLog,
        "cannot send the response to invocation " + response.invocation_id + ": " + sent.message());
  }
}

}  // namespace wasmcloud::host
