#include "httpserver/exchange.h"
#include "core/text.h"

#include "wire/http.h"

namespace wasmcloud::httpserver {
namespace {

bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
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

HttpReply ReplyFromActor(const Result<Bytes>& outcome) {
  if (!outcome.ok()) {
    const Status status = outcome.status();
    const std::string& m = status.message();
    if (IsActorUnavailable(m)) return TextReply(503, "Actor unavailable: " + m);
    if (IsHostOverloaded(m)) return OverloadedReply("Service Unavailable: " + m);
    return TextReply(500,
                     m.empty() ? "Failed to handle request" : "Failed to handle request: " + m);
  }
  Result<wire::HttpResponse> response = wire::DecodeHttpResponse(*outcome);
  if (!response.ok()) return TextReply(500, "Malformed response from actor");
  if (response->status_code < 100 || response->status_code > 999) {
    return TextReply(500, "Malformed response from actor: status code " +
                              std::to_string(response->status_code) + " is not from 100 to 999");
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
