#include "crypto/claims.h"

#include <sodium.h>

#include <array>
#include <limits>
#include <nlohmann/json.hpp>

#include "crypto/identity_error.h"
#include "crypto/jwt.h"
#include "crypto/sha256.h"
#include "crypto/sodium_init.h"

namespace wasmcloud::crypto {
namespace {

using Json = nlohmann::ordered_json;

Status Bad(std::string detail) { return IdentityStatus(IdentityError::kMalformedToken, detail); }

std::string Dump(const Json& j) {
  // serde_json escapes exactly what nlohmann does with ensure_ascii off; `replace` only
  // matters for text that did not come from a parsed token (invalid UTF-8 from a flag).
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// --- reading ---------------------------------------------------------------------------

// Reads object member `key` of `obj` with `read` when present (and not null when
// `null_is_absent`). `where` names the object in errors ("claims", "wascap").
class Reader {
 public:
  Reader(const Json& obj, std::string where) : obj_(obj), where_(std::move(where)) {}

  Status String(const char* key, std::string* out, bool required) {
    auto it = obj_.find(key);
    if (it == obj_.end()) return required ? Missing(key) : Status::Ok();
    if (!it->is_string()) return WrongType(key, "a string");
    *out = it->get<std::string>();
    return Status::Ok();
  }
  Status OptString(const char* key, std::optional<std::string>* out) {
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) return Status::Ok();
    if (!it->is_string()) return WrongType(key, "a string");
    *out = it->get<std::string>();
    return Status::Ok();
  }
  Status U64(const char* key, uint64_t* out) {
    auto it = obj_.find(key);
    if (it == obj_.end()) return Missing(key);
    if (!it->is_number_unsigned()) return WrongType(key, "a non-negative integer");
    *out = it->get<uint64_t>();
    return Status::Ok();
  }
  Status OptU64(const char* key, std::optional<uint64_t>* out) {
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) return Status::Ok();
    if (!it->is_number_unsigned()) return WrongType(key, "a non-negative integer");
    *out = it->get<uint64_t>();
    return Status::Ok();
  }
  Status OptI32(const char* key, std::optional<int32_t>* out) {
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) return Status::Ok();
    if (it->is_number_unsigned()) {
      uint64_t v = it->get<uint64_t>();
      if (v > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) {
        return WrongType(key, "a 32-bit integer");
      }
      *out = static_cast<int32_t>(v);
      return Status::Ok();
    }
    if (it->is_number_integer()) {
      int64_t v = it->get<int64_t>();
      if (v < std::numeric_limits<int32_t>::min()) return WrongType(key, "a 32-bit integer");
      *out = static_cast<int32_t>(v);
      return Status::Ok();
    }
    return WrongType(key, "an integer");
  }
  Status OptBool(const char* key, bool* out) {
    auto it = obj_.find(key);
    if (it == obj_.end()) return Status::Ok();
    if (!it->is_boolean()) return WrongType(key, "a boolean");
    *out = it->get<bool>();
    return Status::Ok();
  }
  Status OptStrings(const char* key, std::optional<std::vector<std::string>>* out) {
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) return Status::Ok();
    if (!it->is_array()) return WrongType(key, "an array of strings");
    std::vector<std::string> v;
    for (const auto& e : *it) {
      if (!e.is_string()) return WrongType(key, "an array of strings");
      v.push_back(e.get<std::string>());
    }
    *out = std::move(v);
    return Status::Ok();
  }
  Status StringMap(const char* key, std::vector<std::pair<std::string, std::string>>* out) {
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) return Status::Ok();
    if (!it->is_object()) return WrongType(key, "an object of strings");
    for (const auto& [k, v] : it->items()) {
      if (!v.is_string()) return WrongType(key, "an object of strings");
      out->emplace_back(k, v.get<std::string>());
    }
    return Status::Ok();
  }

 private:
  Status Missing(const char* key) { return Bad(where_ + " lack \"" + key + "\""); }
  Status WrongType(const char* key, const char* want) {
    return Bad(where_ + " member \"" + key + "\" is not " + want);
  }

  const Json& obj_;
  std::string where_;
};

template <typename T>
using MetadataParser = Status (*)(const Json&, T*);

template <typename T>
Result<Claims<T>> ParseClaims(std::string_view text, MetadataParser<T> parse_metadata) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Bad("claims are not valid JSON");
  if (!j.is_object()) return Bad("claims are not a JSON object");
  Claims<T> c;
  Reader r(j, "claims");
  WC_RETURN_IF_ERROR(r.OptU64("exp", &c.exp));
  WC_RETURN_IF_ERROR(r.String("jti", &c.jti, true));
  WC_RETURN_IF_ERROR(r.U64("iat", &c.iat));
  WC_RETURN_IF_ERROR(r.String("iss", &c.iss, true));
  WC_RETURN_IF_ERROR(r.String("sub", &c.sub, true));
  WC_RETURN_IF_ERROR(r.OptU64("nbf", &c.nbf));
  auto w = j.find("wascap");
  if (w != j.end() && !w->is_null()) {
    if (!w->is_object()) return Bad("claims member \"wascap\" is not an object");
    T meta;
    WC_RETURN_IF_ERROR(parse_metadata(*w, &meta));
    c.wascap = std::move(meta);
  }
  return c;
}

Status ParseActorMetadata(const Json& w, ActorMetadata* m) {
  Reader r(w, "wascap");
  WC_RETURN_IF_ERROR(r.OptString("name", &m->name));
  WC_RETURN_IF_ERROR(r.String("hash", &m->hash, true));
  WC_RETURN_IF_ERROR(r.OptStrings("tags", &m->tags));
  WC_RETURN_IF_ERROR(r.OptStrings("caps", &m->caps));
  WC_RETURN_IF_ERROR(r.OptI32("rev", &m->rev));
  WC_RETURN_IF_ERROR(r.OptString("ver", &m->ver));
  WC_RETURN_IF_ERROR(r.OptString("call_alias", &m->call_alias));
  WC_RETURN_IF_ERROR(r.OptBool("prov", &m->prov));
  return Status::Ok();
}

Status ParseProviderMetadata(const Json& w, ProviderMetadata* m) {
  Reader r(w, "wascap");
  WC_RETURN_IF_ERROR(r.OptString("name", &m->name));
  WC_RETURN_IF_ERROR(r.String("capid", &m->capid, true));
  WC_RETURN_IF_ERROR(r.String("vendor", &m->vendor, true));
  WC_RETURN_IF_ERROR(r.OptI32("rev", &m->rev));
  WC_RETURN_IF_ERROR(r.OptString("ver", &m->ver));
  WC_RETURN_IF_ERROR(r.StringMap("target_hashes", &m->target_hashes));
  return Status::Ok();
}

Status ParseInvocationMetadata(const Json& w, InvocationMetadata* m) {
  Reader r(w, "wascap");
  WC_RETURN_IF_ERROR(r.String("target_url", &m->target_url, true));
  WC_RETURN_IF_ERROR(r.String("origin_url", &m->origin_url, true));
  WC_RETURN_IF_ERROR(r.String("hash", &m->hash, true));
  return Status::Ok();
}

// --- writing ---------------------------------------------------------------------------

Json ToJsonValue(const ActorMetadata& m) {
  Json w = Json::object();
  if (m.name) w["name"] = *m.name;
  w["hash"] = m.hash;
  if (m.tags) w["tags"] = *m.tags;
  if (m.caps) w["caps"] = *m.caps;
  if (m.rev) w["rev"] = *m.rev;
  if (m.ver) w["ver"] = *m.ver;
  if (m.call_alias) w["call_alias"] = *m.call_alias;
  w["prov"] = m.prov;
  return w;
}

Json ToJsonValue(const ProviderMetadata& m) {
  Json w = Json::object();
  w["name"] = m.name ? Json(*m.name) : Json(nullptr);
  w["capid"] = m.capid;
  w["vendor"] = m.vendor;
  if (m.rev) w["rev"] = *m.rev;
  if (m.ver) w["ver"] = *m.ver;
  Json hashes = Json::object();
  for (const auto& [k, v] : m.target_hashes) hashes[k] = v;
  w["target_hashes"] = std::move(hashes);
  return w;
}

Json ToJsonValue(const InvocationMetadata& m) {
  Json w = Json::object();
  w["target_url"] = m.target_url;
  w["origin_url"] = m.origin_url;
  w["hash"] = m.hash;
  return w;
}

template <typename T>
std::string ClaimsJson(const Claims<T>& c) {
  Json j = Json::object();
  if (c.exp) j["exp"] = *c.exp;
  j["jti"] = c.jti;
  j["iat"] = c.iat;
  j["iss"] = c.iss;
  j["sub"] = c.sub;
  if (c.nbf) j["nbf"] = *c.nbf;
  if (c.wascap) j["wascap"] = ToJsonValue(*c.wascap);
  return Dump(j);
}

template <typename T>
Result<std::string> Encode(const Claims<T>& c, const KeyPair& issuer) {
  if (c.iss != issuer.public_key_text()) {
    return InvalidArgument("claims name issuer " + c.iss + " but are signed by " +
                           issuer.public_key_text());
  }
  return SignJwt(ClaimsJson(c), issuer);
}

template <typename T>
Result<Claims<T>> DecodeToken(std::string_view token, MetadataParser<T> parse) {
  WC_ASSIGN_OR_RETURN(Jwt jwt, SplitJwt(token));
  return ParseClaims<T>(jwt.claims_json, parse);
}

// Decodes one UTF-8 sequence at `s[*i]`, advancing *i. Invalid bytes decode as U+FFFD
// one at a time (they are dropped later as non-ASCII anyway).
char32_t NextCodePoint(std::string_view s, size_t* i) {
  auto b = static_cast<unsigned char>(s[*i]);
  int len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
  if (len == 0 || *i + static_cast<size_t>(len) > s.size()) {
    ++*i;
    return 0xfffd;
  }
  char32_t cp = len == 1 ? b : b & (0x7f >> len);
  for (int k = 1; k < len; ++k) {
    auto c = static_cast<unsigned char>(s[*i + static_cast<size_t>(k)]);
    if ((c & 0xc0) != 0x80) {
      ++*i;
      return 0xfffd;
    }
    cp = (cp << 6) | (c & 0x3f);
  }
  *i += static_cast<size_t>(len);
  return cp;
}

// Rust's char::is_whitespace (the Unicode White_Space property).
bool IsUnicodeWhitespace(char32_t c) {
  return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f ||
         c == 0x3000;
}

}  // namespace

std::string ToJson(const ActorClaims& claims) { return ClaimsJson(claims); }
std::string ToJson(const ProviderClaims& claims) { return ClaimsJson(claims); }
std::string ToJson(const InvocationClaims& claims) { return ClaimsJson(claims); }

Result<ActorClaims> ParseActorClaims(std::string_view json) {
  return ParseClaims<ActorMetadata>(json, ParseActorMetadata);
}
Result<ProviderClaims> ParseProviderClaims(std::string_view json) {
  return ParseClaims<ProviderMetadata>(json, ParseProviderMetadata);
}
Result<InvocationClaims> ParseInvocationClaims(std::string_view json) {
  return ParseClaims<InvocationMetadata>(json, ParseInvocationMetadata);
}

Result<ActorClaims> DecodeActorClaims(std::string_view token) {
  return DecodeToken<ActorMetadata>(token, ParseActorMetadata);
}
Result<ProviderClaims> DecodeProviderClaims(std::string_view token) {
  return DecodeToken<ProviderMetadata>(token, ParseProviderMetadata);
}
Result<InvocationClaims> DecodeInvocationClaims(std::string_view token) {
  return DecodeToken<InvocationMetadata>(token, ParseInvocationMetadata);
}

Result<std::string> EncodeClaims(const ActorClaims& claims, const KeyPair& issuer) {
  return Encode(claims, issuer);
}
Result<std::string> EncodeClaims(const ProviderClaims& claims, const KeyPair& issuer) {
  return Encode(claims, issuer);
}
Result<std::string> EncodeClaims(const InvocationClaims& claims, const KeyPair& issuer) {
  return Encode(claims, issuer);
}

std::string NormalizeCallAlias(std::string_view alias) {
  // wascap: to_lowercase(), trim(), drop non-ASCII, replace ' ', '-', '.' by '_'. The
  // order matters: trimming sees Unicode whitespace, and two non-ASCII capitals
  // lowercase to ASCII letters (KELVIN SIGN -> 'k', I WITH DOT ABOVE -> 'i' + U+0307).
  std::u32string cps;
  for (size_t i = 0; i < alias.size();) {
    char32_t c = NextCodePoint(alias, &i);
    if (c >= 'A' && c <= 'Z') c = c - 'A' + 'a';
    if (c == 0x212a) c = 'k';
    if (c == 0x130) {
      cps.push_back('i');
      c = 0x307;
    }
    cps.push_back(c);
  }
  size_t begin = 0, end = cps.size();
  while (begin < end && IsUnicodeWhitespace(cps[begin])) ++begin;
  while (end > begin && IsUnicodeWhitespace(cps[end - 1])) --end;
  std::string out;
  for (size_t i = begin; i < end; ++i) {
    char32_t c = cps[i];
    if (c >= 0x80) continue;
    if (c == ' ' || c == '-' || c == '.') c = '_';
    out += static_cast<char>(c);
  }
  return out;
}

std::string NewTokenId() {
  static constexpr char kAlphabet[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  EnsureSodium();
  // One draw of random bytes for the whole id (each randombytes_uniform call is a
  // getrandom system call); a byte counts when it is below 248 = 4 * 62, so that every
  // character is equally likely.
  std::string id;
  id.reserve(22);
  std::array<uint8_t, 32> pool;
  while (id.size() < 22) {
    randombytes_buf(pool.data(), pool.size());
    for (uint8_t b : pool) {
      if (b < 248 && id.size() < 22) id += kAlphabet[b % 62];
    }
  }
  return id;
}

std::string NewUuidV4() {
  EnsureSodium();
  std::array<uint8_t, 16> b;
  randombytes_buf(b.data(), b.size());
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);  // variant 10xx
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[b[i] >> 4];
    out += kHex[b[i] & 0x0f];
  }
  return out;
}

ActorClaims NewActorClaims(const ActorClaimsSpec& spec, std::string issuer, std::string subject,
                           uint64_t now) {
  ActorClaims c;
  c.exp = spec.exp;
  c.jti = NewTokenId();
  c.iat = now;
  c.iss = std::move(issuer);
  c.sub = std::move(subject);
  c.nbf = spec.nbf;
  ActorMetadata m;
  m.name = spec.name;
  m.tags = spec.tags;
  m.caps = spec.caps;
  m.rev = spec.rev;
  m.ver = spec.ver;
  if (spec.call_alias) m.call_alias = NormalizeCallAlias(*spec.call_alias);
  m.prov = spec.prov;
  c.wascap = std::move(m);
  return c;
}

std::string InvocationHash(std::string_view origin_url, std::string_view target_url, ByteView msg) {
  Sha256Hasher h;
  h.Update(AsBytes(origin_url));
  h.Update(AsBytes(target_url));
  h.Update(msg);
  return HexEncode(h.Final(), /*upper=*/true);
}

}  // namespace wasmcloud::crypto
