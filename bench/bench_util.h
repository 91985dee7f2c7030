// What the plain-main benchmarks (nats_bench, provider_bench) share: time in numbers,
// percentiles, and what the machine was doing (CPU time of processes, the load and the
// compilers running while a figure was taken: other engineers build on this machine).
#pragma once

#include <dirent.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace wasmcloud::bench {

inline double Micros(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}
inline double Millis(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}
inline double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// Percentile q (0..1) of `v` (sorted here).
inline double Percentile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(q * static_cast<double>(v.size()));
  return v[std::min(i, v.size() - 1)];
}

// CPU time of this process so far, in microseconds.
inline double ProcessCpuMicros() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

inline std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Every process but this one: (pid, command line with NULs as spaces).
inline std::vector<std::pair<pid_t, std::string>> Processes() {
  std::vector<std::pair<pid_t, std::string>> out;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return out;
  while (dirent* e = readdir(proc)) {
    const std::string name = e->d_name;
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(name));
    if (pid == getpid()) continue;
    std::string cmdline = ReadText("/proc/" + name + "/cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    out.emplace_back(pid, std::move(cmdline));
  }
  closedir(proc);
  return out;
}

// The fields of /proc/<pid>/stat after the command name: [0] is field 3 (state), [1]
// the ppid, [11] utime, [12] stime.
inline std::vector<std::string> StatFields(pid_t pid) {
  const std::string stat = ReadText("/proc/" + std::to_string(pid) + "/stat");
  std::vector<std::string> fields;
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return fields;
  for (size_t i = close + 2; i < stat.size();) {
    size_t sp = stat.find(' ', i);
    fields.push_back(stat.substr(i, sp == std::string::npos ? std::string::npos : sp - i));
    if (sp == std::string::npos) break;
    i = sp + 1;
  }
  return fields;
}

// utime + stime of `pid` in microseconds (clock-tick resolution); 0 when unknown.
inline double CpuMicrosOf(pid_t pid) {
  if (pid <= 0) return 0;
  const std::vector<std::string> f = StatFields(pid);
  if (f.size() < 13) return 0;
  const double ticks = std::stod(f[11]) + std::stod(f[12]);
  return ticks * 1e6 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// A line saying how busy the machine is `when`: the load average and the compilers and
// linkers running now.
inline void PrintMachine(const char* when) {
  std::string load = ReadText("/proc/loadavg");
  if (!load.empty() && load.back() == '\n') load.pop_back();
  int compilers = 0;
  for (const auto& [pid, cmd] : Processes()) {
    const std::string first = cmd.substr(0, cmd.find(' '));
    const std::string base = first.substr(first.rfind('/') + 1);
    if (base == "cc1plus" || base == "cc1" || base == "ld" || base == "collect2" ||
        base == "ld.gold" || base == "ld.lld" || base == "clang++" || base == "clang") {
      ++compilers;
    }
  }
  std::printf("  [machine %s: %u cores, loadavg %s; %d compiler/linker processes running]\n", when,
              std::thread::hardware_concurrency(), load.c_str(), compilers);
}

}  // namespace wasmcloud::bench
