#!/usr/bin/env python3
"""Writes the seed corpora made by hand-built bytes: fuzz_module_info (small modules,
valid and not), fuzz_guest_abi (programs of waPC import calls for guest_abi.wat) and
fuzz_provider_abi (calls a provider makes on the wc_host_api).

Run from anywhere; rewrites corpus/<fuzzer>/seed-* of those fuzzers. Crash reproducers
(regression-*) found by fuzzing are checked in beside them and are not touched here.
"""
import os
import struct


def leb(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | 0x80 if v else b)
        if not v:
            return bytes(out)


def name(s):
    return leb(len(s)) + s


def sec(i, payload):
    return bytes([i]) + leb(len(payload)) + payload


HEADER = b"\0asm\x01\0\0\0"
TYPES = sec(1, bytes([2, 0x60, 0, 0, 0x60, 2, 0x7F, 0x7F, 1, 0x7F]))
IMPORTS = sec(2, bytes([3]) + name(b"env") + name(b"f") + bytes([0, 1]) + name(b"env") + name(b"t")
              + bytes([1, 0x70, 1, 0, 1]) + name(b"env") + name(b"g") + bytes([3, 0x7F, 0]))
FUNCS = sec(3, bytes([2, 0, 1]))
TABLE = sec(4, bytes([1, 0x70, 0, 1]))
MEMORY = sec(5, bytes([1, 0, 1]))
GLOBAL = sec(6, bytes([1, 0x7F, 1, 0x41, 0, 0x0B]))
EXPORTS = sec(7, bytes([3]) + name(b"run") + bytes([0, 2]) + name(b"memory") + bytes([2, 0])
              + name(b"g") + bytes([3, 1]))
START = sec(8, bytes([1]))
CODE = sec(10, bytes([2, 2, 0, 0x0B, 7, 0, 0x20, 0, 0x20, 1, 0x6A, 0x0B]))
SMALL = HEADER + TYPES + IMPORTS + FUNCS + TABLE + MEMORY + GLOBAL + EXPORTS + START + CODE


def custom(n, content):
    return sec(0, name(n) + content)


# A waPC-shaped actor: the imports and exports the host looks for, and a jwt section.
WAPC = (HEADER
        + sec(1, bytes([2, 0x60, 2, 0x7F, 0x7F, 0, 0x60, 2, 0x7F, 0x7F, 1, 0x7F]))
        + sec(2, bytes([3]) + name(b"wapc") + name(b"__guest_request") + bytes([0, 0])
              + name(b"wapc") + name(b"__guest_response") + bytes([0, 0])
              + name(b"wapc") + name(b"__guest_error") + bytes([0, 0]))
        + sec(3, bytes([1, 1]))
        + sec(5, bytes([1, 1, 17, 32]))
        + sec(7, bytes([2]) + name(b"__guest_call") + bytes([0, 3]) + name(b"memory") + bytes([2, 0]))
        + sec(10, bytes([1, 4, 0, 0x41, 1, 0x0B]))
        + custom(b"producers", b"\x00")
        + custom(b"jwt", b"eyJ0eXAiOiJqd3QiLCJhbGciOiJFZDI1NTE5In0.e30.c2ln"))

SEEDS = {
    "seed-empty-module": HEADER,
    "seed-small-all-sections": SMALL + custom(b"jwt", b"abc"),
    "seed-wapc-actor-with-jwt": WAPC,
    "seed-two-jwt-sections": HEADER + custom(b"jwt", b"1") + TYPES + custom(b"jwt", b"2"),
    "seed-memory-flags": HEADER + sec(5, bytes([4, 0, 2, 1, 1, 3, 3, 1, 5, 4]) + leb(1 << 40)),
    "seed-memory-max-lowered": HEADER + sec(5, bytes([1, 1, 1]) + leb(1000)) + custom(b"c", b""),
    "seed-memory64-with-max": HEADER + sec(5, bytes([1, 5, 2]) + leb(1 << 33)),
    "seed-tag-and-datacount": HEADER + TYPES + sec(2, bytes([1]) + name(b"m") + name(b"e") + bytes([4, 0, 0]))
    + sec(5, bytes([0])) + sec(13, bytes([1, 0, 0])) + sec(6, bytes([0]))
    + sec(7, bytes([1]) + name(b"e") + bytes([4, 1])) + sec(12, bytes([0])) + sec(10, bytes([0]))
    + sec(11, bytes([0])),
    "seed-nonminimal-sizes": HEADER + bytes([5, 0x84, 0, 1, 0, 0x81, 0]) + bytes([0, 0x82, 0x80, 0x00]) + b"\x01x",
    "seed-utf8-names": HEADER + custom("é€😀".encode(), b"") + sec(7, bytes([0])),
    # Invalid ones: each trips one check.
    "seed-bad-magic": b"\0asn\x01\0\0\0",
    "seed-bad-version": b"\0asm\x02\0\0\0",
    "seed-truncated": (SMALL + custom(b"jwt", b"abc"))[:57],
    "seed-size-past-end": HEADER + bytes([1, 0x20, 1, 0x60]),
    "seed-huge-import-count": HEADER + sec(2, bytes([0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0, 0, 0, 0, 0])),
    "seed-overlong-leb": HEADER + sec(3, bytes([0x80, 0x80, 0x80, 0x80, 0x80, 0])),
    "seed-bad-utf8-name": HEADER + custom(b"\xed\xa0\x80", b""),
    "seed-duplicate-section": HEADER + TYPES + TYPES,
    "seed-out-of-order": HEADER + MEMORY + TYPES,
    "seed-function-code-mismatch": HEADER + TYPES + FUNCS,
    "seed-export-index-out-of-range": HEADER + TYPES + sec(7, bytes([1]) + name(b"x") + bytes([0, 7])),
}


# fuzz_guest_abi: byte 0 % 64 is the operation's length, then the operation, then the
# program guest_abi.wat runs from address 32 (its header comment has the instruction set).
PROGRAM_AT = 32
HOST_CALL, GUEST_RESPONSE, GUEST_ERROR, CONSOLE_LOG, HOST_RESPONSE, HOST_ERROR, \
    HOST_RESPONSE_LEN, HOST_ERROR_LEN, GUEST_REQUEST, SET_RESULT, END = range(11)
ARGS = [8, 2, 2, 2, 1, 1, 0, 0, 2, 1, 0]


def ins(kind, *args, masked=False):
    assert len(args) == ARGS[kind], kind
    return bytes([kind | (0x80 if masked else 0)]) + b"".join(struct.pack("<I", a & 0xFFFFFFFF) for a in args)


def program(code_and_data, op=b"run"):
    """`code_and_data(data_at)` gives (code, data): the data follows the code and an END,
    and data_at(offset) is the guest address of data[offset]. Built twice: the first
    pass learns the code's length."""
    code, _ = code_and_data(lambda off: 0)
    code, data = code_and_data(lambda off: PROGRAM_AT + len(code) + 1 + off)
    if data:
        code += ins(END)
    return bytes([len(op)]) + op + code + data


def echo(at):  # a host call answered with the payload reversed, handed back to the caller
    data = b"bind" + b"wasmcloud:test" + b"Op" + b"hello"
    out = 0x8000
    return (ins(HOST_CALL, at(0), 4, at(4), 14, at(18), 2, at(20), 5)
            + ins(HOST_RESPONSE_LEN) + ins(HOST_RESPONSE, out) + ins(GUEST_RESPONSE, out, 5)), data


def host_error(at):  # an odd first payload byte: the host answers an error
    data = b"ns" + b"Op" + b"\x01x"
    out = 0x9000
    return (ins(HOST_CALL, 0, 0, at(0), 2, at(2), 2, at(4), 2) + ins(HOST_ERROR_LEN)
            + ins(HOST_ERROR, out) + ins(GUEST_ERROR, out, 11) + ins(SET_RESULT, 0)), data


def bad_utf8(field):  # a field that is not UTF-8: refused, and __host_error says which
    def make(at):
        fields = [b"b", b"ns", b"op", b"\xff\xfe"]
        fields[field] = b"\xc0\xaf" if field != 3 else fields[3]
        offs, data = [], b""
        for f in fields:
            offs.append(len(data))
            data += f
        args = []
        for o, f in zip(offs, fields):
            args += [at(o), len(f)]
        out = 0xA000
        return (ins(HOST_CALL, *args) + ins(HOST_ERROR_LEN) + ins(HOST_ERROR, out)
                + ins(GUEST_RESPONSE, out, 60)), data
    return make


def const(code):
    return lambda at: (code, b"")


# Registers the guest stores results in: __host_call at 16, the lengths at 20 and 24.
REGS = ins(GUEST_RESPONSE, 16, 12)

GUEST_ABI_SEEDS = {
    "seed-empty-program": program(const(b"")),
    "seed-no-operation": bytes([0]),
    "seed-result-zero-no-error": program(const(ins(SET_RESULT, 0))),
    "seed-echo": program(echo),
    "seed-echo-masked": program(lambda at: (ins(HOST_CALL, at(0), 1, at(0), 1, at(0), 1, at(0), 3, masked=True)
                                            + ins(HOST_RESPONSE, 0x20000 + 0x100, masked=True)
                                            + ins(GUEST_RESPONSE, 0x100, 3, masked=True), b"abc")),
    "seed-host-error": program(host_error),
    "seed-bad-utf8-binding": program(bad_utf8(0)),
    "seed-bad-utf8-namespace": program(bad_utf8(1)),
    "seed-bad-utf8-operation": program(bad_utf8(2)),
    "seed-binary-payload": program(bad_utf8(3)),
    "seed-lengths": program(const(ins(HOST_CALL, 0, 0, 0, 0, 0, 0, 0, 0) + ins(HOST_RESPONSE_LEN)
                                  + ins(HOST_ERROR_LEN) + REGS)),
    # A host call whose ranges are the program itself, one overlapping the next; its
    # reply is written over the instructions that follow.
    "seed-overlapping": program(const(ins(HOST_CALL, 0, 40, 10, 40, 20, 40, 32, 60)
                                      + ins(HOST_RESPONSE, PROGRAM_AT + 33 + 5) + ins(SET_RESULT, 1)
                                      + ins(GUEST_RESPONSE, 0, 200))),
    "seed-console-log": program(lambda at: (ins(CONSOLE_LOG, at(0), 12) + ins(CONSOLE_LOG, 65536, 0)
                                            + ins(CONSOLE_LOG, 0, 65536), b"hello\n\x1b[31m\xff")),
    "seed-empty-ranges-at-end": program(const(ins(HOST_CALL, 65536, 0, 65536, 0, 65536, 0, 65536, 0)
                                              + ins(GUEST_ERROR, 65536, 0) + ins(GUEST_RESPONSE, 65536, 0))),
    "seed-guest-request-again": program(const(ins(GUEST_REQUEST, 40000, 1000) + ins(GUEST_RESPONSE, 40000, 200))),
    "seed-operation-over-payload": bytes([63]) + bytes(range(33, 96)) + ins(GUEST_RESPONSE, 0, 96),
    "seed-host-call-limit": program(const(ins(HOST_CALL, 0, 0, 0, 0, 0, 0, 0x7FFFFFF0, 0x7FFFFFFF)
                                          + ins(HOST_ERROR_LEN) + ins(HOST_ERROR, 0x100) + ins(GUEST_RESPONSE, 0x100, 120))),
    # Each import with a range outside memory: a trap that names it.
    "seed-oob-host-call-wraps": program(const(ins(HOST_CALL, 0xFFFFFFF0, 0x20, 0, 0, 0, 0, 0, 0))),
    "seed-oob-host-call-payload": program(const(ins(HOST_CALL, 0, 0, 0, 0, 0, 0, 65535, 2))),
    "seed-oob-guest-response": program(const(ins(GUEST_RESPONSE, 65536, 1))),
    "seed-oob-guest-error": program(const(ins(GUEST_ERROR, 1, 0xFFFFFFFF))),
    "seed-oob-console-log": program(const(ins(CONSOLE_LOG, 0x80000000, 0x80000000))),
    "seed-oob-host-response": program(lambda at: (ins(HOST_CALL, 0, 0, 0, 0, 0, 0, at(0), 2)
                                                  + ins(HOST_RESPONSE, 65535), b"hi")),
    "seed-oob-host-error": program(const(ins(HOST_CALL, 0, 0, 0, 0, 0, 0, 0, 0x7FFFFFFF)
                                         + ins(HOST_ERROR, 65500))),
    "seed-oob-host-response-empty": program(const(ins(HOST_RESPONSE, 65537))),
    "seed-oob-guest-request": program(const(ins(GUEST_REQUEST, 0, 65530))),
    "seed-payload-too-large": bytes([0]) + bytes(65536 - PROGRAM_AT + 1),
}


# fuzz_provider_abi: the number of operations, the operations, then the data their strings
# point into (16-bit offsets into the whole input, each string running to the next NUL).
UNSTARTED, HOST, GUARDED, STOPPED = range(4)
CALL_ACTOR, LOG, COUNT, DESCRIBE = range(4)
OP_SIZE = {CALL_ACTOR: 14, LOG: 8, COUNT: 14, DESCRIBE: 8}


class Calls:
    """Operations and their data; a Ref is an offset into the data, resolved at build."""

    def __init__(self):
        self.ops = []  # (function, build(resolve) -> bytes)
        self.data = b""

    def text(self, b):  # a NUL-terminated string in the data
        off = len(self.data)
        self.data += b + b"\0"
        return off

    def raw(self, b):  # bytes without a NUL of their own
        off = len(self.data)
        self.data += b
        return off

    def call_actor(self, target, flags=0, actor=None, op=None, payload=None, payload_len=0, null_len=0):
        def build(r):
            return (bytes([target | CALL_ACTOR << 2, flags]) + struct.pack("<HHHHI", r(actor), r(op), r(payload),
                                                                             payload_len, null_len))
        self.ops.append((CALL_ACTOR, build))

    def log(self, target, level, message=None, null=False):
        self.ops.append((LOG, lambda r: bytes([target | LOG << 2]) + struct.pack("<iBH", level, 1 if null else 0,
                                                                                  r(message))))

    def count(self, target, name=None, labels=None, add=1, null_name=False, null_labels=False):
        flags = (1 if null_name else 0) | (2 if null_labels else 0)
        self.ops.append((COUNT, lambda r: bytes([target | COUNT << 2, flags]) + struct.pack("<HHQ", r(name), r(labels),
                                                                                          add)))

    def describe(self, contract=None, name=None, version=None, nulls=0):
        self.ops.append((DESCRIBE, lambda r: bytes([DESCRIBE << 2, nulls]) + struct.pack("<HHH", r(contract), r(name),
                                                                                       r(version))))

    def build(self):
        base = 1 + sum(OP_SIZE[f] for f, _ in self.ops)

        def resolve(ref):
            return 0 if ref is None else base + ref
        out = bytes([len(self.ops)]) + b"".join(b(resolve) for _, b in self.ops) + self.data
        assert len(out) < 65536
        return out


def seed(fill):
    c = Calls()
    fill(c)
    return c.build()


def logs(c):
    for target in (HOST, GUARDED, UNSTARTED, STOPPED):
        c.log(target, 2, c.text(b"hello from the provider"))
        c.log(target, 3, c.text(b"line\n2026-12-05T09:26:21.469Z INFO [host] forged\r\n"))
        c.log(target, 4, c.text(b"\x1b[31mred\x1b[0m \xc2\x9b2J \x7f\t"))
        c.log(target, 1, c.text(b"not utf-8: \xff\xfe \xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 cut \xe2\x82"))
        c.log(target, 0, null=True)
        c.log(target, -7, c.text(b""))
        c.log(target, 1 << 30, c.text("é€😀".encode()))


def log_long(c):
    long_text, long_escaped = c.text(b"x" * 20000), c.text(b"\n" * 16385)
    for target in (HOST, GUARDED):
        c.log(target, 2, long_text)
        c.log(target, 2, long_escaped)


def log_nul_less(c):
    # The message starts inside the operations: it runs on to the first NUL.
    c.ops.append((LOG, lambda r: bytes([HOST | LOG << 2]) + struct.pack("<iBH", 2, 0, 2)))
    c.log(UNSTARTED, 2, c.raw(b"no NUL here"))  # runs to the input's end


def counts(c):
    c.count(HOST, c.text(b"requests"), c.text(b"status=200"), 3)
    c.count(HOST, c.text(b"requests"), c.text(b"status=500"), 1)
    c.count(HOST, c.text(b"plain"), c.text(b""), 7)
    c.count(HOST, c.text(b"nolabels"), null_labels=True, add=2)
    c.count(HOST, c.text(b"big"), c.text(b"a=1,b=2,c=3,d=4"), (1 << 64) - 1)
    c.count(HOST, c.text(b"trailing"), c.text(b"a=1,"), 1)
    c.count(HOST, c.text(b"zero"), c.text(b"k="), 0)
    c.count(HOST, c.text(b"eq_in_value"), c.text(b"k=a=b"), 1)
    c.count(HOST, c.text(b"utf8"), c.text("k=é€😀".encode()), 1)
    c.count(GUARDED, c.text(b"requests"), c.text(b"status=200"), 5)
    c.count(UNSTARTED, c.text(b"requests"), c.text(b"status=200"), 5)
    c.count(STOPPED, c.text(b"requests"), c.text(b"status=200"), 5)
    # Refused: each once in the log.
    c.count(HOST, c.text(b"requests"), c.text(b"method=GET"), 1)
    c.count(HOST, c.text(b"Bad-Name"), c.text(b""), 1)
    c.count(HOST, c.text(b"spoof"), c.text(b"provider=someone"), 1)
    c.count(HOST, c.text(b"link"), c.text(b"link_name=x"), 1)
    c.count(HOST, c.text(b"ctl"), c.text(b"status=2\n00"), 1)
    c.count(HOST, c.text(b"five"), c.text(b"a=1,b=2,c=3,d=4,e=5"), 1)
    c.count(HOST, c.text(b"long_value"), c.text(b"k=" + b"v" * 65), 1)
    c.count(HOST, c.text(b"n" * 65), c.text(b""), 1)
    c.count(HOST, c.text(b"bad_utf8"), c.text(b"k=\xff"), 1)
    c.count(HOST, c.text(b"no_pair"), c.text(b"novalue"), 1)
    c.count(HOST, c.text(b"lead_comma"), c.text(b",a=1"), 1)
    c.count(HOST, c.text(b""), c.text(b""), 1)
    c.count(HOST, c.text(b"forged\nline"), c.text(b"\x1b[2J"), 1)
    c.count(HOST, null_name=True, labels=c.text(b"a=1"))


def counts_repeated_keys(c):
    c.count(HOST, c.text(b"repeated"), c.text(b"a=1,a=2"), 1)
    c.count(HOST, c.text(b"repeated"), c.text(b"a=1,a=2"), 1)


def calls(c):
    hello = c.text(b"hello")
    for target in (HOST, GUARDED):
        c.call_actor(target, flags=0x02, payload=hello, payload_len=5)  # the echo actor: Echo
        c.call_actor(target, flags=0x02, payload=hello, payload_len=0)
        c.call_actor(target, flags=0x02 | 0x20)  # NULL payload, length 0
        c.call_actor(target, flags=0x02 | 1 << 3, payload=hello, payload_len=5)  # Fail
        c.call_actor(target, flags=0x02 | 2 << 3)  # Nope
        c.call_actor(target, flags=0x02 | 3 << 3)  # ""
        c.call_actor(target, actor=c.text(b"MXYZ unknown\n"), op=c.text(b"Op"), payload=hello, payload_len=5)
        c.call_actor(target, actor=c.text(b""), op=c.text(b"\xff"))
    for target in (HOST, UNSTARTED, STOPPED):
        c.call_actor(target, flags=0x01, op=c.text(b"Op"))  # NULL actor
        c.call_actor(target, flags=0x04, actor=c.text(b"M"))  # NULL operation
        c.call_actor(target, flags=0x02 | 0x20, null_len=5)  # NULL payload with a length
        c.call_actor(target, flags=0x02 | 0x20, null_len=0xFFFFFFFF)
        c.call_actor(target, flags=0x02 | 0x40, payload=hello, payload_len=5)  # NULL response
        c.call_actor(target, flags=0x02, payload=hello, payload_len=5)


def describe(contract, name, version, nulls=0):
    def fill(c):
        c.describe(c.text(contract), c.text(name), c.text(version), nulls)
        c.log(HOST, 2, c.text(b"after"))
    return fill


PROVIDER_ABI_SEEDS = {
    "seed-logs": seed(logs),
    "seed-log-long": seed(log_long),
    "seed-log-nul-less": seed(log_nul_less),
    "seed-counts": seed(counts),
    "seed-counts-repeated-keys": seed(counts_repeated_keys),
    "seed-calls": seed(calls),
    "seed-describe": seed(describe(b"wasmcloud:keyvalue", b"Fuzz KV", b"1.0")),
    "seed-describe-null-contract": seed(describe(b"", b"x", b"y", nulls=1)),
    "seed-describe-empty-contract": seed(describe(b"", b"x", b"y")),
    "seed-describe-nulls": seed(describe(b"wasmcloud:x", b"", b"", nulls=6)),
    "seed-describe-forged-lines": seed(describe(b"wasmcloud:x\nINFO [host] forged", b"name\x1b[2J\r\n",
                                                b"\xff")),
}

CORPORA = {"fuzz_module_info": SEEDS, "fuzz_guest_abi": GUEST_ABI_SEEDS, "fuzz_provider_abi": PROVIDER_ABI_SEEDS}


def main():
    for fuzzer, seeds in CORPORA.items():
        out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", fuzzer)
        os.makedirs(out_dir, exist_ok=True)
        for f in os.listdir(out_dir):
            if f.startswith("seed-"):
                os.remove(os.path.join(out_dir, f))
        for n, data in seeds.items():
            assert len(data) < 4096 or n in ("seed-payload-too-large", "seed-log-long"), n
            with open(os.path.join(out_dir, n), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
