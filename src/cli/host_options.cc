#include "cli/host_options.h"

#include <sys/prctl.h>

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <filesystem>

namespace wasmcloud::cli {

namespace {
constexpr char kSelfExe[] = "/proc/self/exe";
}  // namespace

void HostOptions::Register(CLI::App& cmd) {
  for (const host::ConfigOption& option : host::ConfigOptions()) {
    std::string flag(option.flag);
    std::string help = std::string(option.help) + " [env " + std::string(option.env) + "]";
    if (option.value_name.empty()) {
      switches_[flag] = false;
      cmd.add_flag(flag, switches_[flag], help);
    } else {
      auto* opt = cmd.add_option(flag, values_[flag], help);
      opt->type_name(std::string(option.value_name));
      if (option.repeatable) {
        opt->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
      } else {
        opt->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
      }
    }
  }
}

bool HostOptions::log_level_given() const {
  auto it = values_.find("--log-level");
  const char* env = std::getenv("WASMCLOUD_LOG_LEVEL");
  return (it != values_.end() && !it->second.empty()) || (env != nullptr && *env != '\0');
}

Result<host::HostConfig> HostOptions::Resolve() const {
  host::HostConfig config;
  for (const host::ConfigOption& option : host::ConfigOptions()) {
    std::string flag(option.flag);
    std::vector<std::string> given;
    if (option.value_name.empty()) {
      auto it = switches_.find(flag);
      if (it != switches_.end() && it->second) given.push_back("true");
    } else if (auto it = values_.find(flag); it != values_.end()) {
      given = it->second;
    }
    if (!given.empty()) {
      for (const auto& v : given) {
        Status s = option.apply(config, v);
        if (!s.ok()) return s.WithContext(flag);
      }
      continue;
    }
    const char* env = std::getenv(std::string(option.env).c_str());
    if (env != nullptr) WC_RETURN_IF_ERROR(host::ApplyEnvironmentValue(option, config, env));
  }
  // Providers that run in a child process run in this binary's `provider-host`, started
  // through /proc/self/exe rather than the path it was read from: a provider restarted
  // after the binary was replaced or removed (an upgrade in place) still runs in the same
  // build as the host that speaks to it, where the path would give another build or
  // "/usr/bin/wasmcloud (deleted)".
  if (config.provider_host_exe.empty()) {
    std::error_code ec;
    if (!std::filesystem::read_symlink(kSelfExe, ec).empty() && !ec) {
      config.provider_host_exe = kSelfExe;
    }
  }
  return config;
}

void HostOptions::ApplyToProcess(const host::HostConfig& config) {
  // Same-user processes could otherwise ptrace the host or read /proc/<pid>/mem; a child
  // gets the default back at its execve, so provider children and nats-server stay
  // dumpable themselves.
  ::prctl(PR_SET_DUMPABLE, config.dumpable ? 1 : 0, 0, 0, 0);
}

}  // namespace wasmcloud::cli
