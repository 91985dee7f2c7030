// A real redis-server for tests: started on a free port of 127.0.0.1 with persistence
// off and a temporary directory, ready when PING answers, killed by the destructor.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

#include "support/run_command.h"

namespace wasmcloud::keyvalue::testing {

class RedisServer {
 public:
  // The redis-server binary found at configure time; empty when there is none (the
  // tests that need one skip).
  static std::string Binary();

  // `extra_args` are appended to the command line (e.g. {"--requirepass", "secret"}).
  static Result<std::unique_ptr<RedisServer>> Start(std::vector<std::string> extra_args = {});
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  // redis://127.0.0.1:<port>[/db]
  std::string Url(int db = 0) const;

  // Kills the server (SIGKILL: it gets no chance to close connections cleanly).
  void Kill();
  // Starts it again on the same port (its data is gone: persistence is off).
  Status Restart();
  // SIGSTOP / SIGCONT: a server that accepts and answers nothing, then comes back.
  void Pause();
  void Resume();

  // Runs one command on a fresh connection (database `db`) and returns the reply as text:
  // a string or status as is, an integer in decimal, nil as "(nil)", an array as its
  // elements joined by '\n' (sorted when `sort`), an error as a kFailedPrecondition.
  Result<std::string> Command(const std::vector<std::string>& args, int db = 0,
                              bool sort = false) const;

 private:
  RedisServer(std::string dir, std::vector<std::string> extra_args)
      : dir_(std::move(dir)), extra_args_(std::move(extra_args)) {}
  Status Launch();
  bool Pings() const;

  std::string dir_;
  std::vector<std::string> extra_args_;
  std::string password_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// A port of 127.0.0.1 that was free a moment ago (tests/support).
inline int FreePort() { return ::wasmcloud::testing::FreeLoopbackPort(); }

}  // namespace wasmcloud::keyvalue::testing
