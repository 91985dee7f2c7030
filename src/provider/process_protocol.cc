#include "provider/process_protocol.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "wire/msgpack.h"

namespace wasmcloud::provider::proc {
namespace {

constexpr uint32_t kFields = 9;
constexpr size_t kMaxValues = 4096;

bool KnownType(uint64_t t) { return t >= 1 && t <= 13; }

}  // namespace

std::string_view TypeName(Type type) {
  switch (type) {
    case Type::kHello:
      return "hello";
    case Type::kLoadFailed:
      return "load_failed";
    case Type::kStart:
      return "start";
    case Type::kBind:
      return "bind_actor";
    case Type::kRemove:
      return "remove_actor";
    case Type::kCall:
      return "handle_call";
    case Type::kHealth:
      return "health";
    case Type::kStop:
      return "stop";
    case Type::kReply:
      return "reply";
    case Type::kCallActor:
      return "call_actor";
    case Type::kActorReply:
      return "call_actor reply";
    case Type::kLog:
      return "log";
    case Type::kCount:
      return "count";
  }
  return "unknown";
}

Code CodeFromWire(int64_t value) {
  if (value <= static_cast<int64_t>(Code::kOk) || value > static_cast<int64_t>(Code::kInternal)) {
    return Code::kInternal;
  }
  return static_cast<Code>(value);
}

Bytes EncodeBody(const Message& m) {
  wire::Writer w;
  w.ArrayHeader(kFields);
  w.Uint(static_cast<uint8_t>(m.type));
  w.Uint(m.id);
  w.Bool(m.ok);
  w.Str(m.a);
  w.Str(m.b);
  w.Str(m.c);
  w.Bin(m.payload);
  w.StrMap(m.values);
  w.Int(m.level);
  return w.Take();
}

Result<Message> DecodeBody(ByteView body) {
  wire::Reader r(body);
  auto fail = [](const Status& s) {
    return InvalidArgument("provider process frame: " + s.message());
  };
  auto n = r.ReadArrayHeader();
  if (!n.ok()) return fail(n.status());
  if (*n != kFields) {
    return InvalidArgument("provider process frame: expected " + std::to_string(kFields) +
                           " fields, got " + std::to_string(*n));
  }
  Message m;
  auto type = r.ReadUint();
  if (!type.ok()) return fail(type.status());
  if (!KnownType(*type)) {
    return InvalidArgument("provider process frame: unknown type " + std::to_string(*type));
  }
  m.type = static_cast<Type>(*type);
  auto id = r.ReadUint();
  if (!id.ok()) return fail(id.status());
  m.id = *id;
  auto ok = r.ReadBool();
  if (!ok.ok()) return fail(ok.status());
  m.ok = *ok;
  for (std::string* field : {&m.a, &m.b, &m.c}) {
    auto s = r.ReadStr();
    if (!s.ok()) return fail(s.status());
    *field = std::move(*s);
  }
  auto payload = r.ReadBin();
  if (!payload.ok()) return fail(payload.status());
  m.payload = std::move(*payload);
  auto count = r.ReadMapHeader();
  if (!count.ok()) return fail(count.status());
  if (*count > kMaxValues) {
    return InvalidArgument("provider process frame: " + std::to_string(*count) +
                           " link values, at most " + std::to_string(kMaxValues));
  }
  for (uint32_t i = 0; i < *count; ++i) {
    auto key = r.ReadStr();
    if (!key.ok()) return fail(key.status());
    auto value = r.ReadStr();
    if (!value.ok()) return fail(value.status());
    m.values[std::move(*key)] = std::move(*value);
  }
  auto level = r.ReadInt();
  if (!level.ok()) return fail(level.status());
  m.level = *level;
  if (!r.AtEnd()) {
    return InvalidArgument("provider process frame: " + std::to_string(r.remaining()) +
                           " bytes after the message");
  }
  return m;
}

Status WriteFrame(int fd, const Message& message) {
  Bytes body = EncodeBody(message);
  if (body.size() > kMaxFrameBody) {
    return InvalidArgument("provider process frame of " + std::to_string(body.size()) +
                           " bytes, at most " + std::to_string(kMaxFrameBody));
  }
  const uint32_t len = static_cast<uint32_t>(body.size());
  uint8_t header[4] = {static_cast<uint8_t>(len >> 24), static_cast<uint8_t>(len >> 16),
                       static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len)};
  body.insert(body.begin(), header, header + 4);
  size_t done = 0;
  while (done < body.size()) {
    ssize_t n = ::send(fd, body.data() + done, body.size() - done, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string why =
          std::string("provider process channel: write failed: ") + std::strerror(errno);
      // A send timeout (SO_SNDTIMEO) may leave a frame half written: the channel is
      // unusable, unlike a peer that is gone.
      if (errno == EAGAIN || errno == EWOULDBLOCK) return DeadlineExceeded(why);
      return Unavailable(why);
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

namespace {

// 1: all read; 0: end of stream before any byte; -1: error or end inside (errno or EPIPE).
int ReadFull(int fd, uint8_t* out, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::read(fd, out + done, len - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) {
      if (done == 0) return 0;
      errno = EPIPE;
      return -1;
    }
    done += static_cast<size_t>(n);
  }
  return 1;
}

}  // namespace

Result<Message> ReadFrame(int fd) {
  uint8_t header[4];
  int rc = ReadFull(fd, header, 4);
  if (rc == 0) return Unavailable("closed");
  if (rc < 0) {
    return Unavailable(std::string("provider process channel: read failed: ") +
                       std::strerror(errno));
  }
  const uint32_t len = (uint32_t{header[0]} << 24) | (uint32_t{header[1]} << 16) |
                       (uint32_t{header[2]} << 8) | uint32_t{header[3]};
  if (len > kMaxFrameBody) {
    return InvalidArgument("provider process frame of " + std::to_string(len) + " bytes, at most " +
                           std::to_string(kMaxFrameBody));
  }
  Bytes body(len);
  if (len > 0 && ReadFull(fd, body.data(), len) != 1) {
    return Unavailable("provider process channel: the stream ended inside a frame");
  }
  return DecodeBody(body);
}

}  // namespace wasmcloud::provider::proc
