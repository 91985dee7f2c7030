// `wasmcloud provider-host`: the child process a host runs a provider in
// (docs/providers.md#isolation-providers-in-a-child-process-supervised). Not for people:
// the host starts it with the socket on --fd; it is hidden from --help.
#include <sys/prctl.h>

#include <CLI/CLI.hpp>
#include <cerrno>

#include <cstdint>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "core/log.h"
#include "provider/process_child.h"

namespace wasmcloud::cli {

void AddProviderHostCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("provider-host",
                                 "Serve one provider library to the host that started this "
                                 "process (internal)");
  cmd->group("");  // hidden
  struct Args {
    int fd = 3;
    std::string library;
    int library_fd = -1;
    std::string contract;
    std::string log_level = "info";
    uint64_t max_open_files = 0;
    bool no_seccomp = false;
    bool dumpable = false;
    bool own_group = false;
    int status_fd = -1;
    bool mount_proc = false;
    std::optional<uint32_t> uid;
    std::optional<uint32_t> gid;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--fd", args->fd, "The socket to the host")->required();
  cmd->add_option("--library", args->library, "The provider library")->required();
  cmd->add_option("--library-fd", args->library_fd,
                  "A descriptor of the library to load (--library then only names it)");
  cmd->add_option("--contract", args->contract, "The contract it must implement");
  cmd->add_option("--log-level", args->log_level, "Log level");
  cmd->add_option("--max-open-files", args->max_open_files, "Open file limit");
  cmd->add_flag("--no-seccomp", args->no_seccomp, "Without the system call filter");
  cmd->add_flag("--dumpable", args->dumpable, "Stay dumpable (the host's --dumpable)");
  cmd->add_flag("--own-group", args->own_group,
                "Leads a process group of its own: ends it when the host is gone");
  cmd->add_option("--status-fd", args->status_fd,
                  "Process 1 of a PID namespace: reports the provider's end here");
  cmd->add_flag("--mount-proc", args->mount_proc,
                "Process 1 of a PID namespace: a mount namespace with the namespace's own /proc");
  cmd->add_option("--uid", args->uid, "Run as this user id (the host's --provider-user)");
  cmd->add_option("--gid", args->gid, "Run as this group id (the host's --provider-user)");
  cmd->callback([args, exit_code] {
    // Started as /proc/self/exe, the kernel names the process "exe" (ps, top, pgrep,
    // pidof): it takes the name its argv[0] gives, "wasmcloud", as the host has.
    ::prctl(PR_SET_NAME, program_invocation_short_name, 0, 0, 0);
    provider::ProviderChildOptions o;
    o.fd = args->fd;
    o.library = args->library;
    o.library_fd = args->library_fd;
    if (!args->contract.empty()) o.contract = args->contract;
    if (!ParseLogLevel(args->log_level, &o.log_level)) o.log_level = LogLevel::kInfo;
    o.confinement.seccomp = !args->no_seccomp;
    o.confinement.dumpable = args->dumpable;
    o.confinement.max_open_files = args->max_open_files;
    o.own_group = args->own_group;
    o.status_fd = args->status_fd;
    o.mount_proc = args->mount_proc;
    o.confinement.uid = args->uid;
    o.confinement.gid = args->gid;
    *exit_code = provider::RunProviderChild(o);
  });
}

}  // namespace wasmcloud::cli
