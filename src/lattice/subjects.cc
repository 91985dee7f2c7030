#include "lattice/subjects.h"

#include <algorithm>

namespace wasmcloud::lattice {
namespace {

constexpr size_t kMaxLatticeName = 128;

// Why `text` cannot be (part of) one subject token, or "" when it can. NATS splits
// subjects on '.', treats '*' and '>' as wildcards and whitespace as a separator of the
// protocol line; control characters have no place in a name.
std::string TokenProblem(std::string_view text) {
  if (text.empty()) return "is empty";
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    std::string at = " at offset " + std::to_string(i);
    if (c == '.') return "contains '.'" + at;
    if (c == '*') return "contains the wildcard '*'" + at;
    if (c == '>') return "contains the wildcard '>'" + at;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
      return "contains whitespace" + at;
    }
    if (c < 0x20 || c == 0x7f) return "contains a control character" + at;
  }
  return {};
}

std::string Rpc(std::string_view ns) { return "wasmbus.rpc." + std::string(ns) + "."; }

}  // namespace

Status ValidateLatticeName(std::string_view ns) {
  std::string problem = TokenProblem(ns);
  if (problem.empty() && ns.size() > kMaxLatticeName) {
    problem = "is " + std::to_string(ns.size()) + " bytes long, more than " +
              std::to_string(kMaxLatticeName);
  }
  // It is also part of the bucket name LATTICEDATA_{ns}, and JetStream bucket names
  // allow only letters, digits, '_' and '-'.
  for (size_t i = 0; problem.empty() && i < ns.size(); ++i) {
    auto c = static_cast<unsigned char>(ns[i]);
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) {
      problem = "contains '" + std::string(1, static_cast<char>(c)) + "' at offset " +
                std::to_string(i) + " (a lattice name is letters, digits, '_' and '-')";
    }
  }
  if (problem.empty() && ns == "v1") {
    problem = "is reserved (it would collide with the v1 control subjects)";
  }
  if (problem.empty()) return Status::Ok();
  return InvalidArgument("lattice name \"" + std::string(ns) + "\" " + problem);
}

namespace {

bool IsSpaceOrControl(char c) {
  auto u = static_cast<unsigned char>(c);
  return u <= 0x20 || u == 0x7f;
}

}  // namespace

Status ValidateSubject(std::string_view subject, bool wildcards,
                       std::vector<std::string_view>* tokens) {
  auto bad = [&](std::string_view why) {
    return InvalidArgument("invalid subject \"" + std::string(subject) + "\": " + std::string(why));
  };
  if (subject.empty()) return InvalidArgument("invalid subject: empty");
  if (tokens != nullptr) tokens->clear();
  size_t start = 0;
  for (;;) {
    size_t dot = subject.find('.', start);
    std::string_view token =
        subject.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (token.empty()) return bad("empty token");
    if (std::any_of(token.begin(), token.end(), IsSpaceOrControl)) {
      return bad("whitespace or control character");
    }
    bool is_wildcard = token == "*" || token == ">";
    if (!is_wildcard && token.find_first_of("*>") != std::string_view::npos) {
      return bad("'*' and '>' must be whole tokens");
    }
    if (is_wildcard && !wildcards) return bad("wildcards are not allowed here");
    if (tokens != nullptr) tokens->push_back(token);
    if (dot == std::string_view::npos) break;
    if (token == ">") return bad("'>' must be the last token");
    start = dot + 1;
  }
  return Status::Ok();
}

Status ValidateQueueGroup(std::string_view queue_group) {
  if (std::any_of(queue_group.begin(), queue_group.end(), IsSpaceOrControl)) {
    return InvalidArgument("invalid queue group \"" + std::string(queue_group) +
                           "\": whitespace or control character");
  }
  return Status::Ok();
}

Status ValidateReplySubject(std::string_view reply) {
  if (reply.starts_with("wasmbus.") || reply.starts_with("$")) {
    return PermissionDenied("a reply to \"" + std::string(reply.substr(0, 256)) +
                            "\" is not sent: it is a lattice or server subject, not an inbox");
  }
  return Status::Ok();
}

Status ValidateSubjectToken(std::string_view token) {
  std::string problem = TokenProblem(token);
  if (problem.empty()) return Status::Ok();
  return InvalidArgument("\"" + std::string(token) + "\" cannot be a subject token: it " + problem);
}

std::string RpcSubject(std::string_view ns, const Entity& target) {
  std::string s = Rpc(ns) + target.id;
  if (target.is_capability()) {
    s += '.';
    s += target.link_name;
  }
  return s;
}

std::string LinksSubject(std::string_view ns) { return Rpc(ns) + "links"; }
std::string RemoveLinksSubject(std::string_view ns) { return Rpc(ns) + "remlinks"; }
std::string ClaimsSubject(std::string_view ns) { return Rpc(ns) + "claims"; }

std::string LegacyEventsSubject(std::string_view ns) {
  return "wasmbus.ctl." + std::string(ns) + ".events";
}

std::string EventSubject(std::string_view ns, std::string_view type) {
  return "wasmbus.evt." + std::string(ns) + "." + std::string(type);
}

std::string ControlSubject(std::string_view ns, std::string_view suffix) {
  return "wasmbus.ctl." + std::string(ns) + "." + std::string(suffix);
}

std::string ControlQueueGroup(std::string_view ns) { return "wasmbus.ctl." + std::string(ns); }

std::string LatticeBucketName(std::string_view ns) { return "LATTICEDATA_" + std::string(ns); }

}  // namespace wasmcloud::lattice
