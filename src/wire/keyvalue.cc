#include "wire/keyvalue.h"

#include "wire/msgpack.h"

namespace wasmcloud::wire {

Bytes Encode(const KeyArgs& v) {
  Writer w;
  w.MapHeader(1);
  w.Str("key");
  w.Str(v.key);
  return w.Take();
}

Bytes Encode(const KeyValueArgs& v) {
  Writer w;
  w.MapHeader(2);
  w.Str("key");
  w.Str(v.key);
  w.Str("value");
  w.Str(v.value);
  return w.Take();
}

Bytes Encode(const KeysArgs& v) {
  Writer w;
  w.MapHeader(1);
  w.Str("keys");
  w.StrArray(v.keys);
  return w.Take();
}

Bytes Encode(const AddArgs& v) {
  Writer w;
  w.MapHeader(2);
  w.Str("key");
  w.Str(v.key);
  w.Str("value");
  w.Int(v.value);
  return w.Take();
}

Bytes Encode(const SetArgs& v) {
  Writer w;
  w.MapHeader(3);
  w.Str("key");
  w.Str(v.key);
  w.Str("value");
  w.Str(v.value);
  w.Str("expires");
  w.Int(v.expires);
  return w.Take();
}

Bytes Encode(const RangeArgs& v) {
  Writer w;
  w.MapHeader(3);
  w.Str("key");
  w.Str(v.key);
  w.Str("start");
  w.Int(v.start);
  w.Str("stop");
  w.Int(v.stop);
  return w.Take();
}

Bytes Encode(const GetResponse& v) {
  Writer w;
  w.MapHeader(2);
  w.Str("value");
  w.Str(v.value);
  w.Str("exists");
  w.Bool(v.exists);
  return w.Take();
}

Bytes Encode(const AddResponse& v) {
  Writer w;
  w.MapHeader(1);
  w.Str("value");
  w.Int(v.value);
  return w.Take();
}

Bytes Encode(const SetResponse& v) {
  Writer w;
  w.MapHeader(1);
  w.Str("value");
  w.Str(v.value);
  return w.Take();
}

Bytes Encode(const DelResponse& v) {
  Writer w;
  w.MapHeader(1);
  w.Str("key");
  w.Str(v.key);
  return w.Take();
}

Bytes Encode(const ListRangeResponse& v) {
  Writer w;
  w.MapHeader(1);
  w.Str("values");
  w.StrArray(v.values);
  return w.Take();
}

Bytes Encode(const ListResponse& v) {
  Writer w;
  w.MapHeader(1);
  w.Str("newCount");
  w.Int(v.new_count);
  return w.Take();
}

Bytes Encode(const SetOperationResponse& v) {
  Writer w;
  w.MapHeader(1);
  w.Str("new_count");
  w.Int(v.new_count);
  return w.Take();
}

Bytes Encode(const SetQueryResponse& v) {
  Writer w;
  w.MapHeader(1);
  w.Str("values");
  w.StrArray(v.values);
  return w.Take();
}

Result<KeyArgs> DecodeKeyArgs(ByteView data) {
  KeyArgs v;
  StructReader s("KeyArgs");
  s.Str("key", &v.key);
  WC_RETURN_IF_ERROR(s.Decode(data));
  return v;
}

Result<KeyValueArgs> DecodeKeyValueArgs(ByteView data) {
  KeyValueArgs v;
  StructReader s("KeyValueArgs");
  s.Str("key", &v.key);
  s.Str("value", &v.value);
  WC_RETURN_IF_ERROR(s.Decode(data));
  return v;
}

Result<KeysArgs> DecodeKeysArgs(ByteView data) {
  KeysArgs v;
  StructReader s("KeysArgs");
  s.StrArray("keys", &v.keys);
  WC_RETURN_IF_ERROR(s.Decode(data));
  return v;
}

Result<AddArgs> DecodeAddArgs(ByteView data) {
  AddArgs v;
  StructReader s("AddArgs");
  s.Str("key", &v.key);
  s.I32("value", &v.value);
  WC_RETURN_IF_ERROR(s.Decode(data));
  return v;
}

Result<SetArgs> DecodeSetArgs(ByteView data) {
  SetArgs v;
  StructReader s("SetArgs");
  s.Str("key", &v.key);
  s.Str("value", &v.value);
  s.I32("expires", &v.expires);
  WC_RETURN_IF_ERROR(s.Decode(data));
  return v;
}

Result<RangeArgs> DecodeRangeArgs(ByteView data) {
  RangeArgs v;
  StructReader s("RangeArgs");
  s.Str("key", &v.key);
  s.I32("start", &v.start);
  s.I32("stop", &v.stop);
  WC_RETURN_IF_ERROR(s.Decode(data));
  return v;
}

Result<GetResponse> DecodeGetResponse(ByteView data) {
  GetResponse v;
  StructReader s("GetResponse");
  s.Str("value", &v.value);
  s.Bool("exists", &v.exists);
  WC_RETURN_IF_ERROR(s.Decode(data));
  return v;
}

Result<AddResponse> DecodeAddResponse(ByteView data) {
  AddResponse v;
  StructReader s("AddResponse");
  s.I32("value", &v.value);
  WC_RETURN_IF_ERROR(s.Decode(data));
  return v;
}

Result<SetResponse> DecodeSetResponse(ByteView data) {
  SetResponse v;
  StructReader s("SetResponse");
  s.Str("value", &v.value);
  WC_RETURN_IF_ERROR(s.Decode(data));
  return v;
}

Result<DelResponse> DecodeDelResponse(ByteView data) {
  DelResponse v;
  StructReader s("DelResponse");
  s.Str("key", &v.key);
  WC_RETURN_IF_ERROR(s.Decode(data));
  return v;
}

Result<ListRangeResponse> DecodeListRangeResponse(ByteView data) {
  ListRangeResponse v;
  StructReader s("ListRangeResponse");
  s.StrArray("values", &v.values);
  WC_RETURN_IF_ERROR(s.Decode(data));
  return v;
}

Result<ListResponse> DecodeListResponse(ByteView data) {
  ListResponse v;
  StructReader s("ListResponse");
  s.I32("newCount", &v.new_count);
  WC_RETURN_IF_ERROR(s.Decode(data));
  return v;
}

Result<SetOperationResponse> DecodeSetOperationResponse(ByteView data) {
  SetOperationResponse v;
  StructReader s("SetOperationResponse");
  s.I32("new_count", &v.new_count);
  WC_RETURN_IF_ERROR(s.Decode(data));
  return v;
}

Result<SetQueryResponse> DecodeSetQueryResponse(ByteView data) {
  SetQueryResponse v;
  StructReader s("SetQueryResponse");
  s.StrArray("values", &v.values);
  WC_RETURN_IF_ERROR(s.Decode(data));
  return v;
}

}  // namespace wasmcloud::wire
