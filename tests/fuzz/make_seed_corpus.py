#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_module_info: small hand-built modules, valid and not.

Run from anywhere; rewrites corpus/fuzz_module_info/seed-*. Crash reproducers
(regression-*) found by fuzzing are checked in beside them and are not touched here.
"""
import os


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


def main():
    out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "fuzz_module_info")
    os.makedirs(out_dir, exist_ok=True)
    for f in os.listdir(out_dir):
        if f.startswith("seed-"):
            os.remove(os.path.join(out_dir, f))
    for n, data in SEEDS.items():
        assert len(data) < 4096, n
        with open(os.path.join(out_dir, n), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
