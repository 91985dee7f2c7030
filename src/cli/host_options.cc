#include "cli/host_options.h"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <filesystem>

namespace wasmcloud::cli {

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
  // Providers that run in a child process run in this binary's `provider-host`.
  if (config.provider_host_exe.empty()) {
    std::error_code ec;
    auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) config.provider_host_exe = self.string();
  }
  return config;
}

}  // namespace wasmcloud::cli
