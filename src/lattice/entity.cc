#include "lattice/entity.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "core/text.h"

namespace wasmcloud::lattice {
namespace {

constexpr std::string_view kScheme = "wasmbus://";

// Replaces every `from` by `to`.
std::string Replace(std::string s, char from, char to) {
  for (char& c : s) {
    if (c == from) c = to;
  }
  return s;
}

// Runs `read` on a copy of `r` and moves `r` past the value only when it succeeds, so
// that a failed attempt (which may stop mid-value) leaves `r` where it was for the next.
template <typename F>
auto Attempt(wire::Reader& r, F read) {
  wire::Reader probe = r;
  auto v = read(probe);
  if (v.ok()) r = probe;
  return v;
}

Status AtOffset(const wire::Reader& r, std::string what) {
  return Malformed(std::move(what) + " at offset " + std::to_string(r.offset()));
}

// A struct field or enum variant identifier: serde's derived identifiers accept an index
// (an integer) or a name (str, or bin).
struct Identifier {
  std::optional<uint64_t> index;
  std::string name;
};

Result<Identifier> ReadIdentifier(wire::Reader& r, std::string_view what) {
  if (r.AtEnd() || r.PeekMap() || r.PeekArray()) return r.Error(what);
  auto idx = Attempt(r, [](wire::Reader& c) { return c.ReadUint(); });
  if (idx.ok()) return Identifier{*idx, {}};
  auto str = Attempt(r, [](wire::Reader& c) { return c.ReadStr(); });
  if (str.ok()) return Identifier{std::nullopt, std::move(str).value()};
  auto bin = Attempt(r, [](wire::Reader& c) { return c.ReadBin(); });
  if (bin.ok()) return Identifier{std::nullopt, std::string(AsChars(*bin))};
  // The attempt of the right type says what is wrong (truncated, negative, too long);
  // the others only say "expected ...".
  for (const Status& st : {idx.status(), str.status(), bin.status()}) {
    if (!st.message().starts_with("expected ")) return st;
  }
  return r.Error(what);
}

// The variant of the 1-entry enum map: 0 Actor, 1 Capability.
Result<int> ReadVariant(wire::Reader& r) {
  size_t at = r.offset();
  WC_ASSIGN_OR_RETURN(Identifier id, ReadIdentifier(r, "a variant index or name"));
  if (id.index) {
    if (*id.index <= 1) return static_cast<int>(*id.index);
    return Malformed("unknown WasmCloudEntity variant " + std::to_string(*id.index) +
                     " at offset " + std::to_string(at) + " (0 Actor, 1 Capability)");
  }
  if (id.name == "Actor") return 0;
  if (id.name == "Capability") return 1;
  // The name comes from the sender: shown only when it is short printable ASCII.
  auto printable = [](char c) { return c >= 0x20 && c < 0x7f; };
  std::string shown = id.name.size() <= 40 && std::all_of(id.name.begin(), id.name.end(), printable)
                          ? "\"" + id.name + "\""
                          : "of " + std::to_string(id.name.size()) + " bytes";
  return Malformed("unknown WasmCloudEntity variant " + shown + " at offset " + std::to_string(at) +
                   " (Actor or Capability)");
}

// The body of Capability: a struct map by field name (or index), or an array by position.
Status ReadCapabilityBody(wire::Reader& r, Entity* e) {
  std::string* fields[] = {&e->id, &e->contract_id, &e->link_name};
  static constexpr std::string_view kNames[] = {"id", "contract_id", "link_name"};
  bool seen[3] = {false, false, false};
  auto read_field = [&](size_t i) -> Status {
    if (seen[i]) return AtOffset(r, "duplicate field `" + std::string(kNames[i]) + "`");
    seen[i] = true;
    auto v = r.ReadStr();
    if (!v.ok()) return v.status().WithContext("field `" + std::string(kNames[i]) + "`");
    *fields[i] = std::move(v).value();
    return Status::Ok();
  };
  if (r.PeekArray()) {
    WC_ASSIGN_OR_RETURN(uint32_t n, r.ReadArrayHeader());
    if (n != 3) {
      return Malformed("Capability as an array has " + std::to_string(n) +
                       " elements, expected 3 (id, contract_id, link_name)");
    }
    for (size_t i = 0; i < 3; ++i) WC_RETURN_IF_ERROR(read_field(i));
    return Status::Ok();
  }
  if (!r.PeekMap()) return r.Error("map or array (Capability)");
  WC_ASSIGN_OR_RETURN(uint32_t n, r.ReadMapHeader());
  for (uint32_t k = 0; k < n; ++k) {
    WC_ASSIGN_OR_RETURN(Identifier key, ReadIdentifier(r, "a field name"));
    int index = -1;
    for (int i = 0; i < 3; ++i) {
      if (key.index ? *key.index == static_cast<uint64_t>(i) : key.name == kNames[i]) index = i;
    }
    if (index < 0) {
      WC_RETURN_IF_ERROR(r.Skip());
    } else {
      WC_RETURN_IF_ERROR(read_field(static_cast<size_t>(index)));
    }
  }
  for (size_t i = 0; i < 3; ++i) {
    if (!seen[i]) return Malformed("missing field `" + std::string(kNames[i]) + "`");
  }
  return Status::Ok();
}

Result<Entity> ReadEntityInner(wire::Reader& r) {
  size_t at = r.offset();
  WC_ASSIGN_OR_RETURN(uint32_t n, r.ReadMapHeader());
  if (n != 1) {
    return Malformed("map at offset " + std::to_string(at) + " has " + std::to_string(n) +
                     " entries, an enum is a map of 1");
  }
  WC_ASSIGN_OR_RETURN(int variant, ReadVariant(r));
  Entity e;
  if (variant == 0) {
    auto id = r.ReadStr();
    if (!id.ok()) return id.status().WithContext("Actor");
    e.kind = Entity::Kind::kActor;
    e.id = std::move(id).value();
    return e;
  }
  e.kind = Entity::Kind::kCapability;
  Status s = ReadCapabilityBody(r, &e);
  if (!s.ok()) return s.WithContext("Capability");
  return e;
}

}  // namespace

std::string Entity::Url() const {
  std::string url(kScheme);
  if (kind == Kind::kCapability) {
    // 0.18 uses Rust's to_lowercase (Unicode); contract ids and link names are ASCII in
    // practice, and ASCII lowercasing leaves any other byte as it is.
    url += AsciiLower(Replace(Replace(contract_id, ':', '/'), ' ', '_'));
    url += '/';
    url += AsciiLower(Replace(link_name, ' ', '_'));
    url += '/';
  }
  url += id;
  return url;
}

std::string Entity::OperationUrl(std::string_view operation) const {
  std::string url = Url();
  url += '/';
  url += operation;
  return url;
}

std::string Entity::ToString() const {
  if (kind == Kind::kActor) return "actor " + id;
  return "provider " + id + " (" + contract_id + ", link " + link_name + ")";
}

void WriteEntity(wire::Writer& w, const Entity& e) {
  w.MapHeader(1);
  if (e.kind == Entity::Kind::kActor) {
    w.Uint(0);
    w.Str(e.id);
    return;
  }
  w.Uint(1);
  w.MapHeader(3);
  w.Str("id");
  w.Str(e.id);
  w.Str("contract_id");
  w.Str(e.contract_id);
  w.Str("link_name");
  w.Str(e.link_name);
}

Result<Entity> ReadEntity(wire::Reader& r) {
  auto e = ReadEntityInner(r);
  if (!e.ok()) return e.status().WithContext("WasmCloudEntity");
  return e;
}

}  // namespace wasmcloud::lattice
