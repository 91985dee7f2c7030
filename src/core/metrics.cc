#include "core/metrics.h"

#include <dirent.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace wasmcloud {
namespace {

const std::string kOther = "_other";

bool ValidName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

std::string Number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0) {
    return std::to_string(static_cast<int64_t>(v));
  }
  // The shortest text that reads back as the same double.
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
  return ec == std::errc() ? std::string(buffer, end) : std::to_string(v);
}

// Label values: backslash, double quote and line feed escaped.
void AppendEscaped(std::string* out, std::string_view value, bool quote) {
  for (char c : value) {
    if (c == '\\') {
      *out += "\\\\";
    } else if (c == '\n') {
      *out += "\\n";
    } else if (c == '"' && quote) {
      *out += "\\\"";
    } else {
      *out += c;
    }
  }
}

// The series of `values` (made with `make` when new), or the "_other" one when the family
// is full. The caller holds the family's lock.
template <typename Map, typename Make>
auto* SeriesOf(Map& series, const LabelValues& values, size_t max_series, Make make) {
  auto it = series.find(values);
  if (it != series.end()) return it->second.get();
  auto& slot =
      series.size() + 1 >= max_series ? series[LabelValues(values.size(), kOther)] : series[values];
  if (!slot) slot = make();
  return slot.get();
}

}  // namespace

std::string MetricFamily::LabelText(const LabelValues& values, std::string_view extra) const {
  if (labels_.empty() && extra.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < labels_.size() && i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += labels_[i];
    out += "=\"";
    AppendEscaped(&out, values[i], true);
    out += '"';
  }
  if (!extra.empty()) {
    if (out.size() > 1) out += ',';
    out += extra;
  }
  out += '}';
  return out;
}

void MetricFamily::Header(std::string* out, std::string_view type) const {
  *out += "# HELP " + name_ + " ";
  AppendEscaped(out, help_, false);
  *out += "\n# TYPE " + name_ + " ";
  *out += type;
  *out += '\n';
}

Counter::Cell* Counter::Series(const LabelValues& values) {
  if (values.size() != labels_.size()) return nullptr;
  std::lock_guard lock(mu_);
  return SeriesOf(series_, values, max_series_, [] { return std::make_unique<Cell>(); });
}

void Counter::Add(const LabelValues& values, double amount) {
  if (!(amount >= 0)) return;  // a counter never goes down (NaN neither)
  if (Cell* cell = Series(values)) cell->Add(amount);
}

double Counter::Value(const LabelValues& values) const {
  std::lock_guard lock(mu_);
  auto it = series_.find(values);
  return it == series_.end() ? 0 : it->second->value();
}

void Counter::Render(std::string* out) const {
  Header(out, "counter");
  std::lock_guard lock(mu_);
  for (const auto& [values, cell] : series_) {
    *out += name_ + LabelText(values) + " " + Number(cell->value()) + "\n";
  }
}

void Histogram::Cell::Observe(double value) {
  if (std::isnan(value)) return;
  size_t bucket = 0;
  while (bucket < bounds_.size() && value > bounds_[bucket]) ++bucket;
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::Cell::Buckets() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  for (size_t i = 0; i < out.size(); ++i) out[i] = buckets_[i].load(std::memory_order_relaxed);
  return out;
}

Histogram::Cell* Histogram::Series(const LabelValues& values) {
  if (values.size() != labels_.size()) return nullptr;
  std::lock_guard lock(mu_);
  return SeriesOf(series_, values, max_series_, [this] { return std::make_unique<Cell>(bounds_); });
}

void Histogram::Observe(const LabelValues& values, double value) {
  if (Cell* cell = Series(values)) cell->Observe(value);
}

uint64_t Histogram::Count(const LabelValues& values) const {
  std::lock_guard lock(mu_);
  auto it = series_.find(values);
  if (it == series_.end()) return 0;
  uint64_t count = 0;
  for (uint64_t n : it->second->Buckets()) count += n;
  return count;
}

void Histogram::Render(std::string* out) const {
  Header(out, "histogram");
  std::lock_guard lock(mu_);
  for (const auto& [values, cell] : series_) {
    // The count is the buckets' total, read once: +Inf and _count always agree.
    const std::vector<uint64_t> buckets = cell->Buckets();
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= bounds_.size(); ++i) {
      cumulative += buckets[i];
      const std::string le =
          "le=\"" + (i < bounds_.size() ? Number(bounds_[i]) : std::string("+Inf")) + "\"";
      *out += name_ + "_bucket" + LabelText(values, le) + " " + Number(cumulative) + "\n";
    }
    *out += name_ + "_sum" + LabelText(values) + " " + Number(cell->sum()) + "\n";
    *out += name_ + "_count" + LabelText(values) + " " + Number(cumulative) + "\n";
  }
}

void CallbackMetric::Render(std::string* out) const {
  Header(out, type_);
  for (const auto& [values, v] : read_()) {
    if (values.size() != labels_.size()) continue;
    *out += name_ + LabelText(values) + " " + Number(v) + "\n";
  }
}

void MetricsRegistry::CheckNames(const std::string& name, const std::vector<std::string>& labels) {
  if (!ValidName(name)) throw std::invalid_argument("bad metric name " + name);
  for (const auto& l : labels) {
    if (!ValidName(l)) throw std::invalid_argument("bad label name " + l);
  }
}

template <typename T, typename... Args>
T* MetricsRegistry::Get(const std::string& name, Args&&... args) {
  std::lock_guard lock(mu_);
  for (const auto& f : families_) {
    if (f->name() != name) continue;
    if (auto* same = dynamic_cast<T*>(f.get())) return same;
    throw std::invalid_argument("metric " + name + " is registered with another type");
  }
  auto family = std::make_shared<T>(name, std::forward<Args>(args)...);
  families_.push_back(family);
  return family.get();
}

Counter* MetricsRegistry::AddCounter(const std::string& name, const std::string& help,
                                     std::vector<std::string> labels, size_t max_series) {
  CheckNames(name, labels);
  return Get<Counter>(name, help, std::move(labels), max_series);
}

Histogram* MetricsRegistry::AddHistogram(const std::string& name, const std::string& help,
                                         std::vector<std::string> labels,
                                         std::vector<double> bounds, size_t max_series) {
  CheckNames(name, labels);
  for (const auto& l : labels) {
    if (l == "le") throw std::invalid_argument("bad label name le: a histogram's own");
  }
  return Get<Histogram>(name, help, std::move(labels), std::move(bounds), max_series);
}

void MetricsRegistry::AddGauge(const std::string& name, const std::string& help,
                               std::vector<std::string> labels, CallbackMetric::Read read) {
  AddReader(name, help, std::move(labels), "gauge", std::move(read));
}

void MetricsRegistry::AddCounterReader(const std::string& name, const std::string& help,
                                       std::vector<std::string> labels, CallbackMetric::Read read) {
  AddReader(name, help, std::move(labels), "counter", std::move(read));
}

void MetricsRegistry::AddReader(const std::string& name, const std::string& help,
                                std::vector<std::string> labels, const char* type,
                                CallbackMetric::Read read) {
  CheckNames(name, labels);
  auto family =
      std::make_shared<CallbackMetric>(name, help, std::move(labels), type, std::move(read));
  std::lock_guard lock(mu_);
  for (auto& f : families_) {
    if (f->name() == name) {
      f = family;
      return;
    }
  }
  families_.push_back(family);
}

std::string MetricsRegistry::Render() const {
  std::vector<std::shared_ptr<MetricFamily>> families;
  {
    std::lock_guard lock(mu_);
    families = families_;
  }
  std::string out;
  for (const auto& f : families) f->Render(&out);
  return out;
}

std::vector<double> MetricsRegistry::LatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
          0.1,    0.25,    0.5,    1,     2.5,    5,     10,   30};
}

namespace {

// Fields of /proc/self/stat after the command name (which may hold blanks).
std::vector<std::string> ProcStatFields() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  std::getline(in, line);
  const size_t close = line.rfind(')');
  std::vector<std::string> fields;
  if (close == std::string::npos) return fields;
  std::istringstream rest(line.substr(close + 1));
  std::string f;
  while (rest >> f) fields.push_back(f);
  return fields;  // fields[0] is field 3 (state)
}

double BootTime() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime") {
      in >> value;
      return value;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

}  // namespace

void AddProcessMetrics(MetricsRegistry& registry) {
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  registry.AddGauge("process_resident_memory_bytes", "Resident memory size in bytes.", {},
                    [page]() -> std::vector<std::pair<LabelValues, double>> {
                      std::ifstream in("/proc/self/statm");
                      double size = 0, resident = 0;
                      if (!(in >> size >> resident)) return {};
                      return {{{}, resident * page}};
                    });
  registry.AddCounterReader("process_cpu_seconds_total",
                            "Total user and system CPU time spent in seconds.", {},
                            [ticks]() -> std::vector<std::pair<LabelValues, double>> {
                              auto f = ProcStatFields();
                              if (f.size() < 13) return {};
                              return {{{}, (std::stod(f[11]) + std::stod(f[12])) / ticks}};
                            });
  const double start = [&] {
    auto f = ProcStatFields();
    return f.size() < 20 ? 0.0 : BootTime() + std::stod(f[19]) / ticks;
  }();
  registry.AddGauge("process_start_time_seconds",
                    "Start time of the process since unix epoch in seconds.", {},
                    [start]() -> std::vector<std::pair<LabelValues, double>> {
                      return {{{}, start}};
                    });
  registry.AddGauge("process_open_fds", "Number of open file descriptors.", {},
                    []() -> std::vector<std::pair<LabelValues, double>> {
                      DIR* dir = opendir("/proc/self/fd");
                      if (dir == nullptr) return {};
                      double n = 0;
                      while (readdir(dir) != nullptr) ++n;
                      closedir(dir);
                      return {{{}, n - 3}};  // ".", ".." and this directory's own fd
                    });
}

}  // namespace wasmcloud
