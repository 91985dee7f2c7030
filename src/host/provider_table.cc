#include "host/provider_table.h"

#include <algorithm>
#include <cctype>

#include "core/text.h"

namespace wasmcloud::host {

std::string NormalizeLinkName(std::string_view link_name) {
  bool blank = std::all_of(link_name.begin(), link_name.end(),
                           [](unsigned char c) { return std::isspace(c) != 0; });
  return blank ? std::string("default") : std::string(link_name);
}

std::string ProviderEntry::DisplayName() const {
  // The name and contract id come from the provider (its descriptor or claims): escaped,
  // so that they cannot start a forged log line.
  std::string name = claims.wascap && claims.wascap->name ? *claims.wascap->name : contract_id;
  return EscapeLogText(name, 256) + " (" + public_key + ", link " + EscapeLogText(link_name, 256) +
         ")";
}

void ProviderEntry::StopGuarded() {
  std::lock_guard<std::mutex> control(control_mu);
  Status s = Guard([&] {
    provider->Stop();
    return Status::Ok();
  });
  if (!s.ok()) Log(LogLevel::kError, "host", s.message());
}

ProviderPtr ProviderTable::Find(std::string_view public_key, std::string_view link_name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = providers_.find(KeyView(public_key, link_name));
  return it == providers_.end() ? nullptr : it->second;
}

ProviderPtr ProviderTable::FindByContract(std::string_view contract_id,
                                          std::string_view link_name) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [key, entry] : providers_) {
    if (entry->contract_id == contract_id && entry->link_name == link_name) return entry;
  }
  return nullptr;
}

Status ProviderTable::AlreadyRunning(std::string_view public_key, std::string_view link_name) {
  return AlreadyExists("provider " + std::string(public_key) +
                       " is already running with link name " + std::string(link_name));
}

Status ProviderTable::Reserve(ProviderPtr entry, std::chrono::milliseconds wait) {
  Key key{entry->public_key, entry->link_name};
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (closed_) return FailedPrecondition("the host is stopping");
    if (!stopped_cv_.wait_for(lock, wait, [&] { return closed_ || stopping_.count(key) == 0; })) {
      return FailedPrecondition("provider " + entry->public_key + " with link name " +
                                entry->link_name + " is still stopping; try again later");
    }
    if (closed_) return FailedPrecondition("the host is stopping");
    if (!providers_.emplace(key, std::move(entry)).second) {
      return AlreadyRunning(key.first, key.second);
    }
  }
  on_change_();
  return Status::Ok();
}

void ProviderTable::Unreserve(const ProviderEntry& entry) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = providers_.find(KeyView(entry.public_key, entry.link_name));
    if (it != providers_.end() && it->second.get() == &entry) providers_.erase(it);
  }
  on_change_();
}

ProviderPtr ProviderTable::BeginStop(std::string_view public_key, std::string_view link_name) {
  ProviderPtr entry;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = providers_.find(KeyView(public_key, link_name));
    if (it == providers_.end()) return nullptr;
    entry = std::move(it->second);
    providers_.erase(it);
    entry->stopping.store(true);
    stopping_.insert(Key{entry->public_key, entry->link_name});
  }
  on_change_();
  return entry;
}

std::vector<ProviderPtr> ProviderTable::BeginStopAll() {
  std::vector<ProviderPtr> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    for (auto& [key, entry] : providers_) {
      entry->stopping.store(true);
      stopping_.insert(key);
      out.push_back(std::move(entry));
    }
    providers_.clear();
  }
  on_change_();
  return out;
}

void ProviderTable::DoneStopping(const ProviderEntry& entry) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = stopping_.find(Key{entry.public_key, entry.link_name});
    if (it != stopping_.end()) stopping_.erase(it);
  }
  stopped_cv_.notify_all();
}

std::vector<ProviderPtr> ProviderTable::All() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ProviderPtr> out;
  out.reserve(providers_.size());
  for (const auto& [key, entry] : providers_) out.push_back(entry);
  return out;
}

}  // namespace wasmcloud::host
