// Fuzz target for the frames between the host and a provider in a child process
// (src/provider/process_protocol.h), which the host reads from a child it does not trust
// and the child from the host. The input is used twice:
//   - as a frame body for DecodeBody: it decodes or gives kInvalidArgument with a
//     message, never crashes; what decodes round-trips (EncodeBody of it decodes to an
//     equal message and re-encodes to the same bytes), and a small one also survives
//     WriteFrame/ReadFrame over a socketpair;
//   - as a byte stream for ReadFrame: written into a pipe whose write end is then closed
//     (so no read can block), and read frame by frame; every answer is the one the
//     framing rules predict (clean end: kUnavailable "closed"; a cut header or body:
//     kUnavailable; a length over kMaxFrameBody: kInvalidArgument; otherwise exactly
//     what DecodeBody says of the body).
// CodeFromWire, on the decoded levels and on the input's first 8 bytes, always gives a
// valid code that is never kOk (an error reply is never taken for success).
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "core/bytes.h"
#include "core/status.h"
#include "fuzz_check.h"
#include "provider/process_protocol.h"

namespace {

using namespace wasmcloud;
using namespace wasmcloud::provider::proc;

bool Same(const Message& x, const Message& y) {
  return x.type == y.type && x.id == y.id && x.ok == y.ok && x.a == y.a && x.b == y.b &&
         x.c == y.c && x.payload == y.payload && x.values == y.values && x.level == y.level;
}

void CheckCode(int64_t value) {
  const Code c = CodeFromWire(value);
  FUZZ_CHECK(c != Code::kOk);
  FUZZ_CHECK(static_cast<int>(c) > static_cast<int>(Code::kOk) &&
             static_cast<int>(c) <= static_cast<int>(Code::kInternal));
  // A number that names a code other than kOk is taken as it is.
  if (value > static_cast<int64_t>(Code::kOk) && value <= static_cast<int64_t>(Code::kInternal)) {
    FUZZ_CHECK(static_cast<int64_t>(c) == value);
  } else {
    FUZZ_CHECK(c == Code::kInternal);
  }
}

bool SameError(const Status& x, const Status& y) {
  return x.code() == y.code() && x.message() == y.message();
}

// A socketpair kept for the whole run: a small message written with WriteFrame on one
// end reads back with ReadFrame on the other.
int* Channel() {
  static int sv[2] = {-1, -1};
  static bool made = ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0;
  return made ? sv : nullptr;
}

void CheckDecode(ByteView body) {
  auto m = DecodeBody(body);
  if (!m.ok()) {
    FUZZ_CHECK(m.status().code() == Code::kInvalidArgument);
    FUZZ_CHECK(!m.status().message().empty());
    return;
  }
  CheckCode(m->level);
  const Bytes once = EncodeBody(*m);
  auto again = DecodeBody(once);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(Same(*again, *m));
  FUZZ_CHECK(EncodeBody(*again) == once);

  // Far below a socket's buffer: WriteFrame cannot block with nobody reading yet.
  if (once.size() <= 4096) {
    if (int* sv = Channel()) {
      FUZZ_CHECK(WriteFrame(sv[0], *m).ok());
      auto back = ReadFrame(sv[1]);
      FUZZ_CHECK(back.ok());
      FUZZ_CHECK(Same(*back, *m));
    }
  }
}

uint32_t BigEndian32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

void CheckStream(ByteView in) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return;
  // A full pipe must not block the writer: write without blocking as much as fits (the
  // whole input, usually; a bigger pipe where allowed) and take that as the stream.
  if (in.size() > (64u << 10)) {
    (void)::fcntl(fds[1], F_SETPIPE_SZ, static_cast<int>(std::min<size_t>(in.size(), 1u << 20)));
  }
  (void)::fcntl(fds[1], F_SETFL, O_NONBLOCK);
  size_t written = 0;
  while (written < in.size()) {
    ssize_t n = ::write(fds[1], in.data() + written, in.size() - written);
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  ::close(fds[1]);
  const ByteView stream = in.first(written);

  size_t pos = 0;
  for (;;) {
    auto frame = ReadFrame(fds[0]);
    const size_t left = stream.size() - pos;
    if (left == 0) {
      FUZZ_CHECK(!frame.ok());
      FUZZ_CHECK(frame.status().code() == Code::kUnavailable);
      FUZZ_CHECK(frame.status().message() == "closed");
      break;
    }
    if (left < 4) {
      FUZZ_CHECK(!frame.ok());
      FUZZ_CHECK(frame.status().code() == Code::kUnavailable);
      FUZZ_CHECK(frame.status().message() != "closed");
      break;
    }
    const uint32_t len = BigEndian32(stream.data() + pos);
    if (len > kMaxFrameBody) {
      FUZZ_CHECK(!frame.ok());
      FUZZ_CHECK(frame.status().code() == Code::kInvalidArgument);
      break;
    }
    if (len > left - 4) {
      FUZZ_CHECK(!frame.ok());
      FUZZ_CHECK(frame.status().code() == Code::kUnavailable);
      FUZZ_CHECK(frame.status().message() != "closed");
      break;
    }
    auto expected = DecodeBody(stream.subspan(pos + 4, len));
    FUZZ_CHECK(frame.ok() == expected.ok());
    if (expected.ok()) {
      FUZZ_CHECK(Same(*frame, *expected));
      CheckCode(frame->level);
    } else {
      FUZZ_CHECK(SameError(frame.status(), expected.status()));
    }
    pos += 4 + len;
  }
  ::close(fds[0]);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteView in(data, size);
  CheckDecode(in);
  CheckStream(in);
  if (size >= 8) {
    uint64_t raw = 0;
    for (int i = 0; i < 8; ++i) raw = (raw << 8) | data[i];
    CheckCode(static_cast<int64_t>(raw));
  }
  return 0;
}
