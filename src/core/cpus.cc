#include "core/cpus.h"

#include <sched.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <thread>
#include <vector>

#include "core/bytes.h"
#include "core/text.h"

namespace wasmcloud {
namespace {

std::vector<std::string_view> Split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t end = text.find(sep, start);
    if (end == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
}

std::optional<int64_t> ParseInt(std::string_view text) {
  text = TrimAsciiSpace(text);
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Mount points and roots in /proc/self/mountinfo escape space, tab, newline and backslash
// as \ooo.
std::string Unescape(std::string_view text) {
  std::string out;
  auto octal = [](char c) { return c >= '0' && c <= '7'; };
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size() && octal(text[i + 1]) && octal(text[i + 2]) &&
        octal(text[i + 3])) {
      out.push_back(static_cast<char>((text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 +
                                      (text[i + 3] - '0')));
      i += 3;
      continue;
    }
    out.push_back(text[i]);
  }
  return out;
}

std::optional<std::string> ReadText(const std::string& path) {
  Result<Bytes> bytes = ReadFile(path);
  if (!bytes.ok() || bytes->size() > 4096) return std::nullopt;
  return std::string(bytes->begin(), bytes->end());
}

// The quota of one cgroup directory in CPUs, or nullopt when it sets none.
struct Quota {
  double cpus;
  std::string file;
};

std::optional<Quota> QuotaV2(const std::string& dir) {
  std::string file = dir + "/cpu.max";
  std::optional<std::string> text = ReadText(file);
  if (!text) return std::nullopt;
  std::vector<std::string_view> parts = Split(TrimAsciiSpace(*text), ' ');
  if (parts.size() != 2 || parts[0] == "max") return std::nullopt;
  std::optional<int64_t> quota = ParseInt(parts[0]);
  std::optional<int64_t> period = ParseInt(parts[1]);
  if (!quota || !period || *quota <= 0 || *period <= 0) return std::nullopt;
  return Quota{static_cast<double>(*quota) / static_cast<double>(*period), file};
}

std::optional<Quota> QuotaV1(const std::string& dir) {
  std::string file = dir + "/cpu.cfs_quota_us";
  std::optional<std::string> quota_text = ReadText(file);
  std::optional<std::string> period_text = ReadText(dir + "/cpu.cfs_period_us");
  if (!quota_text || !period_text) return std::nullopt;
  std::optional<int64_t> quota = ParseInt(*quota_text);  // -1: none
  std::optional<int64_t> period = ParseInt(*period_text);
  if (!quota || !period || *quota <= 0 || *period <= 0) return std::nullopt;
  return Quota{static_cast<double>(*quota) / static_cast<double>(*period), file};
}

std::string Parent(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == 0 || slash == std::string::npos) return "/";
  return path.substr(0, slash);
}

unsigned AffinityCpus() {
  // Room for 4096 CPUs; a larger machine falls back to the count of all of them.
  constexpr int kMaxCpus = 4096;
  cpu_set_t* set = CPU_ALLOC(kMaxCpus);
  if (set == nullptr) return std::max(1u, std::thread::hardware_concurrency());
  const size_t size = CPU_ALLOC_SIZE(kMaxCpus);
  CPU_ZERO_S(size, set);
  unsigned count = 0;
  if (sched_getaffinity(0, size, set) == 0) count = static_cast<unsigned>(CPU_COUNT_S(size, set));
  CPU_FREE(set);
  if (count == 0) count = std::max(1u, std::thread::hardware_concurrency());
  return count;
}

}  // namespace

std::string CpuLimit::Describe() const {
  std::string text = std::to_string(usable) + (usable == 1 ? " CPU" : " CPUs");
  if (quota <= 0 && usable == affinity) return text;
  text += " (of " + std::to_string(affinity) + " by affinity";
  if (quota > 0) {
    char figure[32];
    std::snprintf(figure, sizeof figure, "%.2f", quota);
    text += ", cgroup CPU quota " + std::string(figure) + " in " + quota_file;
  }
  return text + ")";
}

CpuLimit ReadCpuLimitFrom(unsigned affinity, std::string_view cgroups, std::string_view mountinfo,
                          const std::string& fs_root) {
  CpuLimit limit;
  limit.affinity = std::max(1u, affinity);

  // /proc/self/cgroup: "hierarchy:controllers:path"; v2 is "0::path", the v1 hierarchy
  // holding the cpu controller lists "cpu" among its controllers.
  std::optional<std::string> v2_path;
  std::optional<std::string> v1_path;
  for (std::string_view line : Split(cgroups, '\n')) {
    size_t first = line.find(':');
    if (first == std::string_view::npos) continue;
    size_t second = line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    std::string_view id = line.substr(0, first);
    std::string_view controllers = line.substr(first + 1, second - first - 1);
    std::string path(line.substr(second + 1));
    if (path.empty() || path[0] != '/') continue;
    if (id == "0" && controllers.empty()) {
      v2_path = path;
      continue;
    }
    for (std::string_view c : Split(controllers, ',')) {
      if (c == "cpu") v1_path = path;
    }
  }

  std::optional<Quota> lowest;
  // mountinfo: "id parent major:minor root mount-point options [optional...] - fstype
  // source super-options".
  for (std::string_view line : Split(mountinfo, '\n')) {
    std::vector<std::string_view> fields = Split(line, ' ');
    auto dash = std::find(fields.begin(), fields.end(), "-");
    if (dash == fields.end() || fields.end() - dash < 4 || dash - fields.begin() < 6) continue;
    std::string_view fstype = dash[1];
    std::string_view super = dash[3];
    bool v2 = fstype == "cgroup2";
    bool v1 = false;
    if (fstype == "cgroup") {
      for (std::string_view option : Split(super, ',')) v1 = v1 || option == "cpu";
    }
    const std::optional<std::string>& path = v2 ? v2_path : v1_path;
    if ((!v2 && !v1) || !path) continue;
    std::string root = Unescape(fields[3]);
    std::string mount = Unescape(fields[4]);
    // The cgroup's path below the mount's root; a cgroup outside what is mounted here
    // cannot be read through this mount.
    std::string relative;
    if (root == "/") {
      relative = *path;
    } else if (*path == root) {
      relative = "/";
    } else if (path->starts_with(root + "/")) {
      relative = path->substr(root.size());
    } else {
      continue;
    }
    if (mount == "/") mount.clear();
    // This cgroup and every one above it up to the mount: the lowest quota bounds it.
    for (std::string at = relative;; at = Parent(at)) {
      std::string dir = fs_root + mount + (at == "/" ? "" : at);
      std::optional<Quota> quota = v2 ? QuotaV2(dir) : QuotaV1(dir);
      if (quota && (!lowest || quota->cpus < lowest->cpus)) lowest = quota;
      if (at == "/") break;
    }
  }

  limit.usable = limit.affinity;
  if (lowest) {
    limit.quota = lowest->cpus;
    limit.quota_file = lowest->file;
    // A quota of 1.5 CPUs keeps two threads busy part of the time: rounded up.
    const double rounded = std::ceil(lowest->cpus - 1e-9);
    const unsigned by_quota = rounded < 1 ? 1u : static_cast<unsigned>(std::min(rounded, 1e6));
    limit.usable = std::min(limit.affinity, by_quota);
  }
  return limit;
}

CpuLimit ReadCpuLimit() {
  std::string cgroups = ReadText("/proc/self/cgroup").value_or("");
  Result<Bytes> mountinfo = ReadFile("/proc/self/mountinfo");
  std::string mounts = mountinfo.ok() ? std::string(mountinfo->begin(), mountinfo->end()) : "";
  return ReadCpuLimitFrom(AffinityCpus(), cgroups, mounts, "");
}

unsigned UsableCpus() { return ReadCpuLimit().usable; }

}  // namespace wasmcloud
