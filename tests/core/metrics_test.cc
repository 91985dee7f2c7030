// The Prometheus text the registry writes, byte for byte: families in the order
// registered, HELP and TYPE lines, labels escaped, cumulative histogram buckets with
// +Inf, _sum and _count; series beyond the cap counted under "_other"; bad names refused.
#include "core/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>
#include <vector>

namespace wasmcloud {
namespace {

using ::testing::HasSubstr;

TEST(MetricsTest, CountersRenderInTheTextFormat) {
  MetricsRegistry r;
  Counter* c = r.AddCounter("calls_total", "Calls made.", {"actor", "outcome"});
  c->Add({"MA", "ok"});
  c->Add({"MA", "ok"}, 2);
  c->Add({"MB", "error"});
  c->Add({"MB"});           // wrong number of values: ignored
  c->Add({"MB", "x"}, -1);  // a counter never goes down: ignored
  EXPECT_EQ(r.Render(),
            "# HELP calls_total Calls made.\n"
            "# TYPE calls_total counter\n"
            "calls_total{actor=\"MA\",outcome=\"ok\"} 3\n"
            "calls_total{actor=\"MB\",outcome=\"error\"} 1\n");
  EXPECT_EQ(c->Value({"MA", "ok"}), 3);
  EXPECT_EQ(c->Value({"MC", "ok"}), 0);
}

TEST(MetricsTest, LabelValuesAndHelpAreEscaped) {
  MetricsRegistry r;
  Counter* c = r.AddCounter("x_total", "Line one\nback\\slash \"quoted\"", {"op"});
  c->Add({"a\"b\\c\nd"});
  EXPECT_EQ(r.Render(),
            "# HELP x_total Line one\\nback\\\\slash \"quoted\"\n"
            "# TYPE x_total counter\n"
            "x_total{op=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(MetricsTest, HistogramsHaveCumulativeBucketsSumAndCount) {
  MetricsRegistry r;
  Histogram* h = r.AddHistogram("d_seconds", "Durations.", {"a"}, {0.1, 1});
  h->Observe({"x"}, 0.05);
  h->Observe({"x"}, 0.1);  // on a bound: in that bucket (le)
  h->Observe({"x"}, 0.5);
  h->Observe({"x"}, 7);
  EXPECT_EQ(r.Render(),
            "# HELP d_seconds Durations.\n"
            "# TYPE d_seconds histogram\n"
            "d_seconds_bucket{a=\"x\",le=\"0.1\"} 2\n"
            "d_seconds_bucket{a=\"x\",le=\"1\"} 3\n"
            "d_seconds_bucket{a=\"x\",le=\"+Inf\"} 4\n"
            "d_seconds_sum{a=\"x\"} 7.65\n"
            "d_seconds_count{a=\"x\"} 4\n");
  EXPECT_EQ(h->Count({"x"}), 4u);
}

TEST(MetricsTest, GaugesAreReadWhenRendered) {
  MetricsRegistry r;
  double value = 1;
  r.AddGauge("g", "A gauge.", {}, [&] {
    return std::vector<std::pair<LabelValues, double>>{{{}, value}};
  });
  r.AddCounterReader("kept_total", "Kept elsewhere.", {"c"}, [] {
    return std::vector<std::pair<LabelValues, double>>{{{"rpc"}, 4}, {{"bad", "arity"}, 1}};
  });
  value = 0.25;
  EXPECT_EQ(r.Render(),
            "# HELP g A gauge.\n# TYPE g gauge\ng 0.25\n"
            "# HELP kept_total Kept elsewhere.\n# TYPE kept_total counter\n"
            "kept_total{c=\"rpc\"} 4\n");
  // Registered again: the new reader replaces the old one, in its place.
  r.AddGauge("g", "A gauge.", {}, [] { return std::vector<std::pair<LabelValues, double>>{}; });
  EXPECT_THAT(r.Render(), ::testing::StartsWith("# HELP g A gauge.\n# TYPE g gauge\n# HELP kept"));
}

TEST(MetricsTest, SeriesBeyondTheCapAreCountedAsOther) {
  MetricsRegistry r;
  Counter* c = r.AddCounter("ops_total", "Ops.", {"operation"}, 3);
  for (int i = 0; i < 10; ++i) c->Add({"op" + std::to_string(i)});
  c->Add({"op0"});  // a known series still counts as itself
  EXPECT_EQ(c->Value({"op0"}), 2);
  EXPECT_EQ(c->Value({"op1"}), 1);
  EXPECT_EQ(c->Value({"_other"}), 8);
  EXPECT_EQ(c->Value({"op2"}), 0);
}

TEST(MetricsTest, NamesAreCheckedAndKindsDoNotMix) {
  MetricsRegistry r;
  EXPECT_THROW(r.AddCounter("9lives", "x"), std::invalid_argument);
  EXPECT_THROW(r.AddCounter("a-b", "x"), std::invalid_argument);
  EXPECT_THROW(r.AddCounter("ok", "x", {"bad label"}), std::invalid_argument);
  EXPECT_THROW(r.AddHistogram("h", "x", {"le"}, {1}), std::invalid_argument);
  Counter* c = r.AddCounter("same_total", "x");
  EXPECT_EQ(r.AddCounter("same_total", "x"), c);
  EXPECT_THROW(r.AddHistogram("same_total", "x", {}, {1}), std::invalid_argument);
}

TEST(MetricsTest, NumbersAreTheShortestThatReadBack) {
  MetricsRegistry r;
  r.AddGauge("n", "N.", {"k"}, [] {
    return std::vector<std::pair<LabelValues, double>>{
        {{"a"}, 0.1 + 0.2}, {{"b"}, 1e21}, {{"c"}, 42}, {{"d"}, -3}};
  });
  EXPECT_EQ(r.Render(),
            "# HELP n N.\n# TYPE n gauge\n"
            "n{k=\"a\"} 0.30000000000000004\nn{k=\"b\"} 1e+21\nn{k=\"c\"} 42\nn{k=\"d\"} -3\n");
}

TEST(MetricsTest, UpdatesFromManyThreadsAreAllCounted) {
  MetricsRegistry r;
  Counter* c = r.AddCounter("t_total", "T.", {"k"});
  Histogram* h = r.AddHistogram("t_seconds", "T.", {}, {1});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c->Add({"k"});
        h->Observe({}, 0.5);
      }
    });
  }
  std::thread reader([&] {
    for (int i = 0; i < 100; ++i) EXPECT_THAT(r.Render(), HasSubstr("# TYPE t_seconds histogram"));
  });
  for (auto& t : threads) t.join();
  reader.join();
  EXPECT_EQ(c->Value({"k"}), 40000);
  EXPECT_EQ(h->Count({}), 40000u);
}

TEST(MetricsTest, ProcessMetricsAreThere) {
  MetricsRegistry r;
  AddProcessMetrics(r);
  const std::string text = r.Render();
  for (const char* name : {"process_resident_memory_bytes ", "process_cpu_seconds_total ",
                           "process_start_time_seconds ", "process_open_fds "}) {
    EXPECT_THAT(text, HasSubstr(std::string("\n") + name)) << text;
  }
}

}  // namespace
}  // namespace wasmcloud
