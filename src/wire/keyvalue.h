// wasmcloud:keyvalue payloads (spec §4.5, keyvalue 0.2.2). Several ops share one args
// shape; the aliases name them by op.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"

namespace wasmcloud::wire {

// {key}: Get, Del, Clear, SetQuery, KeyExists.
struct KeyArgs {
  std::string key;
  bool operator==(const KeyArgs&) const = default;
};
using GetArgs = KeyArgs;
using DelArgs = KeyArgs;
using ClearArgs = KeyArgs;
using SetQueryArgs = KeyArgs;
using KeyExistsArgs = KeyArgs;

// {key, value: string}: Push, ListItemDelete, SetAdd, SetRemove.
struct KeyValueArgs {
  std::string key;
  std::string value;
  bool operator==(const KeyValueArgs&) const = default;
};
using PushArgs = KeyValueArgs;
using ListItemDeleteArgs = KeyValueArgs;
using SetAddArgs = KeyValueArgs;
using SetRemoveArgs = KeyValueArgs;

// {keys: [string]}: SetUnion, SetIntersection.
struct KeysArgs {
  std::vector<std::string> keys;
  bool operator==(const KeysArgs&) const = default;
};
using SetUnionArgs = KeysArgs;
using SetIntersectionArgs = KeysArgs;

// Add: {key, value: i32}
struct AddArgs {
  std::string key;
  int32_t value = 0;
  bool operator==(const AddArgs&) const = default;
};

// Set: {key, value: string, expires: i32}
struct SetArgs {
  std::string key;
  std::string value;
  int32_t expires = 0;
  bool operator==(const SetArgs&) const = default;
};

// Range: {key, start: i32, stop: i32}
struct RangeArgs {
  std::string key;
  int32_t start = 0;
  int32_t stop = 0;
  bool operator==(const RangeArgs&) const = default;
};

// Replies.
struct GetResponse {  // Get, KeyExists: {value: string, exists: bool}
  std::string value;
  bool exists = false;
  bool operator==(const GetResponse&) const = default;
};
struct AddResponse {  // Add: {value: i32}
  int32_t value = 0;
  bool operator==(const AddResponse&) const = default;
};
struct SetResponse {  // Set: {value: string}
  std::string value;
  bool operator==(const SetResponse&) const = default;
};
struct DelResponse {  // Del, Clear: {key}
  std::string key;
  bool operator==(const DelResponse&) const = default;
};
struct ListRangeResponse {  // Range: {values: [string]}
  std::vector<std::string> values;
  bool operator==(const ListRangeResponse&) const = default;
};
struct ListResponse {  // Push, ListItemDelete: {newCount: i32}
  int32_t new_count = 0;
  bool operator==(const ListResponse&) const = default;
};
struct SetOperationResponse {  // SetAdd, SetRemove: {new_count: i32}
  int32_t new_count = 0;
  bool operator==(const SetOperationResponse&) const = default;
};
struct SetQueryResponse {  // SetUnion, SetIntersection, SetQuery: {values: [string]}
  std::vector<std::string> values;
  bool operator==(const SetQueryResponse&) const = default;
};

Bytes Encode(const KeyArgs& v);
Bytes Encode(const KeyValueArgs& v);
Bytes Encode(const KeysArgs& v);
Bytes Encode(const AddArgs& v);
Bytes Encode(const SetArgs& v);
Bytes Encode(const RangeArgs& v);
Bytes Encode(const GetResponse& v);
Bytes Encode(const AddResponse& v);
Bytes Encode(const SetResponse& v);
Bytes Encode(const DelResponse& v);
Bytes Encode(const ListRangeResponse& v);
Bytes Encode(const ListResponse& v);
Bytes Encode(const SetOperationResponse& v);
Bytes Encode(const SetQueryResponse& v);

Result<KeyArgs> DecodeKeyArgs(ByteView data);
Result<KeyValueArgs> DecodeKeyValueArgs(ByteView data);
Result<KeysArgs> DecodeKeysArgs(ByteView data);
Result<AddArgs> DecodeAddArgs(ByteView data);
Result<SetArgs> DecodeSetArgs(ByteView data);
Result<RangeArgs> DecodeRangeArgs(ByteView data);
Result<GetResponse> DecodeGetResponse(ByteView data);
Result<AddResponse> DecodeAddResponse(ByteView data);
Result<SetResponse> DecodeSetResponse(ByteView data);
Result<DelResponse> DecodeDelResponse(ByteView data);
Result<ListRangeResponse> DecodeListRangeResponse(ByteView data);
Result<ListResponse> DecodeListResponse(ByteView data);
Result<SetOperationResponse> DecodeSetOperationResponse(ByteView data);
Result<SetQueryResponse> DecodeSetQueryResponse(ByteView data);

}  // namespace wasmcloud::wire
