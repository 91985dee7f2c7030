// How many CPUs this process may use, for the defaults that scale with the machine (the
// host's workers, the HTTP server's I/O loops and call threads, V8's background compile
// threads): the CPUs of its affinity mask (taskset, a cpuset), lowered by the CPU quota of
// its cgroup (cgroup v2 `cpu.max`, v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`: what a
// container's `--cpus` or a Kubernetes CPU limit sets) or of any cgroup above it.
// std::thread::hardware_concurrency() sees neither and counts every CPU of the machine.
#pragma once

#include <string>
#include <string_view>

namespace wasmcloud {

struct CpuLimit {
  unsigned affinity = 1;   // CPUs in the affinity mask
  double quota = 0;        // the lowest CPU quota, in CPUs (quota / period); 0: none
  std::string quota_file;  // the file that set it, e.g. /sys/fs/cgroup/cpu/job/cpu.cfs_quota_us
  unsigned usable = 1;     // min(affinity, quota rounded up), at least 1

  // "2 CPUs" or "1 CPU (of 2 by affinity, cgroup CPU quota 0.50 in
  // /sys/fs/cgroup/cpu.max)": for logs.
  std::string Describe() const;
};

// Reads the affinity mask, /proc/self/cgroup, /proc/self/mountinfo and the quota files of
// the cgroups they name (a few small files; call it when deciding, not per operation).
// Files that are missing or do not parse count as no quota.
CpuLimit ReadCpuLimit();

// ReadCpuLimit() from given contents, for tests: `cgroups` as /proc/self/cgroup,
// `mountinfo` as /proc/self/mountinfo, mount points read under `fs_root` ("" for /).
CpuLimit ReadCpuLimitFrom(unsigned affinity, std::string_view cgroups, std::string_view mountinfo,
                          const std::string& fs_root);

// ReadCpuLimit().usable.
unsigned UsableCpus();

}  // namespace wasmcloud
