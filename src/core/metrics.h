// Metrics in the Prometheus text exposition format (0.0.4): counters, histograms and
// gauges read at scrape time, each a family of series told apart by label values. A host
// owns one registry; `wasmcloud up --http-admin` serves it on /metrics
// (docs/operations.md).
//
// Label values may come from the outside (an operation name a remote caller chose), so a
// family keeps at most max_series series: later label sets are counted in one series
// whose labels are all "_other" (never lost, never unbounded).
//
// Thread-safety: every method may be called from any thread. A family is found once (at
// registration) and then updated through its pointer: Add/Observe take the family's lock
// for one map lookup; a hot path keeps the series' Cell (Counter::Cell, Histogram::Cell,
// valid as long as the family) and updates it without a lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace wasmcloud {

using LabelValues = std::vector<std::string>;

class MetricFamily {
 public:
  virtual ~MetricFamily() = default;
  const std::string& name() const { return name_; }
  // Appends the family's HELP, TYPE and sample lines.
  virtual void Render(std::string* out) const = 0;

 protected:
  MetricFamily(std::string name, std::string help, std::vector<std::string> labels)
      : name_(std::move(name)), help_(std::move(help)), labels_(std::move(labels)) {}
  // `{a="x",b="y"}` (with `extra` appended, e.g. le="0.5"), or "" without labels.
  std::string LabelText(const LabelValues& values, std::string_view extra = {}) const;
  void Header(std::string* out, std::string_view type) const;

  std::string name_;
  std::string help_;
  std::vector<std::string> labels_;
};

class Counter final : public MetricFamily {
 public:
  // One series: lock-free updates.
  class Cell {
   public:
    void Add(double amount = 1) {
      if (amount >= 0) value_.fetch_add(amount, std::memory_order_relaxed);
    }
    double value() const { return value_.load(std::memory_order_relaxed); }

   private:
    std::atomic<double> value_{0};
  };

  Counter(std::string name, std::string help, std::vector<std::string> labels, size_t max_series)
      : MetricFamily(std::move(name), std::move(help), std::move(labels)),
        max_series_(max_series) {}
  // `values` has one value per label name (fewer or more is a programming error: the
  // call is ignored, and Series returns null).
  void Add(const LabelValues& values, double amount = 1);
  Cell* Series(const LabelValues& values);
  double Value(const LabelValues& values) const;  // for tests
  void Render(std::string* out) const override;

 private:
  const size_t max_series_;
  mutable std::mutex mu_;
  std::map<LabelValues, std::unique_ptr<Cell>> series_;
};

class Histogram final : public MetricFamily {
 public:
  // One series: lock-free updates.
  class Cell {
   public:
    explicit Cell(const std::vector<double>& bounds)
        : bounds_(bounds), buckets_(new std::atomic<uint64_t>[bounds.size() + 1]) {
      for (size_t i = 0; i <= bounds.size(); ++i) buckets_[i].store(0);
    }
    void Observe(double value);
    // The count of each bucket (not cumulative; the last is +Inf) and the sum.
    std::vector<uint64_t> Buckets() const;
    double sum() const { return sum_.load(std::memory_order_relaxed); }

   private:
    const std::vector<double>& bounds_;
    std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
    std::atomic<double> sum_{0};
  };

  // `bounds`: the upper bounds of the buckets, increasing (+Inf is added).
  Histogram(std::string name, std::string help, std::vector<std::string> labels,
            std::vector<double> bounds, size_t max_series)
      : MetricFamily(std::move(name), std::move(help), std::move(labels)),
        bounds_(std::move(bounds)),
        max_series_(max_series) {}
  void Observe(const LabelValues& values, double value);
  Cell* Series(const LabelValues& values);
  uint64_t Count(const LabelValues& values) const;  // for tests
  void Render(std::string* out) const override;

 private:
  const std::vector<double> bounds_;
  const size_t max_series_;
  mutable std::mutex mu_;
  std::map<LabelValues, std::unique_ptr<Cell>> series_;
};

// A gauge (or a counter kept elsewhere, with `type` "counter") read when rendered.
class CallbackMetric final : public MetricFamily {
 public:
  using Read = std::function<std::vector<std::pair<LabelValues, double>>()>;
  CallbackMetric(std::string name, std::string help, std::vector<std::string> labels,
                 std::string type, Read read)
      : MetricFamily(std::move(name), std::move(help), std::move(labels)),
        type_(std::move(type)),
        read_(std::move(read)) {}
  void Render(std::string* out) const override;

 private:
  const std::string type_;
  const Read read_;
};

class MetricsRegistry {
 public:
  static constexpr size_t kDefaultMaxSeries = 2000;

  // The family of that name, made on first use. Names and label names must match
  // [a-zA-Z_:][a-zA-Z0-9_:]* (checked: a bad one is a programming error and throws
  // std::invalid_argument). Registering a name again with another kind throws too.
  Counter* AddCounter(const std::string& name, const std::string& help,
                      std::vector<std::string> labels = {}, size_t max_series = kDefaultMaxSeries);
  Histogram* AddHistogram(const std::string& name, const std::string& help,
                          std::vector<std::string> labels, std::vector<double> bounds,
                          size_t max_series = kDefaultMaxSeries);
  // A gauge read at scrape time; registering the name again replaces the reader.
  void AddGauge(const std::string& name, const std::string& help, std::vector<std::string> labels,
                CallbackMetric::Read read);
  // A counter kept by someone else (it only grows), read at scrape time.
  void AddCounterReader(const std::string& name, const std::string& help,
                        std::vector<std::string> labels, CallbackMetric::Read read);

  // Every family, in the order registered, in the text exposition format.
  std::string Render() const;

  // The latency buckets of calls, in seconds: 100 µs to 30 s.
  static std::vector<double> LatencyBuckets();

 private:
  template <typename T, typename... Args>
  T* Get(const std::string& name, Args&&... args);
  // Throws std::invalid_argument for a name or label name that Prometheus does not allow.
  static void CheckNames(const std::string& name, const std::vector<std::string>& labels);
  // A family read at scrape time; registering the name again replaces it in its place.
  void AddReader(const std::string& name, const std::string& help, std::vector<std::string> labels,
                 const char* type, CallbackMetric::Read read);

  mutable std::mutex mu_;
  std::vector<std::shared_ptr<MetricFamily>> families_;
};

// Adds process_resident_memory_bytes, process_cpu_seconds_total,
// process_start_time_seconds and process_open_fds (from /proc/self), as Prometheus'
// client libraries name them.
void AddProcessMetrics(MetricsRegistry& registry);

}  // namespace wasmcloud
