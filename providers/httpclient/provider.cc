// The wasmcloud:httpclient capability provider (libwasmcloud_httpclient.so), built on the
// C++ provider SDK: an actor's "Request" is performed with libcurl under the limits of
// its link (timeout, redirects, response size). See docs/httpclient.md.
#include <wasmcloud/provider_sdk.h>

#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "httpclient/client.h"
#include "httpclient/dispatch.h"
#include "wire/core.h"

namespace wasmcloud::httpclient {
namespace {

class HttpClientProvider final : public sdk::Provider {
 public:
  explicit HttpClientProvider(sdk::Host& host) : sdk::Provider(host) {}

  sdk::Descriptor Describe() const override {
    return {"wasmcloud:httpclient", "HTTP client (libcurl)", WC_VERSION};
  }

  // Settings that do not parse fail the bind (the actor's calls then fail as unlinked)
  // rather than quietly using the defaults.
  void BindActor(const std::string& actor, const sdk::LinkValues& values) override {
    Result<ClientSettings> settings = ParseClientSettings(values);
    if (!settings.ok()) throw sdk::Error(settings.status().message());
    {
      std::unique_lock lock(mu_);
      settings_[actor] = *settings;
    }
    host().Log(WC_LOG_INFO, "actor " + actor + " linked: timeout " +
                                std::to_string(settings->timeout.count()) + " ms, " +
                                std::to_string(settings->max_redirects) + " redirects, " +
                                std::to_string(settings->max_response_bytes) + " bytes");
  }

  void RemoveActor(const std::string& actor) override {
    std::unique_lock lock(mu_);
    settings_.erase(actor);
  }

  sdk::Bytes HandleCall(const std::string& actor, const std::string& operation, const uint8_t* data,
                        size_t len) override {
    if (operation == "HealthRequest") {  // from the host, not from an actor's link
      return wire::Encode(wire::HealthResponse{true, ""});
    }
    ClientSettings settings;
    {
      std::shared_lock lock(mu_);
      auto it = settings_.find(actor);
      if (it == settings_.end()) {
        throw sdk::Error("actor " + actor +
                         " is not linked to this wasmcloud:httpclient provider (no BindActor)");
      }
      settings = it->second;
    }
    Result<Bytes> reply = HandleHttpClientCall(client_, settings, operation, ByteView(data, len));
    if (!reply.ok()) throw sdk::Error(reply.status().message());
    return std::move(reply).value();
  }

  // Requests in flight end with an error; the SDK refuses new calls.
  void Stop() override {
    client_.Stop();
    std::unique_lock lock(mu_);
    settings_.clear();
  }

 private:
  HttpClient client_;
  std::shared_mutex mu_;
  std::map<std::string, ClientSettings> settings_;  // by actor
};

}  // namespace
}  // namespace wasmcloud::httpclient

WASMCLOUD_PROVIDER(wasmcloud::httpclient::HttpClientProvider)
