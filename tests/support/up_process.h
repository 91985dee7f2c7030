// A `wasmcloud up` child process for tests: started with arguments and extra environment
// (WASMCLOUD_BUILD_DIR is set to the build tree, for the example manifests, and
// WASMCLOUD_LATTICE_FILE to a file in a directory of its own unless `env` names one, so
// that tests running at once never share a local lattice file), its stderr (the host's
// log) read as it comes, stopped with a signal. Killed by the destructor.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wasmcloud::testing {

class UpProcess {
 public:
  // `stdout_too`: its stdout is read into the log as well (a `ctl watch events`),
  // instead of going to /dev/null. `binary`: the wasmcloud executable to run (default:
  // the build's).
  explicit UpProcess(const std::vector<std::string>& args,
                     const std::vector<std::pair<std::string, std::string>>& env = {},
                     bool stdout_too = false, const std::string& binary = "");
  ~UpProcess();
  UpProcess(const UpProcess&) = delete;
  UpProcess& operator=(const UpProcess&) = delete;

  // Reads the log until `text` appears; false when the process closed its log (exited)
  // or `timeout` passed first.
  bool WaitFor(const std::string& text, std::chrono::seconds timeout = std::chrono::seconds(60));
  // Sends `sig`, reads the log to its end and waits for the exit: the exit code
  // (128+signal when killed by one).
  int Stop(int sig);
  // Sends `sig` and returns at once.
  void Signal(int sig);
  // Reads the log to its end and waits for the exit: the exit code (128+signal when
  // killed by one).
  int Wait();
  const std::string& log() const { return log_; }
  pid_t pid() const { return pid_; }
  // The WASMCLOUD_LATTICE_FILE it was given.
  const std::string& lattice_file() const { return lattice_file_; }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string log_;
  std::string lattice_file_;
  std::string own_dir_;  // holds the default lattice file; removed by the destructor
};

// The live children (zombies left out) of `parent` whose command line contains `word`
// (every live child when it is empty): the nats-server or provider-host processes of an
// `up`.
std::vector<pid_t> ChildProcesses(pid_t parent, std::string_view word = "");

// What follows `name` ("Uid:", "NSpid:") on its line of /proc/<pid>/status, without the
// blanks after the name; "" when the process or the line is not there.
std::string ProcStatus(pid_t pid, std::string_view name);

// The pid, in this process's PID namespace, of the process a provider named as
// "<PID namespace> <pid>" ("pid:[4026532451] 2", as the test chaos provider answers: its
// /proc may show its namespace only): the process in that namespace whose last NSpid is
// that pid. A bare pid is returned as it is; "" when no such process is alive.
std::string HostPid(std::string_view answer);

// The first child of process `pid`'s first thread (/proc/<pid>/task/<pid>/children), -1
// when it has none.
pid_t FirstChild(pid_t pid);

}  // namespace wasmcloud::testing
