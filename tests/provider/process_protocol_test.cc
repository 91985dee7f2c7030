// The frames between the host and a provider child process (process_protocol.h): every
// message type round-trips with all its fields; a body that is wrong in one way is
// refused saying what is wrong; frames read from a socketpair whole, back to back, cut
// short or oversized; writing to a gone peer is an error and not a SIGPIPE; and a code
// from the wire is never taken for success.
#include "provider/process_protocol.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"
#include "wire/msgpack.h"

namespace wasmcloud::provider::proc {
namespace {

using ::testing::HasSubstr;

bool Same(const Message& x, const Message& y) {
  return x.type == y.type && x.id == y.id && x.ok == y.ok && x.a == y.a && x.b == y.b &&
         x.c == y.c && x.payload == y.payload && x.values == y.values && x.level == y.level;
}

Message Full(Type type) {
  Message m;
  m.type = type;
  m.id = 0x0123456789abcdefULL;
  m.ok = false;
  m.a = "MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5";
  m.b = "KeyValue.Get";
  m.c = "0.1.0 ✓";
  m.payload = Bytes{0x00, 0xff, 0x80, 0x7f, 0xc1};
  m.values = {{"URL", "redis://127.0.0.1:6379/"}, {"", "empty key"}, {"k", ""}};
  m.level = -42;
  return m;
}

const std::vector<Type>& AllTypes() {
  static const std::vector<Type> all = {
      Type::kHello,      Type::kLoadFailed, Type::kStart, Type::kBind,  Type::kRemove,
      Type::kCall,       Type::kHealth,     Type::kStop,  Type::kReply, Type::kCallActor,
      Type::kActorReply, Type::kLog,        Type::kCount};
  return all;
}

// A body written field by field, to get one field wrong at a time.
struct Fields {
  uint32_t count = 9;
  std::function<void(wire::Writer&)> type = [](wire::Writer& w) { w.Uint(3); };
  std::function<void(wire::Writer&)> a = [](wire::Writer& w) { w.Str("a"); };
  std::function<void(wire::Writer&)> values = [](wire::Writer& w) { w.MapHeader(0); };

  Bytes Encode() const {
    wire::Writer w;
    w.ArrayHeader(count);
    type(w);
    w.Uint(1);
    w.Bool(true);
    a(w);
    w.Str("b");
    w.Str("c");
    w.Bin(Bytes{1, 2});
    values(w);
    w.Int(0);
    return w.Take();
  }
};

void ExpectInvalid(const Bytes& body, const std::string& message_part) {
  auto m = DecodeBody(body);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(m.status().message(), HasSubstr("provider process frame"));
  EXPECT_THAT(m.status().message(), HasSubstr(message_part));
}

TEST(ProcessProtocolTest, EveryTypeRoundTripsWithAllFields) {
  ASSERT_EQ(AllTypes().size(), 13u);
  for (Type type : AllTypes()) {
    SCOPED_TRACE(std::string(TypeName(type)));
    const Message m = Full(type);
    const Bytes body = EncodeBody(m);
    auto back = DecodeBody(body);
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_TRUE(Same(*back, m));
    EXPECT_EQ(EncodeBody(*back), body);
  }
}

TEST(ProcessProtocolTest, ExtremeValuesRoundTrip) {
  Message m = Full(Type::kReply);
  m.id = UINT64_MAX;
  m.ok = true;
  m.level = INT64_MIN;
  m.payload = Bytes(70000, 0xab);
  m.a = std::string(70000, 'x');
  auto back = DecodeBody(EncodeBody(m));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(Same(*back, m));

  m.level = INT64_MAX;
  m.id = 0;
  m.payload.clear();
  m.a.clear();
  m.values.clear();
  back = DecodeBody(EncodeBody(m));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(Same(*back, m));
}

TEST(ProcessProtocolTest, FieldsBuilderMakesAValidBody) {
  auto m = DecodeBody(Fields{}.Encode());
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->type, Type::kStart);
  EXPECT_EQ(m->a, "a");
}

TEST(ProcessProtocolTest, WrongFieldCount) {
  Fields eight;
  eight.count = 8;
  ExpectInvalid(eight.Encode(), "expected 9 fields, got 8");

  Fields ten;
  ten.count = 10;
  Bytes body = ten.Encode();
  body.push_back(0xc0);  // the tenth field
  ExpectInvalid(body, "expected 9 fields, got 10");
}

TEST(ProcessProtocolTest, UnknownType) {
  Fields zero;
  zero.type = [](wire::Writer& w) { w.Uint(0); };
  ExpectInvalid(zero.Encode(), "unknown type 0");
  Fields fourteen;
  fourteen.type = [](wire::Writer& w) { w.Uint(14); };
  ExpectInvalid(fourteen.Encode(), "unknown type 14");
}

TEST(ProcessProtocolTest, StringFieldGivenAsInteger) {
  Fields f;
  f.a = [](wire::Writer& w) { w.Uint(5); };
  auto m = DecodeBody(f.Encode());
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(m.status().message(), HasSubstr("provider process frame"));
  EXPECT_THAT(m.status().message(), HasSubstr("expected str, found int"));
}

TEST(ProcessProtocolTest, TrailingBytes) {
  Bytes body = EncodeBody(Full(Type::kCall));
  body.push_back(0x00);
  body.push_back(0x01);
  ExpectInvalid(body, "2 bytes after the message");
}

TEST(ProcessProtocolTest, AtMost4096LinkValues) {
  auto values = [](uint32_t n) {
    return [n](wire::Writer& w) {
      w.MapHeader(n);
      for (uint32_t i = 0; i < n; ++i) {
        w.Str("k" + std::to_string(i));
        w.Str("v");
      }
    };
  };
  Fields at_limit;
  at_limit.values = values(4096);
  auto ok = DecodeBody(at_limit.Encode());
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->values.size(), 4096u);

  Fields over;
  over.values = values(4097);
  ExpectInvalid(over.Encode(), "4097 link values, at most 4096");
}

// A connected pair of stream sockets, closed at the end of the test.
struct SocketPair {
  int fd[2] = {-1, -1};
  SocketPair() { EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fd), 0); }
  ~SocketPair() {
    Close(0);
    Close(1);
  }
  void Close(int i) {
    if (fd[i] >= 0) ::close(fd[i]);
    fd[i] = -1;
  }
  void Send(ByteView bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::send(fd[0], bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      ASSERT_GT(n, 0);
      done += static_cast<size_t>(n);
    }
  }
};

Bytes Header(uint32_t len) {
  return Bytes{static_cast<uint8_t>(len >> 24), static_cast<uint8_t>(len >> 16),
               static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len)};
}

TEST(ProcessProtocolTest, ReadFrameWholeFrame) {
  SocketPair sp;
  const Message m = Full(Type::kCall);
  ASSERT_TRUE(WriteFrame(sp.fd[0], m).ok());
  auto got = ReadFrame(sp.fd[1]);
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_TRUE(Same(*got, m));

  // The bytes on the wire are the length, big-endian, then EncodeBody's bytes.
  const Bytes body = EncodeBody(m);
  Bytes framed = Header(static_cast<uint32_t>(body.size()));
  framed.insert(framed.end(), body.begin(), body.end());
  sp.Send(framed);
  got = ReadFrame(sp.fd[1]);
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_TRUE(Same(*got, m));
}

TEST(ProcessProtocolTest, ReadFrameTwoFramesBackToBack) {
  SocketPair sp;
  const Message first = Full(Type::kCallActor);
  const Message second = [] {
    Message m = Full(Type::kReply);
    m.id = 2;
    m.payload = Bytes(1000, 7);
    return m;
  }();
  Bytes both;
  for (const Message* m : {&first, &second}) {
    const Bytes body = EncodeBody(*m);
    const Bytes header = Header(static_cast<uint32_t>(body.size()));
    both.insert(both.end(), header.begin(), header.end());
    both.insert(both.end(), body.begin(), body.end());
  }
  sp.Send(both);  // one write: the reader must not take more than one frame at a time
  sp.Close(0);
  auto a = ReadFrame(sp.fd[1]);
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_TRUE(Same(*a, first));
  auto b = ReadFrame(sp.fd[1]);
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_TRUE(Same(*b, second));
  auto end = ReadFrame(sp.fd[1]);
  ASSERT_FALSE(end.ok());
  EXPECT_EQ(end.status().code(), Code::kUnavailable);
  EXPECT_EQ(end.status().message(), "closed");
}

TEST(ProcessProtocolTest, ReadFrameEofBeforeAnyByteIsClosed) {
  SocketPair sp;
  sp.Close(0);
  auto got = ReadFrame(sp.fd[1]);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Code::kUnavailable);
  EXPECT_EQ(got.status().message(), "closed");
}

TEST(ProcessProtocolTest, ReadFrameEofInsideHeader) {
  SocketPair sp;
  sp.Send(Bytes{0, 0});
  sp.Close(0);
  auto got = ReadFrame(sp.fd[1]);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Code::kUnavailable);
  EXPECT_NE(got.status().message(), "closed");
}

TEST(ProcessProtocolTest, ReadFrameEofInsideBody) {
  SocketPair sp;
  const Bytes body = EncodeBody(Full(Type::kHello));
  Bytes cut = Header(static_cast<uint32_t>(body.size()));
  cut.insert(cut.end(), body.begin(), body.begin() + body.size() / 2);
  sp.Send(cut);
  sp.Close(0);
  auto got = ReadFrame(sp.fd[1]);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Code::kUnavailable);
  EXPECT_NE(got.status().message(), "closed");
  EXPECT_THAT(got.status().message(), HasSubstr("inside a frame"));
}

TEST(ProcessProtocolTest, ReadFrameTooLongIsRefusedBeforeTheBody) {
  SocketPair sp;
  // Only the header, and the write end left open: reading the body would block forever.
  sp.Send(Header(static_cast<uint32_t>(kMaxFrameBody) + 1));
  auto got = ReadFrame(sp.fd[1]);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(got.status().message(), HasSubstr(std::to_string(kMaxFrameBody + 1) + " bytes"));

  sp.Send(Header(0xffffffffu));
  got = ReadFrame(sp.fd[1]);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Code::kInvalidArgument);
}

TEST(ProcessProtocolTest, ReadFrameBodyThatDoesNotDecode) {
  SocketPair sp;
  Bytes framed = Header(1);
  framed.push_back(0xc0);  // nil, not an array
  sp.Send(framed);
  auto got = ReadFrame(sp.fd[1]);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(got.status().message(), HasSubstr("expected array"));
}

// Counts SIGPIPEs while installed (the default action would kill the test).
volatile sig_atomic_t g_sigpipes = 0;
void OnSigpipe(int) { g_sigpipes = g_sigpipes + 1; }

TEST(ProcessProtocolTest, WriteFrameToClosedPeerIsUnavailableWithoutSigpipe) {
  struct sigaction counting {
  }, old{};
  counting.sa_handler = OnSigpipe;
  sigemptyset(&counting.sa_mask);
  ASSERT_EQ(::sigaction(SIGPIPE, &counting, &old), 0);
  g_sigpipes = 0;

  SocketPair sp;
  sp.Close(1);
  const Status s = WriteFrame(sp.fd[0], Full(Type::kLog));
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("write failed"));
  // And a big one, in case a first short write went through before the error.
  Message big = Full(Type::kCall);
  big.payload = Bytes(1 << 20, 1);
  EXPECT_EQ(WriteFrame(sp.fd[0], big).code(), Code::kUnavailable);
  EXPECT_EQ(g_sigpipes, 0);

  ::sigaction(SIGPIPE, &old, nullptr);
}

TEST(ProcessProtocolTest, CodeFromWire) {
  EXPECT_EQ(CodeFromWire(0), Code::kInternal);
  EXPECT_EQ(CodeFromWire(999), Code::kInternal);
  EXPECT_EQ(CodeFromWire(-1), Code::kInternal);
  EXPECT_EQ(CodeFromWire(INT64_MIN), Code::kInternal);
  EXPECT_EQ(CodeFromWire(INT64_MAX), Code::kInternal);
  EXPECT_EQ(CodeFromWire(static_cast<int>(Code::kNotFound)), Code::kNotFound);
  EXPECT_EQ(CodeFromWire(static_cast<int>(Code::kInvalidArgument)), Code::kInvalidArgument);
  EXPECT_EQ(CodeFromWire(static_cast<int>(Code::kInternal)), Code::kInternal);
}

}  // namespace
}  // namespace wasmcloud::provider::proc
