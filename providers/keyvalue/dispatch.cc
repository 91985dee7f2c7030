#include "keyvalue/dispatch.h"

#include <array>
#include <limits>
#include <string>

#include "wire/core.h"
#include "wire/keyvalue.h"

namespace wasmcloud::keyvalue {
namespace {

using Handler = Result<Bytes> (*)(KeyValueStore&, ByteView);

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

// `op "key": <store error>`, same code.
Status OnKey(std::string_view op, std::string_view key, const Status& s) {
  return s.WithContext(std::string(op) + " " + Quoted(key));
}

// Decodes `payload` with `decode`, naming the operation in the error.
template <typename T>
Result<T> Args(std::string_view op, Result<T> (*decode)(ByteView), ByteView payload) {
  Result<T> args = decode(payload);
  if (!args.ok()) {
    return Malformed(std::string(op) + ": malformed payload: " + args.status().message());
  }
  return args;
}

// The i32 of a reply field; the stores count in 64 bits.
Result<int32_t> ToI32(std::string_view op, std::string_view key, int64_t v) {
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
    return FailedPrecondition(std::string(op) + " " + Quoted(key) + ": the result " +
                              std::to_string(v) + " does not fit the reply's i32");
  }
  return static_cast<int32_t>(v);
}

Result<Bytes> Get(KeyValueStore& store, ByteView payload) {
  WC_ASSIGN_OR_RETURN(auto args, Args("Get", wire::DecodeKeyArgs, payload));
  auto v = store.Get(args.key);
  if (!v.ok()) {
    // The 0.18 providers answered "does not exist" when GET failed on a list or a set.
    if (v.status().message().starts_with("WRONGTYPE")) return wire::Encode(wire::GetResponse{});
    return OnKey("Get", args.key, v.status());
  }
  if (!v->has_value()) return wire::Encode(wire::GetResponse{});
  return wire::Encode(wire::GetResponse{std::move(**v), true});
}

Result<Bytes> Add(KeyValueStore& store, ByteView payload) {
  WC_ASSIGN_OR_RETURN(auto args, Args("Add", wire::DecodeAddArgs, payload));
  auto v = store.Add(args.key, args.value);
  if (!v.ok()) return OnKey("Add", args.key, v.status());
  WC_ASSIGN_OR_RETURN(int32_t value, ToI32("Add", args.key, *v));
  return wire::Encode(wire::AddResponse{value});
}

Result<Bytes> Set(KeyValueStore& store, ByteView payload) {
  WC_ASSIGN_OR_RETURN(auto args, Args("Set", wire::DecodeSetArgs, payload));
  Status s = store.Set(args.key, args.value, std::chrono::seconds(args.expires));
  if (!s.ok()) return OnKey("Set", args.key, s);
  return wire::Encode(wire::SetResponse{std::move(args.value)});
}

Result<Bytes> DelAs(std::string_view op, KeyValueStore& store, ByteView payload) {
  WC_ASSIGN_OR_RETURN(auto args, Args(op, wire::DecodeKeyArgs, payload));
  Status s = store.Del(args.key);
  if (!s.ok()) return OnKey(op, args.key, s);
  return wire::Encode(wire::DelResponse{std::move(args.key)});
}
Result<Bytes> Del(KeyValueStore& store, ByteView payload) { return DelAs("Del", store, payload); }
Result<Bytes> Clear(KeyValueStore& store, ByteView payload) {
  return DelAs("Clear", store, payload);
}

Result<Bytes> Range(KeyValueStore& store, ByteView payload) {
  WC_ASSIGN_OR_RETURN(auto args, Args("Range", wire::DecodeRangeArgs, payload));
  auto v = store.Range(args.key, args.start, args.stop);
  if (!v.ok()) return OnKey("Range", args.key, v.status());
  return wire::Encode(wire::ListRangeResponse{std::move(*v)});
}

// Push and ListItemDelete: {key, value} → ListResponse {newCount}.
template <Result<int64_t> (KeyValueStore::*kOp)(std::string_view, std::string_view)>
Result<Bytes> ListOp(std::string_view op, KeyValueStore& store, ByteView payload) {
  WC_ASSIGN_OR_RETURN(auto args, Args(op, wire::DecodeKeyValueArgs, payload));
  auto v = (store.*kOp)(args.key, args.value);
  if (!v.ok()) return OnKey(op, args.key, v.status());
  WC_ASSIGN_OR_RETURN(int32_t n, ToI32(op, args.key, *v));
  return wire::Encode(wire::ListResponse{n});
}
Result<Bytes> Push(KeyValueStore& store, ByteView payload) {
  return ListOp<&KeyValueStore::Push>("Push", store, payload);
}
Result<Bytes> ListItemDelete(KeyValueStore& store, ByteView payload) {
  return ListOp<&KeyValueStore::ListItemDelete>("ListItemDelete", store, payload);
}

// SetAdd and SetRemove: {key, value} → SetOperationResponse {new_count}.
template <Result<int64_t> (KeyValueStore::*kOp)(std::string_view, std::string_view)>
Result<Bytes> SetOp(std::string_view op, KeyValueStore& store, ByteView payload) {
  WC_ASSIGN_OR_RETURN(auto args, Args(op, wire::DecodeKeyValueArgs, payload));
  auto v = (store.*kOp)(args.key, args.value);
  if (!v.ok()) return OnKey(op, args.key, v.status());
  WC_ASSIGN_OR_RETURN(int32_t n, ToI32(op, args.key, *v));
  return wire::Encode(wire::SetOperationResponse{n});
}
Result<Bytes> SetAdd(KeyValueStore& store, ByteView payload) {
  return SetOp<&KeyValueStore::SetAdd>("SetAdd", store, payload);
}
Result<Bytes> SetRemove(KeyValueStore& store, ByteView payload) {
  return SetOp<&KeyValueStore::SetRemove>("SetRemove", store, payload);
}

// SetUnion and SetIntersection: {keys} → SetQueryResponse {values}.
template <Result<std::vector<std::string>> (KeyValueStore::*kOp)(std::span<const std::string>)>
Result<Bytes> SetsOp(std::string_view op, KeyValueStore& store, ByteView payload) {
  WC_ASSIGN_OR_RETURN(auto args, Args(op, wire::DecodeKeysArgs, payload));
  auto v = (store.*kOp)(args.keys);
  if (!v.ok()) return v.status().WithContext(op);
  return wire::Encode(wire::SetQueryResponse{std::move(*v)});
}
Result<Bytes> SetUnion(KeyValueStore& store, ByteView payload) {
  return SetsOp<&KeyValueStore::SetUnion>("SetUnion", store, payload);
}
Result<Bytes> SetIntersection(KeyValueStore& store, ByteView payload) {
  return SetsOp<&KeyValueStore::SetIntersection>("SetIntersection", store, payload);
}

Result<Bytes> SetQuery(KeyValueStore& store, ByteView payload) {
  WC_ASSIGN_OR_RETURN(auto args, Args("SetQuery", wire::DecodeKeyArgs, payload));
  auto v = store.SetMembers(args.key);
  if (!v.ok()) return OnKey("SetQuery", args.key, v.status());
  return wire::Encode(wire::SetQueryResponse{std::move(*v)});
}

Result<Bytes> KeyExists(KeyValueStore& store, ByteView payload) {
  WC_ASSIGN_OR_RETURN(auto args, Args("KeyExists", wire::DecodeKeyArgs, payload));
  auto v = store.KeyExists(args.key);
  if (!v.ok()) return OnKey("KeyExists", args.key, v.status());
  return wire::Encode(wire::GetResponse{"", *v});
}

// The payload is not looked at: the 0.18 providers did not either.
Result<Bytes> HealthRequest(KeyValueStore& store, ByteView) {
  Status s = store.Health();
  return wire::Encode(wire::HealthResponse{s.ok(), s.ok() ? "" : s.message()});
}

struct Operation {
  std::string_view name;
  Handler handler;
};
constexpr std::array kOperations = {
    Operation{"Get", Get},
    Operation{"Add", Add},
    Operation{"Set", Set},
    Operation{"Del", Del},
    Operation{"Clear", Clear},
    Operation{"Range", Range},
    Operation{"Push", Push},
    Operation{"ListItemDelete", ListItemDelete},
    Operation{"SetAdd", SetAdd},
    Operation{"SetRemove", SetRemove},
    Operation{"SetUnion", SetUnion},
    Operation{"SetIntersection", SetIntersection},
    Operation{"SetQuery", SetQuery},
    Operation{"KeyExists", KeyExists},
    Operation{"HealthRequest", HealthRequest},
};

constexpr auto kOperationNames = [] {
  std::array<std::string_view, kOperations.size()> names{};
  for (size_t i = 0; i < kOperations.size(); ++i) names[i] = kOperations[i].name;
  return names;
}();

}  // namespace

Result<Bytes> HandleKeyValueCall(KeyValueStore& store, std::string_view operation,
                                 ByteView payload) {
  for (const Operation& op : kOperations) {
    if (op.name == operation) return op.handler(store, payload);
  }
  return Unimplemented("wasmcloud:keyvalue has no operation " + Quoted(operation));
}

std::span<const std::string_view> KeyValueOperations() { return kOperationNames; }

}  // namespace wasmcloud::keyvalue
