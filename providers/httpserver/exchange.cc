#include "httpserver/exchange.h"
#include "core/text.h"

#include "core/utf8.h"
#include "wire/http.h"

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <random>

namespace wasmcloud::httpserver {
namespace {

bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

}  // namespace

Target SplitTarget(std::string_view target) {
  // Absolute form (RFC 9112 §3.2.2): drop "scheme://authority".
  if (size_t scheme = target.find("://");
      scheme != std::string_view::npos && target.substr(0, 1) != "/") {
    std::string_view rest = target.substr(scheme + 3);
    size_t path = rest.find_first_of("/?");
    target = path == std::string_view::npos ? std::string_view("/") : rest.substr(path);
    if (!target.empty() && target.front() == '?') {
      return Target{"/", std::string(target.substr(1))};
    }
  }
  size_t q = target.find('?');
  if (q == std::string_view::npos) return Target{std::string(target), {}};
  return Target{std::string(target.substr(0, q)), std::string(target.substr(q + 1))};
}

std::optional<std::string> RefuseRequestHead(unsigned version, std::string_view target,
                                             const std::vector<HeadField>& fields) {
  if (!IsValidUtf8(target)) return "Bad Request: the target is not valid UTF-8";
  for (size_t i = 0; i < target.size(); ++i) {
    const auto c = static_cast<unsigned char>(target[i]);
    if (c <= 0x20 || c == 0x7f) {
      return "Bad Request: the target holds a control character or a space";
    }
    if (c == '%' &&
        (i + 2 >= target.size() || !IsHexDigit(target[i + 1]) || !IsHexDigit(target[i + 2]))) {
      return "Bad Request: the target has a '%' that is not followed by two hex digits";
    }
  }
  bool content_length = false;
  int hosts = 0;
  std::optional<std::string> codings;  // every Transfer-Encoding value, comma-joined
  for (const HeadField& f : fields) {
    bool ascii = true;
    for (char ch : f.value) {
      const auto c = static_cast<unsigned char>(ch);
      if ((c < 0x20 && c != '\t') || c == 0x7f) {
        return "Bad Request: the value of header " + EscapeLogText(f.name, 64) +
               (c == '\r' || c == '\n' ? " is folded over lines (obs-fold)"
                                       : " holds a control character");
      }
      if (c >= 0x80) ascii = false;
    }
    if (!ascii && !IsValidUtf8(f.value)) {
      return "Bad Request: the value of header " + EscapeLogText(f.name, 64) +
             " is not valid UTF-8";
    }
    // Per request: compared in place, not lowered into copies.
    if (AsciiEqualsIgnoreCase(f.name, "host")) ++hosts;
    if (AsciiEqualsIgnoreCase(f.name, "content-length")) content_length = true;
    if (AsciiEqualsIgnoreCase(f.name, "transfer-encoding")) {
      codings = codings ? *codings + "," + std::string(f.value) : std::string(f.value);
    }
  }
  if (hosts > 1) return "Bad Request: more than one Host header";
  if (hosts == 0 && version >= 11) return "Bad Request: an HTTP/1.1 request without Host";
  if (!codings) return std::nullopt;
  if (version < 11) return "Bad Request: Transfer-Encoding in an HTTP/1.0 request";
  if (content_length) return "Bad Request: both Content-Length and Transfer-Encoding";
  if (!AsciiEqualsIgnoreCase(TrimAsciiSpace(*codings), "chunked")) {
    return "Bad Request: Transfer-Encoding \"" + EscapeLogText(*codings, 64) +
           "\" is not supported: only chunked";
  }
  return std::nullopt;
}

bool IsValidHeaderName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

bool IsValidHeaderValue(std::string_view value) {
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

HttpReply TextReply(unsigned status, std::string_view text) {
  HttpReply r;
  r.status = status;
  r.headers.emplace_back("content-type", "text/plain; charset=utf-8");
  r.body.assign(text.begin(), text.end());
  return r;
}

bool IsActorUnavailable(std::string_view m) {
  return (m.starts_with("actor ") && m.find(" is not running on this host") != m.npos) ||
         m.starts_with("Specified actor was not a public key or a known call alias") ||
         m.starts_with("the host is not running") || m.starts_with("the host is stopping") ||
         m.starts_with("the host is gone") || m.starts_with("call_actor: the host has");
}

bool IsHostOverloaded(std::string_view m) { return m.starts_with("host overloaded"); }

HttpReply OverloadedReply(std::string_view text) {
  HttpReply r = TextReply(503, text);
  r.headers.emplace_back("retry-after", "1");
  return r;
}

std::string NewRequestId() {
  static const uint64_t start = [] {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd();
  }();
  static std::atomic<uint64_t> next{0};
  const uint64_t id = start + next.fetch_add(1, std::memory_order_relaxed);
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(id));
  return text;
}

HttpReply FailureReply(unsigned status, std::string_view text, std::string_view reason,
                       std::string* log) {
  const std::string id = NewRequestId();
  HttpReply r = TextReply(status, std::string(text) + " (request " + id + ")");
  r.headers.emplace_back("x-request-id", id);
  if (log != nullptr) {
    *log = "request " + id + ": " + std::to_string(status) + " " + std::string(text) + ": " +
           EscapeLogText(reason);
  }
  return r;
}

HttpReply ReplyFromActor(const Result<Bytes>& outcome, std::string* log) {
  if (!outcome.ok()) {
    const Status status = outcome.status();
    const std::string& m = status.message();
    const std::string reason = m.empty() ? std::string(CodeName(status.code())) : m;
    if (IsActorUnavailable(m)) return FailureReply(503, "Actor unavailable", reason, log);
    // 503 with Retry-After: a client or balancer may try again.
    auto retry_later = [&](std::string_view text) {
      HttpReply r = FailureReply(503, text, reason, log);
      r.headers.emplace_back("retry-after", "1");
      return r;
    };
    if (IsHostOverloaded(m)) {
      return retry_later("Service Unavailable: the host is overloaded; retry later");
    }
    if (status.code() == Code::kDeadlineExceeded) {
      return FailureReply(504, "Gateway Timeout: the actor did not answer in time", reason, log);
    }
    if (status.code() == Code::kUnavailable) {
      // The way to the actor is down for now and the call was not sent (its host's
      // lattice unreachable, a host or provider on the way stopping).
      return retry_later("Service Unavailable: the actor cannot be reached; retry later");
    }
    return FailureReply(500, "Failed to handle request", reason, log);
  }
  Result<wire::HttpResponse> response = wire::DecodeHttpResponse(*outcome);
  if (!response.ok()) {
    return FailureReply(500, "Malformed response from actor",
                        "the actor's reply is not a Response: " + response.status().message(), log);
  }
  if (response->status_code < 100 || response->status_code > 999) {
    return FailureReply(
        500, "Malformed response from actor",
        "status code " + std::to_string(response->status_code) + " is not from 100 to 999", log);
  }
  HttpReply r;
  r.status = response->status_code;
  r.headers.reserve(response->header.size());
  for (auto& [name, value] : response->header) {
    if (!IsValidHeaderName(name) || !IsValidHeaderValue(value)) continue;
    const std::string lower = AsciiLower(name);
    if (lower == "content-length" || lower == "transfer-encoding" || lower == "connection") {
      continue;
    }
    r.headers.emplace_back(name, std::move(value));
  }
  r.body = std::move(response->body);
  return r;
}

}  // namespace wasmcloud::httpserver
