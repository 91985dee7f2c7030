#include "messaging/link_config.h"
#include "core/text.h"

#include <algorithm>
#include <cctype>

namespace wasmcloud::messaging {
namespace {

// The trimmed, non-empty entries of a comma-separated list.
std::vector<std::string> SplitList(std::string_view list) {
  std::vector<std::string> out;
  while (true) {
    const size_t comma = list.find(',');
    std::string_view entry = TrimAsciiSpace(list.substr(0, comma));
    if (!entry.empty()) out.emplace_back(entry);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

bool HasBlankOrControl(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= ' ' || u == 0x7f;
  });
}

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string Value(const std::map<std::string, std::string>& values, const char* key) {
  auto it = values.find(key);
  return it == values.end() ? std::string() : std::string(TrimAsciiSpace(it->second));
}

}  // namespace

Status CheckServerUrl(std::string_view url) {
  auto bad = [&](const std::string& why) {
    return InvalidArgument("bad NATS URL " + Quote(RedactUrl(url)) + ": " + why);
  };
  std::string_view rest = url;
  if (const size_t scheme_end = rest.find("://"); scheme_end != std::string_view::npos) {
    const std::string scheme = AsciiLower(rest.substr(0, scheme_end));
    if (scheme != "nats" && scheme != "tls") return bad("the scheme must be nats:// or tls://");
    rest.remove_prefix(scheme_end + 3);
  }
  if (HasBlankOrControl(rest)) return bad("it contains a blank or a control character");
  if (const size_t slash = rest.find('/'); slash != std::string_view::npos) {
    if (slash + 1 != rest.size()) return bad("a server URL has no path");
    rest = rest.substr(0, slash);
  }
  if (const size_t at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
  std::string_view host = rest;
  std::string_view port;
  bool has_port = false;
  if (rest.starts_with('[')) {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) return bad("the IPv6 address has no closing ]");
    host = rest.substr(0, close + 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("unexpected text after the IPv6 address");
      port = after.substr(1);
      has_port = true;
    }
  } else if (const size_t colon = rest.find(':'); colon != std::string_view::npos) {
    if (rest.find(':', colon + 1) != std::string_view::npos) {
      return bad("an IPv6 address must be written in brackets, e.g. nats://[::1]:4222");
    }
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    has_port = true;
  }
  if (host.empty()) return bad("no host");
  if (has_port) {
    const bool digits =
        !port.empty() && port.size() <= 5 && std::all_of(port.begin(), port.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c));
        });
    if (!digits || std::stoi(std::string(port)) == 0 || std::stoi(std::string(port)) > 65535) {
      return bad("the port " + Quote(port) + " is not a number from 1 to 65535");
    }
  }
  return Status::Ok();
}

Status CheckSubject(std::string_view subject, bool wildcards, std::string_view what) {
  auto bad = [&](const std::string& why) {
    return InvalidArgument(std::string(what) + " " + Quote(subject) + ": " + why);
  };
  if (subject.empty()) return bad("the subject is empty");
  if (HasBlankOrControl(subject)) return bad("a subject has no blanks or control characters");
  std::string_view rest = subject;
  while (true) {
    const size_t dot = rest.find('.');
    const std::string_view token = rest.substr(0, dot);
    const bool last = dot == std::string_view::npos;
    if (token.empty()) return bad("a subject has no empty tokens");
    const bool wild = token == "*" || token == ">";
    if (!wild && token.find_first_of("*>") != std::string_view::npos) {
      return bad("* and > are wildcards only as a whole token");
    }
    if (wild && !wildcards) return bad("wildcards (* and >) are not allowed here");
    if (token == ">" && !last) return bad("> may only be the last token");
    if (last) break;
    rest.remove_prefix(dot + 1);
  }
  return Status::Ok();
}

std::string ServerList(const LinkConfig& config) { return nats::ServerList(config.servers); }

Result<LinkConfig> ParseLinkConfig(const std::map<std::string, std::string>& values) {
  LinkConfig config;
  config.servers = SplitList(Value(values, kUrlKey));
  if (config.servers.empty()) config.servers.emplace_back(kDefaultUrl);
  for (const auto& url : config.servers) WC_RETURN_IF_ERROR(CheckServerUrl(url));

  const std::string default_queue = Value(values, kQueueGroupKey);
  if (HasBlankOrControl(default_queue)) {
    return InvalidArgument(std::string(kQueueGroupKey) + " " + Quote(default_queue) +
                           ": a queue group has no blanks or control characters");
  }
  for (const std::string& entry : SplitList(Value(values, kSubscriptionKey))) {
    SubscriptionSpec spec;
    const size_t bar = entry.find('|');
    spec.subject = std::string(TrimAsciiSpace(std::string_view(entry).substr(0, bar)));
    spec.queue = bar == std::string::npos
                     ? default_queue
                     : std::string(TrimAsciiSpace(std::string_view(entry).substr(bar + 1)));
    WC_RETURN_IF_ERROR(CheckSubject(spec.subject, true, kSubscriptionKey));
    if (bar != std::string::npos && (spec.queue.empty() || HasBlankOrControl(spec.queue))) {
      return InvalidArgument(std::string(kSubscriptionKey) + " " + Quote(entry) +
                             ": the queue group after | must be a non-empty name without blanks");
    }
    if (std::find(config.subscriptions.begin(), config.subscriptions.end(), spec) ==
        config.subscriptions.end()) {
      config.subscriptions.push_back(std::move(spec));
    }
  }

  config.tls_ca = Value(values, kTlsCaKey);
  if (!config.tls_ca.empty() &&
      config.tls_ca.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    return InvalidArgument(std::string(kTlsCaKey) +
                           " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
  }
  config.jwt = Value(values, kClientJwtKey);
  config.seed = Value(values, kClientSeedKey);
  if (config.jwt.empty() != config.seed.empty()) {
    return InvalidArgument(config.jwt.empty() ? "CLIENT_SEED is set but CLIENT_JWT is not"
                                              : "CLIENT_JWT is set but CLIENT_SEED is not");
  }
  if (!config.jwt.empty()) {
    if (HasBlankOrControl(config.jwt) ||
        std::count(config.jwt.begin(), config.jwt.end(), '.') != 2) {
      return InvalidArgument("CLIENT_JWT is not a JWT (three dot-separated parts, no blanks)");
    }
    if (HasBlankOrControl(config.seed) || !config.seed.starts_with('S')) {
      return InvalidArgument("CLIENT_SEED is not an nkey seed (one word starting with S)");
    }
  }
  return config;
}

}  // namespace wasmcloud::messaging
