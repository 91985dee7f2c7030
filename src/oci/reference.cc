#include "oci/reference.h"

#include <cstddef>

namespace wasmcloud::oci {
namespace {

constexpr size_t kMaxReferenceLength = 4096;
constexpr size_t kMaxRepositoryLength = 255;
constexpr size_t kMaxTagLength = 128;

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLowerHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f'); }

// "[a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*": what the Docker reference grammar allows as one
// component of a repository path. Returns a reason, or empty when `c` is valid.
std::string ComponentError(std::string_view c) {
  if (c.empty()) return "an empty path component (two '/' in a row, or one at an end)";
  if (!IsLowerAlnum(c.front()) || !IsLowerAlnum(c.back())) {
    for (char ch : c) {
      if (ch >= 'A' && ch <= 'Z') return "the repository must be lowercase";
    }
    return "the path component \"" + std::string(c) +
           "\" must start and end with a lowercase letter or digit";
  }
  size_t i = 0;
  while (i < c.size()) {
    char ch = c[i];
    if (IsLowerAlnum(ch)) {
      ++i;
      continue;
    }
    if (ch >= 'A' && ch <= 'Z') return "the repository must be lowercase";
    // A separator: '.', '_', "__" or a run of '-'; it must be followed by [a-z0-9].
    size_t j = i;
    if (ch == '.') {
      ++j;
    } else if (ch == '_') {
      ++j;
      if (j < c.size() && c[j] == '_') ++j;
    } else if (ch == '-') {
      while (j < c.size() && c[j] == '-') ++j;
    } else {
      return std::string("the character '") + ch + "' is not allowed in a repository";
    }
    if (j >= c.size() || !IsLowerAlnum(c[j])) {
      return "the path component \"" + std::string(c) +
             "\" has separators ('.', '_', '-') that are not between letters or digits";
    }
    i = j;
  }
  return {};
}

std::string RegistryError(std::string_view r) {
  std::string_view host = r;
  std::string_view port;
  if (!r.empty() && r.front() == '[') {
    size_t close = r.find(']');
    if (close == std::string_view::npos) return "the IPv6 address has no closing ']'";
    std::string_view inside = r.substr(1, close - 1);
    if (inside.empty()) return "the IPv6 address is empty";
    for (char c : inside) {
      if (!IsLowerHex(c) && !(c >= 'A' && c <= 'F') && c != ':' && c != '.') {
        return std::string("the character '") + c + "' is not allowed in an IPv6 address";
      }
    }
    std::string_view rest = r.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return "only a port may follow the IPv6 address";
      port = rest.substr(1);
      if (port.empty()) return "the port is empty";
    }
    host = {};
  } else if (size_t colon = r.find(':'); colon != std::string_view::npos) {
    host = r.substr(0, colon);
    port = r.substr(colon + 1);
    if (port.empty()) return "the port is empty";
  }
  if (!port.empty()) {
    if (port.size() > 5) return "the port \"" + std::string(port) + "\" is not a number 1-65535";
    unsigned value = 0;
    for (char c : port) {
      if (!IsDigit(c)) return "the port \"" + std::string(port) + "\" is not a number 1-65535";
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535) {
      return "the port \"" + std::string(port) + "\" is not a number 1-65535";
    }
  }
  if (r.front() == '[') return {};
  // Domain labels: [A-Za-z0-9] or [A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9], joined by '.'.
  size_t start = 0;
  while (true) {
    size_t dot = host.find('.', start);
    std::string_view label =
        host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty()) return "the registry host \"" + std::string(host) + "\" has an empty label";
    if (!IsAlnum(label.front()) || !IsAlnum(label.back())) {
      return "the registry host \"" + std::string(host) +
             "\" has a label that does not start and end with a letter or digit";
    }
    for (char c : label) {
      if (!IsAlnum(c) && c != '-') {
        return std::string("the character '") + c + "' is not allowed in a registry host";
      }
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return {};
}

Status Bad(std::string_view text, const std::string& why) {
  // Control characters are not echoed as they are (they would mangle a terminal).
  std::string shown;
  for (char c : text.substr(0, 200)) {
    shown += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  }
  if (text.size() > 200) shown += "...";
  return InvalidArgument("invalid OCI reference \"" + shown + "\": " + why);
}

}  // namespace

bool IsSha256Digest(std::string_view digest) {
  constexpr std::string_view kPrefix = "sha256:";
  if (!digest.starts_with(kPrefix) || digest.size() != kPrefix.size() + 64) return false;
  for (char c : digest.substr(kPrefix.size())) {
    if (!IsLowerHex(c)) return false;
  }
  return true;
}

std::string Reference::ToString() const {
  std::string s = registry + "/" + repository;
  if (!tag.empty()) s += ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

std::string Reference::ApiHost() const {
  if (registry == "docker.io" || registry == "index.docker.io") return "registry-1.docker.io";
  return registry;
}

Result<Reference> ParseReference(std::string_view text) {
  if (text.empty()) return Bad(text, "it is empty");
  if (text.size() > kMaxReferenceLength) {
    return Bad(text, "it is longer than " + std::to_string(kMaxReferenceLength) + " characters");
  }
  for (char c : text) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return Bad(text, "it contains whitespace or a control character");
    }
  }
  if (text.find("://") != std::string_view::npos) {
    return Bad(text,
               "a reference has no scheme: write host[:port]/repository[:tag] (plain HTTP is "
               "chosen with --allowed-insecure host[:port])");
  }
  Reference ref;
  std::string_view name = text;
  if (size_t at = text.find('@'); at != std::string_view::npos) {
    std::string_view digest = text.substr(at + 1);
    name = text.substr(0, at);
    if (!digest.starts_with("sha256:")) {
      if (digest.find(':') == std::string_view::npos) {
        return Bad(text, "the digest after '@' must be sha256:<64 hex digits>");
      }
      return Bad(text, "only sha256 digests are supported, not \"" +
                           std::string(digest.substr(0, digest.find(':'))) + "\"");
    }
    if (!IsSha256Digest(digest)) {
      return Bad(text, "the digest must be sha256: followed by 64 lowercase hex digits");
    }
    ref.digest = std::string(digest);
  }
  if (name.empty()) return Bad(text, "there is no repository");
  size_t slash = name.rfind('/');
  size_t colon = name.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    std::string_view tag = name.substr(colon + 1);
    name = name.substr(0, colon);
    if (tag.empty()) return Bad(text, "the tag after ':' is empty");
    if (tag.size() > kMaxTagLength) {
      return Bad(text, "the tag is longer than " + std::to_string(kMaxTagLength) + " characters");
    }
    if (!IsAlnum(tag.front()) && tag.front() != '_') {
      return Bad(text, "the tag must start with a letter, digit or '_'");
    }
    for (char c : tag) {
      if (!IsAlnum(c) && c != '_' && c != '.' && c != '-') {
        return Bad(text, std::string("the character '") + c + "' is not allowed in a tag");
      }
    }
    ref.tag = std::string(tag);
  }
  std::string_view repository = name;
  size_t first = name.find('/');
  if (first != std::string_view::npos) {
    std::string_view head = name.substr(0, first);
    if (head.find('.') != std::string_view::npos || head.find(':') != std::string_view::npos ||
        head == "localhost" || (!head.empty() && head.front() == '[')) {
      if (std::string why = RegistryError(head); !why.empty()) return Bad(text, why);
      ref.registry = std::string(head);
      repository = name.substr(first + 1);
    }
  }
  if (ref.registry.empty()) ref.registry = std::string(kDefaultRegistry);
  if (repository.empty()) return Bad(text, "there is no repository after the registry");
  size_t start = 0;
  while (true) {
    size_t next = repository.find('/', start);
    std::string_view component = repository.substr(
        start, next == std::string_view::npos ? std::string_view::npos : next - start);
    if (std::string why = ComponentError(component); !why.empty()) return Bad(text, why);
    if (next == std::string_view::npos) break;
    start = next + 1;
  }
  ref.repository = std::string(repository);
  if (ref.registry == kDefaultRegistry && ref.repository.find('/') == std::string::npos) {
    ref.repository = "library/" + ref.repository;
  }
  if (ref.repository.size() > kMaxRepositoryLength) {
    return Bad(text, "the repository is longer than " + std::to_string(kMaxRepositoryLength) +
                         " characters");
  }
  if (ref.tag.empty() && ref.digest.empty()) {
    ref.tag = "latest";
    ref.implicit_tag = true;
  }
  return ref;
}

}  // namespace wasmcloud::oci
