// The frames between the host and a provider running in a child process
// (docs/providers.md#isolation-providers-in-a-child-process-supervised): a 4-byte
// big-endian length, then a msgpack array [type, id, ok, a, b, c, payload, values, level].
// A pure codec plus blocking frame I/O on a file descriptor; every decoder bounds what it
// reads and answers a clear error (fuzzed by fuzz_provider_frame).
#pragma once

#include <cstdint>
#include <string>

#include "core/bytes.h"
#include "core/status.h"
#include "provider/provider.h"

namespace wasmcloud::provider::proc {

// The largest frame body either side accepts (a reply or payload of a provider call).
inline constexpr size_t kMaxFrameBody = 64u << 20;

enum class Type : uint8_t {
  // child → host, once, after loading: a = contract id, b = name, c = version
  kHello = 1,
  // child → host, instead of kHello: payload = the reason, level = the Status code
  kLoadFailed = 2,
  // host → child; each answered by a kReply with the same id
  kStart = 3,
  kBind = 4,    // a = actor, values = link values
  kRemove = 5,  // a = actor
  kCall = 6,    // a = actor, b = operation, payload
  kHealth = 7,
  kStop = 8,
  // either way: the answer to the request `id`; ok, payload = reply or error message
  kReply = 9,
  // child → host: the provider calls an actor (a = actor, b = operation, payload),
  // answered by kActorReply with the same id
  kCallActor = 10,
  kActorReply = 11,  // host → child: ok, payload
  // child → host: a log line (level, a = component, payload = text)
  kLog = 12,
  // child → host: a provider counter (a = name, b = labels, level = the amount, ≥ 0)
  kCount = 13,
};

std::string_view TypeName(Type type);

// A Status code sent as a number; kInternal for a number that names none (an error
// reply is never taken for success).
Code CodeFromWire(int64_t value);

struct Message {
  Type type = Type::kReply;
  uint64_t id = 0;
  bool ok = true;
  std::string a;
  std::string b;
  std::string c;
  Bytes payload;
  LinkValues values;
  int64_t level = 0;
};

// The frame body (without the length prefix).
Bytes EncodeBody(const Message& message);
// kInvalidArgument saying what is wrong (an unknown type, a field of the wrong kind,
// trailing bytes).
Result<Message> DecodeBody(ByteView body);

// Writes one frame (length + body) to `fd`, retrying short writes and EINTR; never
// raises SIGPIPE. kUnavailable when the peer is gone; kDeadlineExceeded when the
// socket's send timeout passed (a frame may be half written: the channel is unusable);
// kInvalidArgument, writing nothing, for a body over kMaxFrameBody.
Status WriteFrame(int fd, const Message& message);
// Reads one frame from `fd`. kUnavailable "closed" at a clean end of stream (no byte of a
// new frame read), kInvalidArgument for a frame longer than kMaxFrameBody or that does
// not decode, kUnavailable for a read error or a stream cut inside a frame.
Result<Message> ReadFrame(int fd);

}  // namespace wasmcloud::provider::proc
