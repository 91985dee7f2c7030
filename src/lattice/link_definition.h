// A link definition: actor + contract id + link name → provider, with its values; its
// key in the lattice data bucket, its JSON value there and its 0.18 msgpack form (what
// 0.18 clients publish on wasmbus.rpc.{ns}.links / .remlinks).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/status.h"

namespace wasmcloud::lattice {

using LinkValues = std::map<std::string, std::string>;

struct LinkDefinition {
  std::string actor_id;
  std::string provider_id;
  std::string contract_id;
  std::string link_name;
  LinkValues values;
  bool operator==(const LinkDefinition&) const = default;
};

// HEXUPPER(SHA-256(actor_id ‖ contract_id ‖ link_name)): the link's id, and the part
// after "LINKDEF_" of its key (lattice.md).
std::string LinkId(std::string_view actor_id, std::string_view contract_id,
                   std::string_view link_name);

// The bucket value: {"id","actor_id","provider_id","contract_id","link_name","values":{}}
// (compact, that key order). Parsing ignores unknown keys; every listed key but "id" and
// "values" is required and must be a string (values: an object of strings); errors are
// kMalformed naming the key.
std::string LinkToJson(const LinkDefinition& link);
Result<LinkDefinition> LinkFromJson(std::string_view json);

// 0.18 msgpack (struct map, field order actor_id, provider_id, contract_id, link_name,
// values; values in sorted key order). Decoding takes a map by name in any order or an
// array by position (the control interface's order differs), bounded, kMalformed on
// anything else. A remlinks message has provider_id "" and values {}.
Bytes EncodeLinkDefinition(const LinkDefinition& link);
Result<LinkDefinition> DecodeLinkDefinition(ByteView data);

}  // namespace wasmcloud::lattice
