#include "redis_server.h"

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "support/server_process.h"

namespace wasmcloud::keyvalue::testing {
namespace {

constexpr auto kStartTimeout = std::chrono::seconds(10);

struct ContextFree {
  void operator()(redisContext* c) const { redisFree(c); }
};
using Context = std::unique_ptr<redisContext, ContextFree>;
struct ReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;

Context Connect(int port) {
  timeval tv{0, 200 * 1000};
  Context c(redisConnectWithTimeout("127.0.0.1", port, tv));
  if (c == nullptr || c->err != 0) return nullptr;
  redisSetTimeout(c.get(), timeval{5, 0});
  return c;
}

Reply Run(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  return Reply(static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data())));
}

}  // namespace

std::string RedisServer::Binary() { return WC_REDIS_SERVER; }

Result<std::unique_ptr<RedisServer>> RedisServer::Start(std::vector<std::string> extra_args) {
  if (Binary().empty()) return NotFound("redis-server is not installed");
  std::unique_ptr<RedisServer> server(
      new RedisServer(wasmcloud::testing::MakeTempDir(), std::move(extra_args)));
  auto pass = std::find(server->extra_args_.begin(), server->extra_args_.end(), "--requirepass");
  if (pass != server->extra_args_.end() && pass + 1 != server->extra_args_.end()) {
    server->password_ = *(pass + 1);
  }
  WC_RETURN_IF_ERROR(
      wasmcloud::testing::LaunchOnFreePort(&server->port_, [&] { return server->Launch(); }));
  return server;
}

Status RedisServer::Launch() {
  const std::string log = dir_ + "/redis.log";
  std::vector<std::string> argv = {Binary(), "--port",       std::to_string(port_),
                                   "--bind", "127.0.0.1",    "--save",
                                   "",       "--appendonly", "no",
                                   "--dir",  dir_,           "--logfile",
                                   log,      "--daemonize",  "no"};
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  wasmcloud::testing::ServerLaunch launch;
  launch.argv = argv;
  launch.log_file = log;
  launch.ready = [this] { return Pings(); };
  launch.timeout = kStartTimeout;
  launch.ready_means = "answer PING";
  return wasmcloud::testing::LaunchServer(launch, &pid_);
}

bool RedisServer::Pings() const {
  Context c = Connect(port_);
  if (c == nullptr) return false;
  if (!password_.empty()) Run(c.get(), {"AUTH", password_});
  Reply r = Run(c.get(), {"PING"});
  if (r == nullptr || r->type == REDIS_REPLY_ERROR) return false;
  // Ours, not a server another test started on the same port a moment earlier (ours then
  // exits, and Launch sees it).
  Reply info = Run(c.get(), {"INFO", "server"});
  if (info == nullptr || info->type != REDIS_REPLY_STRING) return false;
  const std::string text(info->str, info->len);
  return text.find("process_id:" + std::to_string(pid_) + "\r\n") != std::string::npos;
}

RedisServer::~RedisServer() {
  Kill();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string RedisServer::Url(int db) const {
  std::string url = "redis://127.0.0.1:" + std::to_string(port_);
  if (db != 0) url += "/" + std::to_string(db);
  return url;
}

void RedisServer::Kill() { wasmcloud::testing::StopServer(&pid_, SIGKILL); }

void RedisServer::Pause() {
  if (pid_ > 0) ::kill(pid_, SIGSTOP);
}

void RedisServer::Resume() {
  if (pid_ > 0) ::kill(pid_, SIGCONT);
}

Status RedisServer::Restart() {
  Kill();
  return Launch();
}

Result<std::string> RedisServer::Command(const std::vector<std::string>& args, int db,
                                         bool sort) const {
  Context c = Connect(port_);
  if (c == nullptr) return Unavailable("cannot connect to the test redis-server");
  if (!password_.empty()) Run(c.get(), {"AUTH", password_});
  if (db != 0) Run(c.get(), {"SELECT", std::to_string(db)});
  Reply r = Run(c.get(), args);
  if (r == nullptr) return Unavailable(std::string("redis: ") + c->errstr);
  switch (r->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      return std::string(r->str, r->len);
    case REDIS_REPLY_INTEGER:
      return std::to_string(r->integer);
    case REDIS_REPLY_NIL:
      return std::string("(nil)");
    case REDIS_REPLY_ERROR:
      return FailedPrecondition(std::string(r->str, r->len));
    case REDIS_REPLY_ARRAY: {
      std::vector<std::string> items;
      for (size_t i = 0; i < r->elements; ++i) {
        items.emplace_back(r->element[i]->str, r->element[i]->len);
      }
      if (sort) std::sort(items.begin(), items.end());
      std::string out;
      for (size_t i = 0; i < items.size(); ++i) out += (i ? "\n" : "") + items[i];
      return out;
    }
  }
  return Internal("unknown reply type");
}

}  // namespace wasmcloud::keyvalue::testing
