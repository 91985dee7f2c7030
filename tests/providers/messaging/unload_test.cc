// The provider library loaded, stopped and unloaded several times in one process that,
// like the host, does not link libnats itself: libnats arrives with the first load and
// stays (pinned) while the provider's own library really goes; each later load finds
// libnats' global state as the previous instance left it, and works. Messages go
// through a raw-protocol publisher and the actor's own Publish.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "nats_server.h"
#include "provider/native_library.h"
#include "provider/provider.h"
#include "wire/messaging.h"

namespace wasmcloud::messaging {
namespace {

using testing::NatsServer;

constexpr char kLibrary[] = WC_MESSAGING_PROVIDER;
const std::string kActor = "MAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

std::string Maps() {
  std::ifstream in("/proc/self/maps");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class CountingHost final : public provider::ProviderHost {
 public:
  Result<Bytes> CallActor(std::string_view, std::string_view, ByteView payload) override {
    auto m = wire::DecodeBrokerMessage(payload);
    std::lock_guard lock(mu_);
    if (m.ok()) bodies_.emplace_back(AsChars(m->body));
    changed_.notify_all();
    return Bytes{};
  }
  void Log(LogLevel, std::string_view) override {}
  std::vector<std::string> WaitFor(size_t n) {
    std::unique_lock lock(mu_);
    changed_.wait_for(lock, std::chrono::seconds(10), [&] { return bodies_.size() >= n; });
    return bodies_;
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<std::string> bodies_;
};

TEST(MessagingUnloadTest, LoadStopUnloadAndLoadAgainWithLibnatsPinned) {
  if (NatsServer::Binary().empty()) GTEST_SKIP() << "nats-server is not installed";
  ASSERT_EQ(Maps().find("libnats"), std::string::npos)
      << "this test must not link libnats: the provider brings it";
  auto server = NatsServer::Start();
  ASSERT_TRUE(server.ok()) << server.status().message();

  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    CountingHost host;
    auto p = provider::LoadNativeProvider(kLibrary, "wasmcloud:messaging");
    ASSERT_TRUE(p.ok()) << p.status().message();
    ASSERT_TRUE((*p)->Start(&host).ok());
    Status bound = (*p)->BindActor(kActor, {{"URL", (*server)->Url()}, {"SUBSCRIPTION", "loop"}});
    ASSERT_TRUE(bound.ok()) << bound.message();
    ASSERT_TRUE((*server)->Publish("loop", "from outside").ok());
    // The actor's own Publish comes back to it through its subscription.
    auto published = (*p)->HandleCall(
        kActor, "Publish", wire::Encode(wire::PublishArgs{"loop", "", ToBytes("from the actor")}));
    ASSERT_TRUE(published.ok()) << published.status().message();
    EXPECT_THAT(host.WaitFor(2), ::testing::ElementsAre("from outside", "from the actor"));
    // Deliveries in progress while Stop runs.
    for (int i = 0; i < 50; ++i) ASSERT_TRUE((*server)->Publish("loop", "more").ok());
    (*p)->Stop();
    p->reset();  // destroy and dlclose

    const std::string maps = Maps();
    EXPECT_EQ(maps.find("libwasmcloud_messaging"), std::string::npos)
        << "the provider library is still mapped after its last reference went";
    EXPECT_NE(maps.find("libnats"), std::string::npos) << "libnats was unloaded";
    // Messages keep coming to a server nobody here listens to any more; libnats' own
    // threads keep running in the process and must not touch the unloaded library.
    ASSERT_TRUE((*server)->Publish("loop", "after").ok());
  }
}

}  // namespace
}  // namespace wasmcloud::messaging
