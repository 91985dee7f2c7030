#include "host/lattice_hosts.h"

#include <utility>

#include <nlohmann/json.hpp>

#include "core/log.h"
#include "crypto/claims.h"
#include "crypto/nkeys.h"
#include "lattice/subjects.h"

namespace wasmcloud::host {
namespace {

bool IsHostKey(const std::string& key) {
  return key.size() == crypto::kPublicKeyLength && key[0] == 'N';
}

}  // namespace

LatticeHosts::LatticeHosts(std::shared_ptr<lattice::Transport> control, std::string lattice_name,
                           std::string self)
    : control_(std::move(control)), lattice_(std::move(lattice_name)), self_(std::move(self)) {}

LatticeHosts::~LatticeHosts() { Stop(); }

Status LatticeHosts::Start() {
  auto events = control_->Subscribe(lattice::LegacyEventsSubject(lattice_), "",
                                    [this](lattice::Message m) { OnEvent(m); });
  if (!events.ok()) return events.status().WithContext("cannot watch the lattice's hosts");
  const std::string inbox = "_INBOX.wasmcloud.hosts." + crypto::NewUuidV4();
  auto answers = control_->Subscribe(inbox, "", [this](lattice::Message m) { OnHost(m); });
  if (!answers.ok()) return answers.status().WithContext("cannot watch the lattice's hosts");
  {
    std::lock_guard lock(mu_);
    subscriptions_.push_back(std::move(*events));
    subscriptions_.push_back(std::move(*answers));
  }
  WC_RETURN_IF_ERROR(control_->Flush(std::chrono::seconds(5)));
  {
    std::lock_guard lock(mu_);
    answers_until_ = std::chrono::steady_clock::now() + kAnswerWindow;
  }
  return control_->Publish(lattice::ControlSubject(lattice_, "get.hosts"), {}, inbox);
}

bool LatticeHosts::AddLocked(const std::string& key) {
  if (hosts_.contains(key)) return false;
  if (hosts_.size() >= kMaxHosts) {
    if (!std::exchange(said_full_, true)) {
      Log(LogLevel::kWarn, "lattice",
          "lattice " + lattice_ + " has more than " + std::to_string(kMaxHosts) +
              " hosts announced on its control subjects; later ones are not known to this "
              "host (invocations they sign are refused under --invocation-issuers lattice)");
    }
    return false;
  }
  hosts_.insert(key);
  return true;
}

void LatticeHosts::Stop() {
  std::vector<std::unique_ptr<lattice::Subscription>> subs;
  {
    std::lock_guard lock(mu_);
    subs.swap(subscriptions_);
  }
}

bool LatticeHosts::Known(std::string_view host_key) const {
  if (host_key == self_) return true;
  std::lock_guard lock(mu_);
  return hosts_.find(host_key) != hosts_.end();
}

std::vector<std::string> LatticeHosts::All() const {
  std::lock_guard lock(mu_);
  return {hosts_.begin(), hosts_.end()};
}

void LatticeHosts::OnEvent(const lattice::Message& m) {
  auto j = nlohmann::json::parse(AsChars(m.data), nullptr, false);
  if (!j.is_object() || !j.contains("header") || !j["header"].is_object()) return;
  const auto& origin = j["header"].value("host_origin", nlohmann::json());
  if (!origin.is_string() || !IsHostKey(origin.get<std::string>())) return;
  const std::string key = origin.get<std::string>();
  const bool stopped = j.value("event", nlohmann::json()) == "HostStopped";
  std::lock_guard lock(mu_);
  if (stopped) {
    hosts_.erase(key);
  } else if (AddLocked(key)) {
    Log(LogLevel::kDebug, "lattice", "host " + key + " is in lattice " + lattice_);
  }
}

void LatticeHosts::OnHost(const lattice::Message& m) {
  auto j = nlohmann::json::parse(AsChars(m.data), nullptr, false);
  if (!j.is_object()) return;
  const auto& id = j.value("id", nlohmann::json());
  if (!id.is_string() || !IsHostKey(id.get<std::string>())) return;
  std::lock_guard lock(mu_);
  if (std::chrono::steady_clock::now() > answers_until_) {
    Log(LogLevel::kDebug, "lattice",
        "ignored an answer to get.hosts that came after its window (or was not asked for)");
    return;
  }
  AddLocked(id.get<std::string>());
}

}  // namespace wasmcloud::host
