// RedisStore: one Redis command per operation (the commands the 0.18 redis provider sent),
// over a small pool of blocking hiredis connections.
#include <hiredis/hiredis.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <initializer_list>

#include "keyvalue/store.h"

namespace wasmcloud::keyvalue {
namespace {

struct ContextFree {
  void operator()(redisContext* c) const { redisFree(c); }
};
using Context = std::unique_ptr<redisContext, ContextFree>;
struct ReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

std::optional<int> ParseDecimal(std::string_view s, int max) {
  int v = 0;
  if (s.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 0 || v > max) return std::nullopt;
  return v;
}

// %XX escapes in the user and password of a URL.
Result<std::string> PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      return InvalidArgument("a bad % escape");
    }
    int byte = 0;
    std::from_chars(s.data() + i + 1, s.data() + i + 3, byte, 16);
    out.push_back(static_cast<char>(byte));
    i += 2;
  }
  return out;
}

// The error of a reply of type REDIS_REPLY_ERROR, as store.h documents the codes.
Status ServerError(std::string_view text) {
  if (text.starts_with("NOAUTH") || text.starts_with("WRONGPASS") || text.starts_with("NOPERM")) {
    return PermissionDenied(std::string(text));
  }
  return FailedPrecondition(std::string(text));
}

Status UnexpectedReply(std::string_view command, const redisReply& r) {
  return Internal("Redis answered " + std::string(command) + " with an unexpected reply of type " +
                  std::to_string(r.type));
}

Result<int64_t> AsInteger(std::string_view command, const redisReply& r) {
  if (r.type != REDIS_REPLY_INTEGER) return UnexpectedReply(command, r);
  return static_cast<int64_t>(r.integer);
}

Result<std::vector<std::string>> AsStrings(std::string_view command, const redisReply& r) {
  if (r.type != REDIS_REPLY_ARRAY) return UnexpectedReply(command, r);
  std::vector<std::string> out;
  out.reserve(r.elements);
  for (size_t i = 0; i < r.elements; ++i) {
    const redisReply& e = *r.element[i];
    if (e.type != REDIS_REPLY_STRING) return UnexpectedReply(command, e);
    out.emplace_back(e.str, e.len);
  }
  return out;
}

}  // namespace

Result<RedisAddress> ParseRedisUrl(std::string_view url) {
  auto bad = [&](std::string_view why) {
    return InvalidArgument("bad Redis URL \"" + std::string(url) + "\": " + std::string(why) +
                           " (expected redis://[[user]:password@]host[:port][/db])");
  };
  constexpr std::string_view kScheme = "redis://";
  if (url.starts_with("rediss://")) return bad("TLS (rediss://) is not supported");
  if (!url.starts_with(kScheme)) return bad("it does not start with redis://");
  std::string_view rest = url.substr(kScheme.size());
  if (rest.find_first_of("?#") != std::string_view::npos)
    return bad("query parameters are not supported");

  RedisAddress a;
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view path = rest.substr(slash + 1);
    if (!path.empty()) {
      auto db = ParseDecimal(path, 1 << 30);
      if (!db) return bad("the database \"" + std::string(path) + "\" is not a number");
      a.db = *db;
    }
  }
  const size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const size_t colon = userinfo.find(':');
    auto user = PercentDecode(userinfo.substr(0, colon));
    if (!user.ok()) return bad(user.status().message() + " in the user");
    a.user = *user;
    if (colon != std::string_view::npos) {
      auto password = PercentDecode(userinfo.substr(colon + 1));
      if (!password.ok()) return bad(password.status().message() + " in the password");
      a.password = *password;
    }
  }
  std::string_view port;
  if (authority.starts_with("[")) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("an IPv6 host lacks its ']'");
    a.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return bad("unexpected text after the IPv6 host");
      port = after.substr(1);
      if (port.empty()) return bad("the port is empty");
    }
  } else {
    const size_t colon = authority.find(':');
    a.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return bad("the port is empty");
    }
  }
  if (a.host.empty()) return bad("the host is empty");
  if (!port.empty()) {
    auto p = ParseDecimal(port, 65535);
    if (!p || *p == 0) return bad("the port \"" + std::string(port) + "\" is not 1-65535");
    a.port = *p;
  }
  return a;
}

class RedisStore::Impl {
 public:
  Impl(RedisAddress address, RedisOptions options)
      : address_(std::move(address)),
        options_(options),
        where_(address_.host.find(':') != std::string::npos
                   ? "[" + address_.host + "]:" + std::to_string(address_.port)
                   : address_.host + ":" + std::to_string(address_.port)) {
    if (address_.db != 0) where_ += "/" + std::to_string(address_.db);
  }

  ~Impl() = default;  // the idle connections are closed by their deleters

  const RedisAddress& address() const { return address_; }

  // Sends one command and returns its reply; an error reply becomes a Status.
  Result<Reply> Run(std::initializer_list<std::string_view> args,
                    std::span<const std::string> more = {}) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    argv.reserve(args.size() + more.size());
    lens.reserve(args.size() + more.size());
    for (std::string_view a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    for (const std::string& a : more) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    const std::string_view command = *args.begin();

    bool pooled = false;
    WC_ASSIGN_OR_RETURN(Context c, Acquire(&pooled));
    for (int attempt = 0;; ++attempt) {
      errno = 0;
      auto* raw = static_cast<redisReply*>(
          redisCommandArgv(c.get(), static_cast<int>(argv.size()), argv.data(), lens.data()));
      const int saved_errno = errno;
      if (raw != nullptr) {
        Reply reply(raw);
        Release(std::move(c));
        if (reply->type == REDIS_REPLY_ERROR) {
          return ServerError(std::string_view(reply->str, reply->len));
        }
        return reply;
      }
      const int err = c->err;
      const std::string errstr = c->errstr;
      c.reset();
      const bool timed_out =
          err == REDIS_ERR_IO && (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK);
      if (timed_out) {
        return DeadlineExceeded("Redis at " + where_ + " did not answer " + std::string(command) +
                                " within " + std::to_string(options_.command_timeout.count()) +
                                " ms");
      }
      // The server closed a connection that sat in the pool (restart, idle timeout): it
      // never saw the command. The other idle ones are likely closed too.
      const bool closed_before_answer =
          err == REDIS_ERR_EOF ||
          (err == REDIS_ERR_IO && (saved_errno == ECONNRESET || saved_errno == EPIPE));
      if (pooled && attempt == 0 && closed_before_answer) {
        DropIdle();
        WC_ASSIGN_OR_RETURN(c, Connect());
        continue;
      }
      return Unavailable("connection to Redis at " + where_ + " failed during " +
                         std::string(command) + ": " + errstr);
    }
  }

 private:
  Result<Context> Acquire(bool* pooled) {
    {
      std::lock_guard lock(mu_);
      if (!idle_.empty()) {
        Context c = std::move(idle_.back());
        idle_.pop_back();
        *pooled = true;
        return c;
      }
    }
    *pooled = false;
    return Connect();
  }

  void Release(Context c) {
    if (c->err != 0) return;
    std::lock_guard lock(mu_);
    if (idle_.size() < options_.max_idle_connections) idle_.push_back(std::move(c));
  }

  void DropIdle() {
    std::vector<Context> dropped;
    std::lock_guard lock(mu_);
    dropped.swap(idle_);
  }

  Result<Context> Connect() {
    Context c(redisConnectWithTimeout(address_.host.c_str(), address_.port,
                                      ToTimeval(options_.connect_timeout)));
    if (c == nullptr) return Internal("cannot allocate a Redis connection");
    if (c->err != 0) {
      return Unavailable("cannot connect to Redis at " + where_ + ": " + c->errstr);
    }
    // The handshake runs under the connect timeout, commands under their own.
    if (redisSetTimeout(c.get(), ToTimeval(options_.connect_timeout)) != REDIS_OK ||
        redisEnableKeepAlive(c.get()) != REDIS_OK) {
      return Unavailable("cannot set up the connection to Redis at " + where_ + ": " + c->errstr);
    }
    if (!address_.password.empty()) {
      std::vector<std::string> auth = {"AUTH"};
      if (!address_.user.empty()) auth.push_back(address_.user);
      auth.push_back(address_.password);
      WC_RETURN_IF_ERROR(Handshake(c.get(), auth));
    }
    if (address_.db != 0) {
      WC_RETURN_IF_ERROR(Handshake(c.get(), {"SELECT", std::to_string(address_.db)}));
    }
    if (redisSetTimeout(c.get(), ToTimeval(options_.command_timeout)) != REDIS_OK) {
      return Unavailable("cannot set up the connection to Redis at " + where_ + ": " + c->errstr);
    }
    return c;
  }

  Status Handshake(redisContext* c, const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const std::string& a : args) {
      argv.push_back(a.c_str());
      lens.push_back(a.size());
    }
    Reply r(static_cast<redisReply*>(
        redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data())));
    if (r == nullptr) {
      return Unavailable("cannot connect to Redis at " + where_ + ": " + args[0] +
                         " failed: " + c->errstr);
    }
    if (r->type == REDIS_REPLY_ERROR) {
      Status s = ServerError(std::string_view(r->str, r->len));
      return Status(s.code(), "Redis at " + where_ + " refused " + args[0] + ": " + s.message());
    }
    return Status::Ok();
  }

  const RedisAddress address_;
  const RedisOptions options_;
  std::string where_;  // host:port[/db], for messages
  std::mutex mu_;
  std::vector<Context> idle_;
};

RedisStore::RedisStore(RedisAddress address, RedisOptions options)
    : impl_(std::make_unique<Impl>(std::move(address), options)) {}
RedisStore::~RedisStore() = default;

const RedisAddress& RedisStore::address() const { return impl_->address(); }

Result<std::optional<std::string>> RedisStore::Get(std::string_view key) {
  WC_ASSIGN_OR_RETURN(Reply r, impl_->Run({"GET", key}));
  if (r->type == REDIS_REPLY_NIL) return std::optional<std::string>();
  if (r->type != REDIS_REPLY_STRING) return UnexpectedReply("GET", *r);
  return std::optional<std::string>(std::string(r->str, r->len));
}

Result<int64_t> RedisStore::Add(std::string_view key, int64_t delta) {
  const std::string by = std::to_string(delta);
  WC_ASSIGN_OR_RETURN(Reply r, impl_->Run({"INCRBY", key, by}));
  return AsInteger("INCRBY", *r);
}

Status RedisStore::Set(std::string_view key, std::string_view value, std::chrono::seconds expires) {
  Result<Reply> r = Status(Code::kInternal, "unset");
  if (expires.count() > 0) {
    const std::string seconds = std::to_string(expires.count());
    r = impl_->Run({"SET", key, value, "EX", seconds});
  } else {
    r = impl_->Run({"SET", key, value});
  }
  if (!r.ok()) return r.status();
  if ((*r)->type != REDIS_REPLY_STATUS) return UnexpectedReply("SET", **r);
  return Status::Ok();
}

Status RedisStore::Del(std::string_view key) {
  WC_ASSIGN_OR_RETURN(Reply r, impl_->Run({"DEL", key}));
  return AsInteger("DEL", *r).status();
}

Result<std::vector<std::string>> RedisStore::Range(std::string_view key, int64_t start,
                                                   int64_t stop) {
  const std::string from = std::to_string(start);
  const std::string to = std::to_string(stop);
  WC_ASSIGN_OR_RETURN(Reply r, impl_->Run({"LRANGE", key, from, to}));
  return AsStrings("LRANGE", *r);
}

Result<int64_t> RedisStore::Push(std::string_view key, std::string_view value) {
  WC_ASSIGN_OR_RETURN(Reply r, impl_->Run({"LPUSH", key, value}));
  return AsInteger("LPUSH", *r);
}

Result<int64_t> RedisStore::ListItemDelete(std::string_view key, std::string_view value) {
  WC_ASSIGN_OR_RETURN(Reply r, impl_->Run({"LREM", key, "0", value}));
  return AsInteger("LREM", *r);
}

Result<int64_t> RedisStore::SetAdd(std::string_view key, std::string_view value) {
  WC_ASSIGN_OR_RETURN(Reply r, impl_->Run({"SADD", key, value}));
  return AsInteger("SADD", *r);
}

Result<int64_t> RedisStore::SetRemove(std::string_view key, std::string_view value) {
  WC_ASSIGN_OR_RETURN(Reply r, impl_->Run({"SREM", key, value}));
  return AsInteger("SREM", *r);
}

Result<std::vector<std::string>> RedisStore::SetUnion(std::span<const std::string> keys) {
  if (keys.empty()) return InvalidArgument("SetUnion needs at least one key");
  WC_ASSIGN_OR_RETURN(Reply r, impl_->Run({"SUNION"}, keys));
  return AsStrings("SUNION", *r);
}

Result<std::vector<std::string>> RedisStore::SetIntersection(std::span<const std::string> keys) {
  if (keys.empty()) return InvalidArgument("SetIntersection needs at least one key");
  WC_ASSIGN_OR_RETURN(Reply r, impl_->Run({"SINTER"}, keys));
  return AsStrings("SINTER", *r);
}

Result<std::vector<std::string>> RedisStore::SetMembers(std::string_view key) {
  WC_ASSIGN_OR_RETURN(Reply r, impl_->Run({"SMEMBERS", key}));
  return AsStrings("SMEMBERS", *r);
}

Result<bool> RedisStore::KeyExists(std::string_view key) {
  WC_ASSIGN_OR_RETURN(Reply r, impl_->Run({"EXISTS", key}));
  WC_ASSIGN_OR_RETURN(int64_t n, AsInteger("EXISTS", *r));
  return n > 0;
}

Status RedisStore::Health() {
  WC_ASSIGN_OR_RETURN(Reply r, impl_->Run({"PING"}));
  if (r->type != REDIS_REPLY_STATUS) return UnexpectedReply("PING", *r);
  return Status::Ok();
}

}  // namespace wasmcloud::keyvalue
