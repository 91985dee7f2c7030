// msgpack for actors: a writer that produces exactly what rmp-serde 0.15 (struct-map
// config) writes for the 0.18 payloads (smallest encodings; spec §0.1), and a bounded
// reader for untrusted bytes. Every read is checked against the bytes left, declared
// lengths are checked before anything is allocated, nesting in skipped values is limited
// to 64 levels, and the first error sticks: later reads fail too, so a decoder may check
// once at the end. Error texts follow the host's C++ codecs (src/wire).
#ifndef WASMCLOUD_ACTOR_MSGPACK_H_
#define WASMCLOUD_ACTOR_MSGPACK_H_

#include "wasmcloud/base.h"

#ifdef __cplusplus
extern "C" {
#endif

// Error-path and multi-use helpers stay out of line: inlining them everywhere would
// triple an actor's code size for no speed that matters.
#define WC__OUTLINE static __attribute__((noinline, unused))

// ---- writer ---------------------------------------------------------------------------

WC__OUTLINE void wc__mp_be(wc_buf* b, uint8_t marker, uint64_t v, uint32_t bytes) {
  uint8_t out[9];
  out[0] = marker;
  for (uint32_t i = 0; i < bytes; ++i) out[1 + i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
  wc_buf_append(b, out, 1 + bytes);
}

static inline void wc_mp_write_nil(wc_buf* b) { wc_buf_push(b, 0xc0); }
static inline void wc_mp_write_bool(wc_buf* b, bool v) { wc_buf_push(b, v ? 0xc3 : 0xc2); }

// Smallest unsigned form: fixint, u8, u16, u32, u64.
WC__OUTLINE void wc_mp_write_uint(wc_buf* b, uint64_t v) {
  if (v < 0x80) {
    wc_buf_push(b, (uint8_t)v);
  } else if (v <= 0xff) {
    wc__mp_be(b, 0xcc, v, 1);
  } else if (v <= 0xffff) {
    wc__mp_be(b, 0xcd, v, 2);
  } else if (v <= 0xffffffffull) {
    wc__mp_be(b, 0xce, v, 4);
  } else {
    wc__mp_be(b, 0xcf, v, 8);
  }
}

// Non-negative values take the unsigned forms (as rmp's write_sint); negative ones the
// smallest of fixneg, i8, i16, i32, i64.
static inline void wc_mp_write_int(wc_buf* b, int64_t v) {
  if (v >= 0) {
    wc_mp_write_uint(b, (uint64_t)v);
  } else if (v >= -32) {
    wc_buf_push(b, (uint8_t)(int8_t)v);
  } else if (v >= -128) {
    wc__mp_be(b, 0xd0, (uint64_t)v, 1);
  } else if (v >= -32768) {
    wc__mp_be(b, 0xd1, (uint64_t)v, 2);
  } else if (v >= -2147483647 - 1) {
    wc__mp_be(b, 0xd2, (uint64_t)v, 4);
  } else {
    wc__mp_be(b, 0xd3, (uint64_t)v, 8);
  }
}

WC__OUTLINE void wc_mp_write_str(wc_buf* b, wc_str s) {
  if (s.len < 32) {
    wc_buf_push(b, (uint8_t)(0xa0 | s.len));
  } else if (s.len <= 0xff) {
    wc__mp_be(b, 0xd9, s.len, 1);
  } else if (s.len <= 0xffff) {
    wc__mp_be(b, 0xda, s.len, 2);
  } else {
    wc__mp_be(b, 0xdb, s.len, 4);
  }
  wc_buf_append_str(b, s);
}
static inline void wc_mp_write_cstr(wc_buf* b, const char* s) { wc_mp_write_str(b, wc_cstr(s)); }

// bin8/16/32 (what serde_bytes fields are).
static inline void wc_mp_write_bin(wc_buf* b, wc_bytes v) {
  if (v.len <= 0xff) {
    wc__mp_be(b, 0xc4, v.len, 1);
  } else if (v.len <= 0xffff) {
    wc__mp_be(b, 0xc5, v.len, 2);
  } else {
    wc__mp_be(b, 0xc6, v.len, 4);
  }
  wc_buf_append_bytes(b, v);
}

static inline void wc_mp_write_map(wc_buf* b, uint32_t n) {
  if (n < 16) {
    wc_buf_push(b, (uint8_t)(0x80 | n));
  } else if (n <= 0xffff) {
    wc__mp_be(b, 0xde, n, 2);
  } else {
    wc__mp_be(b, 0xdf, n, 4);
  }
}

static inline void wc_mp_write_array(wc_buf* b, uint32_t n) {
  if (n < 16) {
    wc_buf_push(b, (uint8_t)(0x90 | n));
  } else if (n <= 0xffff) {
    wc__mp_be(b, 0xdc, n, 2);
  } else {
    wc__mp_be(b, 0xdd, n, 4);
  }
}

// ---- reader ---------------------------------------------------------------------------

#define WC_MP_MAX_DEPTH 64

typedef struct wc_mp_reader {
  const uint8_t* data;
  uint32_t len;
  uint32_t pos;
  bool failed;
  char error[160];  // NUL-terminated; "" while nothing failed
} wc_mp_reader;

static inline void wc_mp_reader_init(wc_mp_reader* r, wc_bytes data) {
  r->data = data.ptr;
  r->len = data.ptr == NULL ? 0 : data.len;
  r->pos = 0;
  r->failed = false;
  r->error[0] = 0;
}

static inline uint32_t wc_mp_remaining(const wc_mp_reader* r) { return r->len - r->pos; }
static inline bool wc_mp_at_end(const wc_mp_reader* r) { return r->pos >= r->len; }
static inline wc_str wc_mp_error(const wc_mp_reader* r) { return wc_cstr(r->error); }

// Error text assembly into the fixed buffer (truncated, never overflowing).
WC__OUTLINE void wc__mp_err_add(wc_mp_reader* r, const char* s, uint32_t n) {
  uint32_t at = wc_strlen(r->error);
  for (uint32_t i = 0; i < n && at + 1 < sizeof r->error; ++i) r->error[at++] = s[i];
  r->error[at] = 0;
}
WC__OUTLINE void wc__mp_err_c(wc_mp_reader* r, const char* s) {
  wc__mp_err_add(r, s, wc_strlen(s));
}
WC__OUTLINE void wc__mp_err_n(wc_mp_reader* r, int64_t v) {
  char digits[21];
  uint32_t n = 0;
  uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  do {
    digits[sizeof digits - 1 - n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u != 0);
  if (v < 0) digits[sizeof digits - 1 - n++] = '-';
  wc__mp_err_add(r, digits + sizeof digits - n, n);
}
WC__OUTLINE void wc__mp_err_u(wc_mp_reader* r, uint64_t v) {
  char digits[20];
  uint32_t n = 0;
  do {
    digits[sizeof digits - 1 - n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  wc__mp_err_add(r, digits + sizeof digits - n, n);
}
// Starts an error (only the first one is kept). Returns false for `return wc__mp_fail(..)`.
static inline bool wc__mp_fail_begin(wc_mp_reader* r) {
  if (r->failed) return false;
  r->failed = true;
  r->error[0] = 0;
  return true;
}

// The msgpack type a marker starts: "int", "map", "str", ...
static inline const char* wc_mp_marker_name(uint8_t m) {
  if (m <= 0x7f || m >= 0xe0) return "int";
  if (m <= 0x8f) return "map";
  if (m <= 0x9f) return "array";
  if (m <= 0xbf) return "str";
  switch (m) {
    case 0xc0:
      return "nil";
    case 0xc1:
      return "reserved byte 0xc1";
    case 0xc2:
    case 0xc3:
      return "bool";
    case 0xc4:
    case 0xc5:
    case 0xc6:
      return "bin";
    case 0xc7:
    case 0xc8:
    case 0xc9:
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8:
      return "ext";
    case 0xca:
    case 0xcb:
      return "float";
    case 0xd9:
    case 0xda:
    case 0xdb:
      return "str";
    case 0xdc:
    case 0xdd:
      return "array";
    case 0xde:
    case 0xdf:
      return "map";
    default:
      return "int";
  }
}

// The type of the next value, "end of input" when there is none.
static inline const char* wc_mp_peek_type(const wc_mp_reader* r) {
  return wc_mp_at_end(r) ? "end of input" : wc_mp_marker_name(r->data[r->pos]);
}
static inline bool wc_mp_peek_is(const wc_mp_reader* r, const char* type) {
  return !r->failed && wc_str_eq_cstr(wc_cstr(wc_mp_peek_type(r)), type);
}

// "expected <what>, found <type> at offset <n>"
WC__OUTLINE bool wc__mp_expected(wc_mp_reader* r, const char* what) {
  if (!wc__mp_fail_begin(r)) return false;
  wc__mp_err_c(r, "expected ");
  wc__mp_err_c(r, what);
  wc__mp_err_c(r, ", found ");
  wc__mp_err_c(r, wc_mp_peek_type(r));
  wc__mp_err_c(r, " at offset ");
  wc__mp_err_u(r, r->pos);
  return false;
}

// Reads a big-endian number of `bytes` bytes.
WC__OUTLINE bool wc__mp_read_be(wc_mp_reader* r, uint32_t bytes, uint64_t* out) {
  if (r->failed) return false;
  if (wc_mp_remaining(r) < bytes) {
    wc__mp_fail_begin(r);
    wc__mp_err_c(r, "truncated: need ");
    wc__mp_err_u(r, bytes);
    wc__mp_err_c(r, " bytes at offset ");
    wc__mp_err_u(r, r->pos);
    wc__mp_err_c(r, ", have ");
    wc__mp_err_u(r, wc_mp_remaining(r));
    return false;
  }
  uint64_t v = 0;
  for (uint32_t i = 0; i < bytes; ++i) v = (v << 8) | r->data[r->pos++];
  *out = v;
  return true;
}

static inline bool wc_mp_read_nil(wc_mp_reader* r) {
  if (r->failed) return false;
  if (wc_mp_at_end(r) || r->data[r->pos] != 0xc0) return wc__mp_expected(r, "nil");
  ++r->pos;
  return true;
}

static inline bool wc_mp_read_bool(wc_mp_reader* r, bool* out) {
  if (r->failed) return false;
  if (wc_mp_at_end(r) || (r->data[r->pos] != 0xc2 && r->data[r->pos] != 0xc3)) {
    return wc__mp_expected(r, "bool");
  }
  *out = r->data[r->pos++] == 0xc3;
  return true;
}

// Any integer encoding whose value fits an int64.
WC__OUTLINE bool wc_mp_read_int(wc_mp_reader* r, int64_t* out) {
  if (r->failed) return false;
  if (!wc_mp_peek_is(r, "int")) return wc__mp_expected(r, "integer");
  uint32_t start = r->pos;
  uint8_t m = r->data[r->pos++];
  if (m <= 0x7f) {
    *out = m;
    return true;
  }
  if (m >= 0xe0) {
    *out = (int8_t)m;
    return true;
  }
  uint32_t width = 1u << ((m - 0xcc) & 3);  // cc..cf and d0..d3: 1, 2, 4, 8 bytes
  uint64_t raw = 0;
  if (!wc__mp_read_be(r, width, &raw)) return false;
  if (m <= 0xcf) {
    if (raw > 0x7fffffffffffffffull) {
      r->pos = start;
      wc__mp_fail_begin(r);
      wc__mp_err_c(r, "integer at offset ");
      wc__mp_err_u(r, start);
      wc__mp_err_c(r, " is out of range");
      return false;
    }
    *out = (int64_t)raw;
    return true;
  }
  switch (width) {
    case 1:
      *out = (int8_t)raw;
      break;
    case 2:
      *out = (int16_t)raw;
      break;
    case 4:
      *out = (int32_t)raw;
      break;
    default:
      *out = (int64_t)raw;
      break;
  }
  return true;
}

// Any integer encoding whose value is >= 0.
WC__OUTLINE bool wc_mp_read_uint(wc_mp_reader* r, uint64_t* out) {
  if (r->failed) return false;
  if (!wc_mp_peek_is(r, "int")) return wc__mp_expected(r, "integer");
  uint32_t start = r->pos;
  if (r->data[r->pos] == 0xcf) {
    ++r->pos;
    return wc__mp_read_be(r, 8, out);
  }
  int64_t v = 0;
  if (!wc_mp_read_int(r, &v)) return false;
  if (v < 0) {
    r->pos = start;
    wc__mp_fail_begin(r);
    wc__mp_err_c(r, "negative integer ");
    wc__mp_err_n(r, v);
    wc__mp_err_c(r, " at offset ");
    wc__mp_err_u(r, start);
    wc__mp_err_c(r, " where an unsigned one is expected");
    return false;
  }
  *out = (uint64_t)v;
  return true;
}

WC__OUTLINE bool wc__mp_range(wc_mp_reader* r, int64_t v, uint32_t at, const char* type) {
  wc__mp_fail_begin(r);
  wc__mp_err_c(r, "integer ");
  wc__mp_err_n(r, v);
  wc__mp_err_c(r, " at offset ");
  wc__mp_err_u(r, at);
  wc__mp_err_c(r, " does not fit ");
  wc__mp_err_c(r, type);
  return false;
}

static inline bool wc_mp_read_u32(wc_mp_reader* r, uint32_t* out) {
  uint32_t at = r->pos;
  uint64_t v = 0;
  if (!wc_mp_read_uint(r, &v)) return false;
  if (v > 0xffffffffull) {
    wc__mp_fail_begin(r);
    wc__mp_err_c(r, "integer ");
    wc__mp_err_u(r, v);
    wc__mp_err_c(r, " at offset ");
    wc__mp_err_u(r, at);
    wc__mp_err_c(r, " does not fit u32");
    return false;
  }
  *out = (uint32_t)v;
  return true;
}

static inline bool wc_mp_read_i32(wc_mp_reader* r, int32_t* out) {
  uint32_t at = r->pos;
  int64_t v = 0;
  if (!wc_mp_read_int(r, &v)) return false;
  if (v < -2147483647 - 1 || v > 2147483647) return wc__mp_range(r, v, at, "i32");
  *out = (int32_t)v;
  return true;
}

// Reads the length that follows a str8/16/32 or bin8/16/32 marker (`base8` is the
// family's 8-bit marker) and checks the bytes are there.
WC__OUTLINE bool wc__mp_sized(wc_mp_reader* r, uint32_t n, uint32_t start, const char* type) {
  if (n <= wc_mp_remaining(r)) return true;
  r->pos = start;
  wc__mp_fail_begin(r);
  wc__mp_err_c(r, type);
  wc__mp_err_c(r, " at offset ");
  wc__mp_err_u(r, start);
  wc__mp_err_c(r, " declares ");
  wc__mp_err_u(r, n);
  wc__mp_err_c(r, " bytes, only ");
  wc__mp_err_u(r, wc_mp_remaining(r));
  wc__mp_err_c(r, " left");
  return false;
}

// A str, as a view into the input (no copy).
WC__OUTLINE bool wc_mp_read_str(wc_mp_reader* r, wc_str* out) {
  if (r->failed) return false;
  if (wc_mp_at_end(r)) return wc__mp_expected(r, "str");
  uint32_t start = r->pos;
  uint8_t m = r->data[r->pos];
  uint64_t n = 0;
  if (m >= 0xa0 && m <= 0xbf) {
    ++r->pos;
    n = m & 0x1f;
  } else if (m >= 0xd9 && m <= 0xdb) {
    ++r->pos;
    if (!wc__mp_read_be(r, 1u << (m - 0xd9), &n)) return false;
  } else {
    return wc__mp_expected(r, "str");
  }
  if (!wc__mp_sized(r, (uint32_t)n, start, "str")) return false;
  *out = wc_str_of((const char*)r->data + r->pos, (uint32_t)n);
  r->pos += (uint32_t)n;
  return true;
}

static inline bool wc_mp_read_map(wc_mp_reader* r, uint32_t* out);
static inline bool wc_mp_read_array(wc_mp_reader* r, uint32_t* out);

// bin8/16/32 as a view into the input, or an array of integers 0..255 (what serde_bytes
// also accepts), copied into the arena.
WC__OUTLINE bool wc_mp_read_bin(wc_mp_reader* r, wc_bytes* out) {
  if (r->failed) return false;
  if (wc_mp_at_end(r)) return wc__mp_expected(r, "bin");
  uint32_t start = r->pos;
  uint8_t m = r->data[r->pos];
  if (m >= 0xc4 && m <= 0xc6) {
    ++r->pos;
    uint64_t n = 0;
    if (!wc__mp_read_be(r, 1u << (m - 0xc4), &n)) return false;
    if (!wc__mp_sized(r, (uint32_t)n, start, "bin")) return false;
    *out = wc_bytes_of(r->data + r->pos, (uint32_t)n);
    r->pos += (uint32_t)n;
    return true;
  }
  if (!wc_mp_peek_is(r, "array")) return wc__mp_expected(r, "bin");
  uint32_t n = 0;
  if (!wc_mp_read_array(r, &n)) return false;
  uint8_t* bytes = (uint8_t*)wc_alloc(n);  // bounded: n <= bytes left
  if (bytes == NULL && n > 0) {
    wc__mp_fail_begin(r);
    wc__mp_err_c(r, "out of memory");
    return false;
  }
  for (uint32_t i = 0; i < n; ++i) {
    uint64_t v = 0;
    if (!wc_mp_read_uint(r, &v)) return false;
    if (v > 0xff) {
      wc__mp_fail_begin(r);
      wc__mp_err_c(r, "byte array element ");
      wc__mp_err_u(r, v);
      wc__mp_err_c(r, " > 255");
      return false;
    }
    bytes[i] = (uint8_t)v;
  }
  *out = wc_bytes_of(bytes, n);
  return true;
}

// Map and array headers: the count is checked against the bytes left (an entry needs at
// least one byte per key and per value).
WC__OUTLINE bool wc__mp_read_header(wc_mp_reader* r, bool map, uint32_t* out) {
  if (r->failed) return false;
  if (!wc_mp_peek_is(r, map ? "map" : "array")) return wc__mp_expected(r, map ? "map" : "array");
  uint32_t start = r->pos;
  uint8_t m = r->data[r->pos++];
  uint64_t n = 0;
  if ((m & 0xf0) == (map ? 0x80 : 0x90)) {
    n = m & 0x0f;
  } else if (!wc__mp_read_be(r, (m == 0xde || m == 0xdc) ? 2 : 4, &n)) {
    return false;
  }
  if (n * (map ? 2 : 1) > wc_mp_remaining(r)) {
    r->pos = start;
    wc__mp_fail_begin(r);
    wc__mp_err_c(r, map ? "map at offset " : "array at offset ");
    wc__mp_err_u(r, start);
    wc__mp_err_c(r, " declares ");
    wc__mp_err_u(r, n);
    wc__mp_err_c(r, map ? " entries, only " : " elements, only ");
    wc__mp_err_u(r, wc_mp_remaining(r));
    wc__mp_err_c(r, " bytes left");
    return false;
  }
  *out = (uint32_t)n;
  return true;
}
static inline bool wc_mp_read_map(wc_mp_reader* r, uint32_t* out) {
  return wc__mp_read_header(r, true, out);
}
static inline bool wc_mp_read_array(wc_mp_reader* r, uint32_t* out) {
  return wc__mp_read_header(r, false, out);
}

WC__OUTLINE bool wc__mp_skip_bytes(wc_mp_reader* r, uint64_t n) {
  if (n > wc_mp_remaining(r)) {
    wc__mp_fail_begin(r);
    wc__mp_err_c(r, "value at offset ");
    wc__mp_err_u(r, r->pos);
    wc__mp_err_c(r, " needs ");
    wc__mp_err_u(r, n);
    wc__mp_err_c(r, " bytes, only ");
    wc__mp_err_u(r, wc_mp_remaining(r));
    wc__mp_err_c(r, " left");
    return false;
  }
  r->pos += (uint32_t)n;
  return true;
}

static inline bool wc__mp_skip(wc_mp_reader* r, int depth) {
  if (r->failed) return false;
  if (depth > WC_MP_MAX_DEPTH) {
    wc__mp_fail_begin(r);
    wc__mp_err_c(r, "nesting deeper than 64 at offset ");
    wc__mp_err_u(r, r->pos);
    return false;
  }
  if (wc_mp_at_end(r)) return wc__mp_expected(r, "a value");
  uint8_t m = r->data[r->pos];
  if (m <= 0x7f || m >= 0xe0 || m == 0xc0 || m == 0xc2 || m == 0xc3) {
    ++r->pos;
    return true;
  }
  bool map = wc_mp_peek_is(r, "map");
  if (map || wc_mp_peek_is(r, "array")) {
    uint32_t n = 0;
    if (!wc__mp_read_header(r, map, &n)) return false;
    uint64_t items = map ? (uint64_t)n * 2 : n;
    for (uint64_t i = 0; i < items; ++i) {
      if (!wc__mp_skip(r, depth + 1)) return false;
    }
    return true;
  }
  if (m >= 0xa0 && m <= 0xbf) {
    ++r->pos;
    return wc__mp_skip_bytes(r, m & 0x1f);
  }
  uint64_t n = 0;
  switch (m) {
    case 0xc4:
    case 0xc5:
    case 0xc6:  // bin
      ++r->pos;
      return wc__mp_read_be(r, 1u << (m - 0xc4), &n) && wc__mp_skip_bytes(r, n);
    case 0xd9:
    case 0xda:
    case 0xdb:  // str
      ++r->pos;
      return wc__mp_read_be(r, 1u << (m - 0xd9), &n) && wc__mp_skip_bytes(r, n);
    case 0xc7:
    case 0xc8:
    case 0xc9:  // ext8/16/32: length, type byte, data
      ++r->pos;
      return wc__mp_read_be(r, 1u << (m - 0xc7), &n) && wc__mp_skip_bytes(r, n + 1);
    case 0xca:
      ++r->pos;
      return wc__mp_skip_bytes(r, 4);
    case 0xcb:
      ++r->pos;
      return wc__mp_skip_bytes(r, 8);
    case 0xcc:
    case 0xd0:
      ++r->pos;
      return wc__mp_skip_bytes(r, 1);
    case 0xcd:
    case 0xd1:
      ++r->pos;
      return wc__mp_skip_bytes(r, 2);
    case 0xce:
    case 0xd2:
      ++r->pos;
      return wc__mp_skip_bytes(r, 4);
    case 0xcf:
    case 0xd3:
      ++r->pos;
      return wc__mp_skip_bytes(r, 8);
    case 0xd4:
      ++r->pos;
      return wc__mp_skip_bytes(r, 2);  // fixext: type byte + data
    case 0xd5:
      ++r->pos;
      return wc__mp_skip_bytes(r, 3);
    case 0xd6:
      ++r->pos;
      return wc__mp_skip_bytes(r, 5);
    case 0xd7:
      ++r->pos;
      return wc__mp_skip_bytes(r, 9);
    case 0xd8:
      ++r->pos;
      return wc__mp_skip_bytes(r, 17);
    default:
      return wc__mp_expected(r, "a value");  // 0xc1
  }
}

// Skips one whole value of any type.
static inline bool wc_mp_skip(wc_mp_reader* r) { return wc__mp_skip(r, 0); }

// ---- string maps and lists (header maps, lists of keys and values) -------------------

typedef struct wc_str_map {
  uint32_t len;
  wc_str* keys;
  wc_str* values;
} wc_str_map;

typedef struct wc_str_list {
  uint32_t len;
  wc_str* items;
} wc_str_list;

static inline wc_str_map wc_str_map_empty(void) {
  wc_str_map m;
  m.len = 0;
  m.keys = NULL;
  m.values = NULL;
  return m;
}

// The value of `key` (the last one when it repeats, as serde's HashMap keeps), or NULL.
static inline const wc_str* wc_str_map_get(const wc_str_map* m, const char* key) {
  const wc_str* found = NULL;
  for (uint32_t i = 0; i < m->len; ++i) {
    if (wc_str_eq_cstr(m->keys[i], key)) found = &m->values[i];
  }
  return found;
}

// Writes the entries in the order given (the host's codecs sort them; so may you).
static inline void wc_mp_write_str_map(wc_buf* b, const wc_str_map* m) {
  wc_mp_write_map(b, m->len);
  for (uint32_t i = 0; i < m->len; ++i) {
    wc_mp_write_str(b, m->keys[i]);
    wc_mp_write_str(b, m->values[i]);
  }
}

static inline void wc_mp_write_str_list(wc_buf* b, const wc_str_list* l) {
  wc_mp_write_array(b, l->len);
  for (uint32_t i = 0; i < l->len; ++i) wc_mp_write_str(b, l->items[i]);
}

static inline bool wc__mp_oom(wc_mp_reader* r) {
  wc__mp_fail_begin(r);
  wc__mp_err_c(r, "out of memory");
  return false;
}

// Views into the input, arrays in the arena (sized after the count was checked).
WC__OUTLINE bool wc_mp_read_str_map(wc_mp_reader* r, wc_str_map* out) {
  uint32_t n = 0;
  if (!wc_mp_read_map(r, &n)) return false;
  wc_str* keys = (wc_str*)wc_alloc((size_t)n * sizeof(wc_str));
  wc_str* values = (wc_str*)wc_alloc((size_t)n * sizeof(wc_str));
  if (n > 0 && (keys == NULL || values == NULL)) return wc__mp_oom(r);
  for (uint32_t i = 0; i < n; ++i) {
    if (!wc_mp_read_str(r, &keys[i]) || !wc_mp_read_str(r, &values[i])) return false;
  }
  out->len = n;
  out->keys = keys;
  out->values = values;
  return true;
}

static inline bool wc_mp_read_str_list(wc_mp_reader* r, wc_str_list* out) {
  uint32_t n = 0;
  if (!wc_mp_read_array(r, &n)) return false;
  wc_str* items = (wc_str*)wc_alloc((size_t)n * sizeof(wc_str));
  if (n > 0 && items == NULL) return wc__mp_oom(r);
  for (uint32_t i = 0; i < n; ++i) {
    if (!wc_mp_read_str(r, &items[i])) return false;
  }
  out->len = n;
  out->items = items;
  return true;
}

// ---- structs --------------------------------------------------------------------------

typedef enum wc_field_type {
  WC_FIELD_STR,      // wc_str
  WC_FIELD_BIN,      // wc_bytes
  WC_FIELD_BOOL,     // bool
  WC_FIELD_U32,      // uint32_t
  WC_FIELD_U64,      // uint64_t
  WC_FIELD_I32,      // int32_t
  WC_FIELD_I64,      // int64_t
  WC_FIELD_STR_MAP,  // wc_str_map
  WC_FIELD_STR_LIST  // wc_str_list
} wc_field_type;

// One field of a struct to decode: its serde name, type, where to store it, and whether
// a missing field is an error (every 0.18 payload field is, but for
// CapabilityConfiguration.values).
typedef struct wc_field {
  const char* name;
  wc_field_type type;
  void* out;
  bool optional;
  bool seen;
} wc_field;

static inline wc_field wc_field_of(const char* name, wc_field_type type, void* out) {
  wc_field f;
  f.name = name;
  f.type = type;
  f.out = out;
  f.optional = false;
  f.seen = false;
  return f;
}

WC__OUTLINE bool wc__mp_read_field_value(wc_mp_reader* r, wc_field* f) {
  switch (f->type) {
    case WC_FIELD_STR:
      return wc_mp_read_str(r, (wc_str*)f->out);
    case WC_FIELD_BIN:
      return wc_mp_read_bin(r, (wc_bytes*)f->out);
    case WC_FIELD_BOOL:
      return wc_mp_read_bool(r, (bool*)f->out);
    case WC_FIELD_U32:
      return wc_mp_read_u32(r, (uint32_t*)f->out);
    case WC_FIELD_U64:
      return wc_mp_read_uint(r, (uint64_t*)f->out);
    case WC_FIELD_I32:
      return wc_mp_read_i32(r, (int32_t*)f->out);
    case WC_FIELD_I64:
      return wc_mp_read_int(r, (int64_t*)f->out);
    case WC_FIELD_STR_MAP:
      return wc_mp_read_str_map(r, (wc_str_map*)f->out);
    case WC_FIELD_STR_LIST:
      return wc_mp_read_str_list(r, (wc_str_list*)f->out);
  }
  return false;
}

// Prefixes the reader's error with `prefix` (keeps the original when it does not fit).
WC__OUTLINE void wc__mp_err_prefix(wc_mp_reader* r, const char* a, const char* b, const char* c) {
  char old[sizeof r->error];
  uint32_t n = wc_strlen(r->error);
  for (uint32_t i = 0; i <= n; ++i) old[i] = r->error[i];
  r->error[0] = 0;
  wc__mp_err_c(r, a);
  wc__mp_err_c(r, b);
  wc__mp_err_c(r, c);
  wc__mp_err_add(r, old, n);
}

static inline bool wc__mp_read_field(wc_mp_reader* r, wc_field* f) {
  if (f->seen) {
    wc__mp_fail_begin(r);
    wc__mp_err_c(r, "duplicate field `");
    wc__mp_err_c(r, f->name);
    wc__mp_err_c(r, "`");
    return false;
  }
  f->seen = true;
  if (wc__mp_read_field_value(r, f)) return true;
  wc__mp_err_prefix(r, "field `", f->name, "`: ");
  return false;
}

// Decodes a struct the way rmp-serde's default deserializer does: a map keyed by field
// name (a bin key, or the field's index, is accepted too), unknown keys skipped whatever
// their value, a duplicate or a missing required field an error; or an array of the
// fields by position. On error the reader's message starts with "<type>: ".
WC__OUTLINE bool wc_mp_read_struct(wc_mp_reader* r, const char* type, wc_field* fields,
                                   uint32_t count) {
  bool ok = true;
  if (wc_mp_peek_is(r, "array")) {
    uint32_t n = 0;
    ok = wc_mp_read_array(r, &n);
    if (ok && n > count) {
      wc__mp_fail_begin(r);
      wc__mp_err_c(r, "array of ");
      wc__mp_err_u(r, n);
      wc__mp_err_c(r, " elements, the struct has ");
      wc__mp_err_u(r, count);
      wc__mp_err_c(r, " fields");
      ok = false;
    }
    for (uint32_t i = 0; ok && i < n; ++i) ok = wc__mp_read_field(r, &fields[i]);
  } else {
    uint32_t n = 0;
    ok =
        !r->failed && (wc_mp_peek_is(r, "map") ? wc_mp_read_map(r, &n) : wc__mp_expected(r, "map"));
    for (uint32_t i = 0; ok && i < n; ++i) {
      wc_field* field = NULL;
      const char* kind = wc_mp_peek_type(r);
      if (wc_str_eq_cstr(wc_cstr(kind), "str") || wc_str_eq_cstr(wc_cstr(kind), "bin")) {
        wc_str key = wc_str_of("", 0);
        wc_bytes raw = wc_bytes_of(NULL, 0);
        bool is_str = kind[0] == 's';
        ok = is_str ? wc_mp_read_str(r, &key) : wc_mp_read_bin(r, &raw);
        if (!is_str) key = wc_bytes_str(raw);
        for (uint32_t j = 0; ok && j < count; ++j) {
          if (wc_str_eq_cstr(key, fields[j].name)) field = &fields[j];
        }
      } else if (wc_str_eq_cstr(wc_cstr(kind), "int")) {
        uint64_t index = 0;  // serde's derived field identifier also takes the index
        ok = wc_mp_read_uint(r, &index);
        if (ok && index < count) field = &fields[index];
      } else {
        ok = wc_mp_at_end(r) ? wc__mp_expected(r, "a key") : wc__mp_expected(r, "a field name");
      }
      if (ok) ok = field == NULL ? wc_mp_skip(r) : wc__mp_read_field(r, field);
    }
  }
  for (uint32_t i = 0; ok && i < count; ++i) {
    if (!fields[i].optional && !fields[i].seen) {
      wc__mp_fail_begin(r);
      wc__mp_err_c(r, "missing field `");
      wc__mp_err_c(r, fields[i].name);
      wc__mp_err_c(r, "`");
      ok = false;
    }
  }
  if (!ok) wc__mp_err_prefix(r, type, ": ", "");
  return ok;
}

// Decodes `data` as one struct; NULL on success, else the error text in the arena.
static inline const char* wc_mp_decode_struct(wc_bytes data, const char* type, wc_field* fields,
                                              uint32_t count) {
  wc_mp_reader r;
  wc_mp_reader_init(&r, data);
  if (wc_mp_read_struct(&r, type, fields, count)) return NULL;
  uint32_t n = wc_strlen(r.error);
  char* copy = (char*)wc_alloc(n + 1);
  if (copy == NULL) return "out of memory";
  for (uint32_t i = 0; i <= n; ++i) copy[i] = r.error[i];
  return copy;
}

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // WASMCLOUD_ACTOR_MSGPACK_H_
