// The wasmcloud:keyvalue contract on the wire: decodes an operation's msgpack arguments
// (spec §4.5, codecs in wire/keyvalue.h), runs it on a KeyValueStore and encodes the
// reply. Independent of any provider ABI, so it is tested without a host.
#pragma once

#include <span>
#include <string_view>

#include "core/bytes.h"
#include "core/status.h"
#include "keyvalue/store.h"

namespace wasmcloud::keyvalue {

// Runs `operation` with its msgpack `payload` on `store`; the msgpack reply, or an error
// whose message the calling actor receives:
//   kMalformed      the payload does not decode as the operation's arguments (says which
//                   operation and what is wrong)
//   kUnimplemented  an operation this contract does not have (names it)
//   others          the store's error (store.h), prefixed with the operation and key
// Replies as the 0.18 providers gave them: Add the new value, Push the list's new length,
// ListItemDelete / SetAdd / SetRemove the number of elements removed or added, Get of a
// key that holds a list or set {value: "", exists: false}. "HealthRequest" (any payload)
// answers {healthy, message} from the store's Health.
Result<Bytes> HandleKeyValueCall(KeyValueStore& store, std::string_view operation,
                                 ByteView payload);

// The operations HandleKeyValueCall knows, HealthRequest included.
std::span<const std::string_view> KeyValueOperations();

}  // namespace wasmcloud::keyvalue
