#include "lattice/events.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace wasmcloud::lattice {
namespace {

using std::chrono::milliseconds;

LatticeEvent Event(std::string type, std::string host,
                   nlohmann::json data = nlohmann::json::object()) {
  LatticeEvent e;
  e.type = std::move(type);
  e.host_id = std::move(host);
  e.time_ms = 1700000000000;
  e.data = std::move(data);
  return e;
}

TEST(MemoryEventSink, RecordsEventsInOrder) {
  MemoryEventSink sink;
  EXPECT_TRUE(sink.Events().empty());
  sink.Publish(Event(kHostStarted, "N1", {{"labels", {{"os", "linux"}}}}));
  sink.Publish(Event(kActorStarted, "N1", {{"public_key", "M1"}, {"revision", 0}}));
  auto events = sink.Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, "host_started");
  EXPECT_EQ(events[0].data["labels"]["os"], "linux");
  EXPECT_EQ(events[1].type, "actor_started");
  EXPECT_EQ(events[1].host_id, "N1");
  EXPECT_EQ(events[1].time_ms, 1700000000000);
  EXPECT_EQ(events[1].data["public_key"], "M1");
}

TEST(MemoryEventSink, WaitForFindsPastAndFutureEvents) {
  MemoryEventSink sink;
  sink.Publish(Event(kHostStarted, "N1"));
  auto is = [](const char* type) {
    return [type](const LatticeEvent& e) { return e.type == type; };
  };
  EXPECT_TRUE(sink.WaitFor(is(kHostStarted), milliseconds(0)));

  std::thread publisher([&] {
    for (int i = 0; i < 100; ++i) {
      sink.Publish(Event(kActorStarted, "N1", {{"public_key", "M" + std::to_string(i)}}));
    }
    sink.Publish(Event(kHostStopped, "N1"));
  });
  EXPECT_TRUE(sink.WaitFor(is(kHostStopped), milliseconds(10000)));
  EXPECT_TRUE(
      sink.WaitFor([](const LatticeEvent& e) { return e.data.value("public_key", "") == "M99"; },
                   milliseconds(10000)));
  publisher.join();
  EXPECT_EQ(sink.Events().size(), 102u);
}

TEST(MemoryEventSink, WaitForGivesUpAfterItsTimeout) {
  MemoryEventSink sink;
  sink.Publish(Event(kHostStarted, "N1"));
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(
      sink.WaitFor([](const LatticeEvent& e) { return e.type == kHostStopped; }, milliseconds(50)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(50));
}

TEST(MemoryEventSink, ConcurrentPublishersLoseNothing) {
  MemoryEventSink sink;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 250; ++i) {
        sink.Publish(Event(kLinkdefSet, "N" + std::to_string(t), {{"i", i}}));
      }
    });
  }
  // Every event is offered to the matcher once, and the matcher may call the sink (it
  // runs outside the sink's lock).
  int offered = 0;
  EXPECT_TRUE(sink.WaitFor(
      [&](const LatticeEvent& e) {
        if (e.host_id == "N0" && e.data["i"] == 0) {
          EXPECT_FALSE(sink.Events().empty());
        }
        return ++offered == 1000;
      },
      milliseconds(10000)));
  for (auto& th : threads) th.join();
  auto events = sink.Events();
  ASSERT_EQ(events.size(), 1000u);
  std::vector<int> next(4, 0);
  for (const auto& e : events) {
    int t = e.host_id[1] - '0';
    EXPECT_EQ(e.data["i"], next[t]++);  // each publisher's events in its order
  }
}

}  // namespace
}  // namespace wasmcloud::lattice
