#include "core/cpus.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace wasmcloud {
namespace {

// A fake file system root with cgroup files in it.
class CpuLimitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/wc_cpus_XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    root_ = dir;
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void Write(const std::string& path, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(root_ + path).parent_path());
    std::ofstream(root_ + path) << text;
  }
  std::string root_;
};

// A host with cgroup v2 only, as systemd and current container runtimes set up.
constexpr char kV2Mounts[] =
    "22 1 0:21 / / rw,relatime - ext4 /dev/vda rw\n"
    "30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
    "rw,nsdelegate\n";

TEST_F(CpuLimitTest, NoQuotaLeavesTheAffinity) {
  Write("/sys/fs/cgroup/cpu.max", "max 100000\n");
  Write("/sys/fs/cgroup/job/cpu.max", "max 100000\n");
  CpuLimit limit = ReadCpuLimitFrom(8, "0::/job\n", kV2Mounts, root_);
  EXPECT_EQ(limit.usable, 8u);
  EXPECT_EQ(limit.quota, 0);
  EXPECT_EQ(limit.Describe(), "8 CPUs");
}

TEST_F(CpuLimitTest, AV2QuotaIsRoundedUp) {
  Write("/sys/fs/cgroup/job/cpu.max", "150000 100000\n");
  CpuLimit limit = ReadCpuLimitFrom(8, "0::/job\n", kV2Mounts, root_);
  EXPECT_EQ(limit.usable, 2u);
  EXPECT_DOUBLE_EQ(limit.quota, 1.5);
  EXPECT_EQ(limit.quota_file, root_ + "/sys/fs/cgroup/job/cpu.max");
  EXPECT_EQ(limit.Describe(), "2 CPUs (of 8 by affinity, cgroup CPU quota 1.50 in " + root_ +
                                  "/sys/fs/cgroup/job/cpu.max)");

  // Less than one CPU still runs one thread; a whole number is not rounded up further.
  Write("/sys/fs/cgroup/job/cpu.max", "20000 100000\n");
  EXPECT_EQ(ReadCpuLimitFrom(8, "0::/job\n", kV2Mounts, root_).usable, 1u);
  Write("/sys/fs/cgroup/job/cpu.max", "300000 100000\n");
  EXPECT_EQ(ReadCpuLimitFrom(8, "0::/job\n", kV2Mounts, root_).usable, 3u);
}

TEST_F(CpuLimitTest, AnAncestorsLowerQuotaBounds) {
  // A Kubernetes pod: the limit sits on the pod's cgroup, the container's may set none or
  // a higher one.
  Write("/sys/fs/cgroup/kubepods/pod1/cpu.max", "100000 100000\n");
  Write("/sys/fs/cgroup/kubepods/pod1/ctr/cpu.max", "400000 100000\n");
  CpuLimit limit = ReadCpuLimitFrom(16, "0::/kubepods/pod1/ctr\n", kV2Mounts, root_);
  EXPECT_EQ(limit.usable, 1u);
  EXPECT_EQ(limit.quota_file, root_ + "/sys/fs/cgroup/kubepods/pod1/cpu.max");
}

TEST_F(CpuLimitTest, TheAffinityBoundsAQuotaAboveIt) {
  Write("/sys/fs/cgroup/job/cpu.max", "800000 100000\n");
  CpuLimit limit = ReadCpuLimitFrom(2, "0::/job\n", kV2Mounts, root_);
  EXPECT_EQ(limit.usable, 2u);
  EXPECT_DOUBLE_EQ(limit.quota, 8);
}

TEST_F(CpuLimitTest, AV1CpuControllerSharedWithCpuacct) {
  const std::string mounts =
      "22 1 0:21 / / rw - ext4 /dev/vda rw\n"
      "31 22 0:27 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset\n"
      "32 22 0:28 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n";
  // cpuset's own files must not be read as the cpu controller's.
  Write("/sys/fs/cgroup/cpuset/job/cpu.cfs_quota_us", "10000\n");
  Write("/sys/fs/cgroup/cpuset/job/cpu.cfs_period_us", "100000\n");
  Write("/sys/fs/cgroup/cpu,cpuacct/job/cpu.cfs_quota_us", "-1\n");
  Write("/sys/fs/cgroup/cpu,cpuacct/job/cpu.cfs_period_us", "100000\n");
  const std::string cgroups = "3:cpuset:/job\n2:cpu,cpuacct:/job\n1:name=systemd:/\n0::/\n";
  EXPECT_EQ(ReadCpuLimitFrom(4, cgroups, mounts, root_).usable, 4u);
  Write("/sys/fs/cgroup/cpu,cpuacct/job/cpu.cfs_quota_us", "250000\n");
  CpuLimit limit = ReadCpuLimitFrom(4, cgroups, mounts, root_);
  EXPECT_EQ(limit.usable, 3u);
  EXPECT_EQ(limit.quota_file, root_ + "/sys/fs/cgroup/cpu,cpuacct/job/cpu.cfs_quota_us");
}

TEST_F(CpuLimitTest, AContainersMountRootIsTakenOffItsPath) {
  // Docker without a cgroup namespace: the mount shows the container's cgroup as its root,
  // /proc/self/cgroup the full path.
  const std::string mounts =
      "40 30 0:30 /docker/abc /sys/fs/cgroup/cpu ro - cgroup cgroup rw,cpu\n"
      "41 30 0:31 /other /sys/fs/cgroup/elsewhere ro - cgroup cgroup rw,cpu\n";
  Write("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "50000\n");
  Write("/sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n");
  Write("/sys/fs/cgroup/elsewhere/cpu.cfs_quota_us", "1000\n");
  Write("/sys/fs/cgroup/elsewhere/cpu.cfs_period_us", "100000\n");
  CpuLimit limit = ReadCpuLimitFrom(4, "5:cpu:/docker/abc\n", mounts, root_);
  EXPECT_EQ(limit.usable, 1u);
  EXPECT_DOUBLE_EQ(limit.quota, 0.5);
  EXPECT_EQ(limit.quota_file, root_ + "/sys/fs/cgroup/cpu/cpu.cfs_quota_us");
}

TEST_F(CpuLimitTest, EscapedMountPoints) {
  const std::string mounts = "30 22 0:26 / /sys/fs/cgroup\\040x rw - cgroup2 cgroup2 rw\n";
  Write("/sys/fs/cgroup x/job/cpu.max", "100000 100000\n");
  EXPECT_EQ(ReadCpuLimitFrom(4, "0::/job\n", mounts, root_).usable, 1u);
}

TEST_F(CpuLimitTest, WhatDoesNotParseIsNoQuota) {
  for (const char* text : {"", "garbage", "100000", "-5 100000", "100000 0", "1e5 100000",
                           "100000 100000 7", "99999999999999999999999 1"}) {
    Write("/sys/fs/cgroup/job/cpu.max", text);
    CpuLimit limit = ReadCpuLimitFrom(4, "0::/job\n", kV2Mounts, root_);
    EXPECT_EQ(limit.usable, 4u) << text;
    EXPECT_EQ(limit.quota, 0) << text;
  }
  // Nor do broken /proc files.
  for (const char* cgroups : {"", "0::", "garbage\n", "0::relative\n", ":::\n"}) {
    EXPECT_EQ(ReadCpuLimitFrom(4, cgroups, kV2Mounts, root_).usable, 4u) << cgroups;
  }
  for (const char* mounts : {"", "-", "30 22 0:26 / /sys/fs/cgroup - cgroup2", "\n\n - - - -\n"}) {
    EXPECT_EQ(ReadCpuLimitFrom(4, "0::/job\n", mounts, root_).usable, 4u) << mounts;
  }
  // An affinity of 0 (never reported) counts as one CPU.
  EXPECT_EQ(ReadCpuLimitFrom(0, "", "", root_).usable, 1u);
}

TEST(CpuLimit, ThisProcessSeesItsAffinity) {
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
  CpuLimit limit = ReadCpuLimit();
  EXPECT_EQ(limit.affinity, static_cast<unsigned>(CPU_COUNT(&set)));
  EXPECT_GE(limit.usable, 1u);
  EXPECT_LE(limit.usable, limit.affinity);
  EXPECT_EQ(UsableCpus(), limit.usable);
}

}  // namespace
}  // namespace wasmcloud
