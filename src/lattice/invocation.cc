#include "lattice/invocation.h"

#include <utility>

#include "crypto/verify.h"
#include "wire/msgpack.h"

namespace wasmcloud::lattice {
namespace {

// `Vec<u8>` without serde_bytes: an array of integers (§0.1).
void WriteByteArray(wire::Writer& w, ByteView bytes) { w.ByteArray(bytes); }

std::function<Status(wire::Reader&)> EntityInto(Entity* out) {
  return [out](wire::Reader& r) -> Status {
    WC_ASSIGN_OR_RETURN(*out, ReadEntity(r));
    return Status::Ok();
  };
}

}  // namespace

Bytes Encode(const Invocation& inv) {
  wire::Writer w;
  w.MapHeader(7);
  w.Str("origin");
  WriteEntity(w, inv.origin);
  w.Str("target");
  WriteEntity(w, inv.target);
  w.Str("operation");
  w.Str(inv.operation);
  w.Str("msg");
  WriteByteArray(w, inv.msg);
  w.Str("id");
  w.Str(inv.id);
  w.Str("encoded_claims");
  w.Str(inv.encoded_claims);
  w.Str("host_id");
  w.Str(inv.host_id);
  return w.Take();
}

Bytes Encode(const InvocationResponse& resp) {
  wire::Writer w;
  w.MapHeader(3);
  w.Str("msg");
  WriteByteArray(w, resp.msg);
  w.Str("error");
  w.OptStr(resp.error);
  w.Str("invocation_id");
  w.Str(resp.invocation_id);
  return w.Take();
}

Result<Invocation> DecodeInvocation(ByteView data) {
  Invocation inv;
  wire::StructReader s("Invocation");
  s.Custom("origin", EntityInto(&inv.origin));
  s.Custom("target", EntityInto(&inv.target));
  s.Str("operation", &inv.operation);
  s.Bin("msg", &inv.msg);
  s.Str("id", &inv.id);
  s.Str("encoded_claims", &inv.encoded_claims);
  s.Str("host_id", &inv.host_id);
  WC_RETURN_IF_ERROR(s.Decode(data));
  return inv;
}

Result<InvocationResponse> DecodeInvocationResponse(ByteView data) {
  InvocationResponse resp;
  wire::StructReader s("InvocationResponse");
  s.Bin("msg", &resp.msg);
  // serde reads a missing Option field as None.
  s.OptStr("error", &resp.error, /*required=*/false);
  s.Str("invocation_id", &resp.invocation_id);
  WC_RETURN_IF_ERROR(s.Decode(data));
  return resp;
}

Result<Invocation> NewInvocation(const crypto::KeyPair& host_key, Entity origin, Entity target,
                                 std::string operation, Bytes msg, const SignOptions& options) {
  if (host_key.type() != crypto::KeyType::kServer) {
    return InvalidArgument("the key that signs invocations must be a host (server, N...) key; " +
                           host_key.public_key_text() + " is of type " +
                           std::string(crypto::KeyTypeName(host_key.type())));
  }
  Invocation inv;
  inv.origin = std::move(origin);
  inv.target = std::move(target);
  inv.operation = std::move(operation);
  inv.msg = std::move(msg);
  inv.id = options.id.empty() ? crypto::NewUuidV4() : options.id;
  inv.host_id = host_key.public_key_text();

  crypto::InvocationClaims claims;
  claims.exp = options.exp;
  claims.jti = options.jti.empty() ? crypto::NewTokenId() : options.jti;
  if (options.iat) {
    claims.iat = *options.iat;
  } else {
    int64_t now = crypto::SystemUnixSeconds();
    claims.iat = now < 0 ? 0 : static_cast<uint64_t>(now);
  }
  claims.iss = inv.host_id;
  claims.sub = inv.id;
  crypto::InvocationMetadata meta;
  meta.target_url = inv.target.OperationUrl(inv.operation);
  meta.origin_url = inv.origin.Url();
  meta.hash = crypto::InvocationHash(meta.origin_url, meta.target_url, inv.msg);
  claims.wascap = std::move(meta);
  WC_ASSIGN_OR_RETURN(inv.encoded_claims, crypto::EncodeClaims(claims, host_key));
  return inv;
}

InvocationResponse SuccessResponse(const Invocation& inv, Bytes msg) {
  return InvocationResponse{std::move(msg), std::nullopt, inv.id};
}

InvocationResponse ErrorResponse(std::string_view invocation_id, std::string error) {
  return InvocationResponse{{}, std::move(error), std::string(invocation_id)};
}

}  // namespace wasmcloud::lattice
