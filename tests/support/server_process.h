// Servers that tests start themselves (redis-server, nats-server, docker-registry): spawn
// the program, wait until it is ready (no fixed sleeps), stop it. For tests only.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"

namespace wasmcloud::testing {

struct ServerLaunch {
  std::vector<std::string> argv;  // argv[0] is the program's path
  // A file the server's stdout and stderr are appended to; empty: the test's own.
  std::string output_file;
  // The server's log, whose text goes into the errors below (often output_file).
  std::string log_file;
  // Polled every few ms once the process runs; true when the server serves. It may read
  // the pid given to LaunchServer (set before the first poll).
  std::function<bool()> ready;
  std::chrono::milliseconds timeout{10000};
  // What `ready` waits for, for the timeout's error ("answer PING").
  std::string ready_means = "answer";
};

// Spawns the server and waits until `ready` answers true. Errors: the program cannot be
// started; it exits before it is ready (Unavailable, e.g. its port was taken); it is not
// ready within the timeout (DeadlineExceeded; it is killed). *pid is -1 after an error.
Status LaunchServer(const ServerLaunch& launch, pid_t* pid);

// Sends `sig` and reaps the process; *pid becomes -1. Nothing when *pid is not a process.
void StopServer(pid_t* pid, int sig);

// Calls `launch` with *port set to a free port of 127.0.0.1, up to `attempts` times:
// another process may take the port between choosing it and the server binding it.
Status LaunchOnFreePort(int* port, const std::function<Status()>& launch, int attempts = 5);

// The text of a file ("" when it cannot be read).
std::string ReadTextFile(const std::string& path);

}  // namespace wasmcloud::testing
