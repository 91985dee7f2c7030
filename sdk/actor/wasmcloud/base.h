// Actor SDK basics: byte and string views, the arena allocator, a growable buffer and
// the result type handlers return. Plain C99 with no libc; also compiles as C++ and
// natively (the SDK's own tests do that). See docs/actors.md.
//
// Memory: one bump arena. In wasm it starts at __heap_base and grows the linear memory
// with memory.grow; natively it lives in a static buffer of WC_NATIVE_HEAP_SIZE bytes.
// Nothing is freed one by one: what is allocated before the first guest call (in
// wapc_init) lives as long as the instance, and everything a guest call allocates is
// released when the next guest call begins (the host copies a reply at once, and does
// not re-enter an actor). Allocation failure returns NULL; the helpers turn it into an
// "out of memory" error, never a trap.
#ifndef WASMCLOUD_ACTOR_BASE_H_
#define WASMCLOUD_ACTOR_BASE_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// One definition shared by every translation unit that includes the SDK (the linker
// keeps one copy), hidden so that wasm-ld --export-dynamic does not export it.
#define WC_SHARED __attribute__((weak, visibility("hidden")))

// A view of bytes or of a string; never owns, never NUL-terminated.
typedef struct wc_bytes {
  const uint8_t* ptr;
  uint32_t len;
} wc_bytes;

typedef struct wc_str {
  const char* ptr;
  uint32_t len;
} wc_str;

static inline wc_bytes wc_bytes_of(const void* ptr, uint32_t len) {
  wc_bytes b;
  b.ptr = (const uint8_t*)ptr;
  b.len = len;
  return b;
}

static inline wc_str wc_str_of(const char* ptr, uint32_t len) {
  wc_str s;
  s.ptr = ptr;
  s.len = len;
  return s;
}

static inline uint32_t wc_strlen(const char* s) {
  uint32_t n = 0;
  while (s[n] != 0) ++n;
  return n;
}

// A NUL-terminated string as a view.
static inline wc_str wc_cstr(const char* s) { return wc_str_of(s, wc_strlen(s)); }
// A string literal as a view, without scanning it: WC_LIT("OK").
#define WC_LIT(literal) wc_str_of("" literal, (uint32_t)(sizeof(literal) - 1))

static inline wc_bytes wc_str_bytes(wc_str s) { return wc_bytes_of(s.ptr, s.len); }
static inline wc_str wc_bytes_str(wc_bytes b) { return wc_str_of((const char*)b.ptr, b.len); }

static inline bool wc_mem_eq(const void* a, const void* b, uint32_t n) {
  const uint8_t* x = (const uint8_t*)a;
  const uint8_t* y = (const uint8_t*)b;
  for (uint32_t i = 0; i < n; ++i) {
    if (x[i] != y[i]) return false;
  }
  return true;
}

static inline bool wc_str_eq(wc_str a, wc_str b) {
  return a.len == b.len && wc_mem_eq(a.ptr, b.ptr, a.len);
}
static inline bool wc_str_eq_cstr(wc_str a, const char* b) { return wc_str_eq(a, wc_cstr(b)); }
static inline bool wc_str_starts_with(wc_str s, wc_str prefix) {
  return s.len >= prefix.len && wc_mem_eq(s.ptr, prefix.ptr, prefix.len);
}

// ---- the arena ------------------------------------------------------------------------

typedef struct wc_arena {
  uint64_t start;  // first usable address (0: not set up yet)
  uint64_t floor;  // where every guest call starts allocating
  uint64_t top;    // next free byte
  uint64_t end;    // end of the memory the arena may use without growing
  bool sealed;     // the first guest call has fixed `floor`
} wc_arena;

WC_SHARED wc_arena wc__arena;

#if defined(__wasm__)
extern unsigned char __heap_base;

static inline void wc__arena_setup(void) {
  wc__arena.start = ((uint64_t)(uintptr_t)&__heap_base + 7u) & ~(uint64_t)7u;
  wc__arena.floor = wc__arena.top = wc__arena.start;
  wc__arena.end = (uint64_t)__builtin_wasm_memory_size(0) * 65536u;
}

// Makes [.., need) usable; false when the engine refuses to grow the memory.
static inline bool wc__arena_grow_to(uint64_t need) {
  if (need > 0xffffffffull) return false;
  uint64_t have = (uint64_t)__builtin_wasm_memory_size(0) * 65536u;
  if (need > have) {
    uint64_t pages = (need - have + 65535u) / 65536u;
    if (__builtin_wasm_memory_grow(0, (size_t)pages) == (size_t)-1) return false;
    have = (uint64_t)__builtin_wasm_memory_size(0) * 65536u;
  }
  wc__arena.end = have;
  return need <= have;
}
#else
#ifndef WC_NATIVE_HEAP_SIZE
#define WC_NATIVE_HEAP_SIZE (64u << 20)
#endif
WC_SHARED unsigned char wc__native_heap[WC_NATIVE_HEAP_SIZE] __attribute__((aligned(16)));

static inline void wc__arena_setup(void) {
  wc__arena.start = (uint64_t)(uintptr_t)wc__native_heap;
  wc__arena.floor = wc__arena.top = wc__arena.start;
  wc__arena.end = wc__arena.start + WC_NATIVE_HEAP_SIZE;
}

static inline bool wc__arena_grow_to(uint64_t need) { return need <= wc__arena.end; }
#endif

// `n` bytes aligned to 8, or NULL when memory cannot grow that far.
static inline void* wc_alloc(size_t n) {
  if (wc__arena.start == 0) wc__arena_setup();
  uint64_t begin = (wc__arena.top + 7u) & ~(uint64_t)7u;
  uint64_t end = begin + (uint64_t)n;
  if ((uint64_t)n > 0xffffffffull || (end > wc__arena.end && !wc__arena_grow_to(end))) {
    return NULL;
  }
  wc__arena.top = end;
  return (void*)(uintptr_t)begin;
}

// Resizes the block `p` of `old_len` bytes to `new_len`: in place when it is the last
// block, else by copying. NULL (and `p` untouched) when memory cannot grow.
static inline void* wc_realloc(void* p, size_t old_len, size_t new_len) {
  if (p != NULL && (uint64_t)(uintptr_t)p + old_len == wc__arena.top) {
    uint64_t end = (uint64_t)(uintptr_t)p + (uint64_t)new_len;
    if ((uint64_t)new_len > 0xffffffffull || (end > wc__arena.end && !wc__arena_grow_to(end))) {
      return NULL;
    }
    wc__arena.top = end;
    return p;
  }
  void* q = wc_alloc(new_len);
  if (q != NULL && p != NULL) __builtin_memcpy(q, p, old_len < new_len ? old_len : new_len);
  return q;
}

// Releases everything allocated since the floor (the SDK does this at each guest call).
static inline void wc_arena_reset(void) {
  if (wc__arena.start == 0) wc__arena_setup();
  wc__arena.top = wc__arena.floor;
}

// At each guest call: the first one keeps what wapc_init allocated (the floor moves up
// to it), every call then starts from the floor.
static inline void wc__arena_begin_call(void) {
  if (wc__arena.start == 0) wc__arena_setup();
  if (!wc__arena.sealed) {
    wc__arena.floor = wc__arena.top;
    wc__arena.sealed = true;
  }
  wc__arena.top = wc__arena.floor;
}

// Bytes in use above the start of the arena (for tests and curiosity).
static inline uint64_t wc_arena_used(void) {
  return wc__arena.start == 0 ? 0 : wc__arena.top - wc__arena.start;
}

// ---- a growable byte buffer ----------------------------------------------------------

// Appends never fail loudly: when memory runs out `failed` is set and later appends do
// nothing, so a whole message can be built and checked once.
typedef struct wc_buf {
  uint8_t* ptr;
  uint32_t len;
  uint32_t cap;
  bool failed;
} wc_buf;

static inline wc_buf wc_buf_new(void) {
  wc_buf b;
  b.ptr = NULL;
  b.len = 0;
  b.cap = 0;
  b.failed = false;
  return b;
}

// Room for `extra` more bytes; false (and `failed`) when there is none.
static inline bool wc_buf_reserve(wc_buf* b, uint32_t extra) {
  if (b->failed) return false;
  if (extra <= b->cap - b->len) return true;
  uint64_t need = (uint64_t)b->len + extra;
  uint64_t cap = b->cap < 64 ? 64 : b->cap;
  while (cap < need) cap *= 2;
  if (cap > 0xffffffffull) cap = need;
  if (need > 0xffffffffull) {
    b->failed = true;
    return false;
  }
  void* p = wc_realloc(b->ptr, b->cap, (size_t)cap);
  if (p == NULL) {
    b->failed = true;
    return false;
  }
  b->ptr = (uint8_t*)p;
  b->cap = (uint32_t)cap;
  return true;
}

static inline void wc_buf_append(wc_buf* b, const void* data, uint32_t n) {
  if (n == 0 || !wc_buf_reserve(b, n)) return;
  __builtin_memcpy(b->ptr + b->len, data, n);
  b->len += n;
}
static inline void wc_buf_push(wc_buf* b, uint8_t byte) { wc_buf_append(b, &byte, 1); }
static inline void wc_buf_append_str(wc_buf* b, wc_str s) { wc_buf_append(b, s.ptr, s.len); }
static inline void wc_buf_append_cstr(wc_buf* b, const char* s) {
  wc_buf_append(b, s, wc_strlen(s));
}
static inline void wc_buf_append_bytes(wc_buf* b, wc_bytes s) { wc_buf_append(b, s.ptr, s.len); }

// Decimal text of a number.
static inline void wc_buf_append_uint(wc_buf* b, uint64_t v) {
  char digits[20];
  uint32_t n = 0;
  do {
    digits[sizeof digits - 1 - n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  wc_buf_append(b, digits + sizeof digits - n, n);
}
static inline void wc_buf_append_int(wc_buf* b, int64_t v) {
  if (v < 0) {
    wc_buf_push(b, '-');
    wc_buf_append_uint(b, (uint64_t)0 - (uint64_t)v);
  } else {
    wc_buf_append_uint(b, (uint64_t)v);
  }
}

static inline wc_bytes wc_buf_bytes(const wc_buf* b) { return wc_bytes_of(b->ptr, b->len); }
static inline wc_str wc_buf_str(const wc_buf* b) { return wc_str_of((const char*)b->ptr, b->len); }

// ---- results --------------------------------------------------------------------------

// What a handler returns, and what host calls return: `ok` with `value`, or an error
// text. The SDK hands `value` to the host as the reply, or `error` as the guest error
// (prefixed "Guest call failed: " as the Rust guest SDK does).
typedef struct wc_result {
  bool ok;
  wc_bytes value;
  wc_str error;
} wc_result;

static inline wc_result wc_ok(wc_bytes value) {
  wc_result r;
  r.ok = true;
  r.value = value;
  r.error = wc_str_of("", 0);
  return r;
}

static inline wc_result wc_err_str(wc_str message) {
  wc_result r;
  r.ok = false;
  r.value = wc_bytes_of(NULL, 0);
  r.error = message;
  return r;
}
static inline wc_result wc_err(const char* message) { return wc_err_str(wc_cstr(message)); }

// The buffer as a reply, or "out of memory" when building it failed.
static inline wc_result wc_ok_buf(const wc_buf* b) {
  return b->failed ? wc_err("out of memory") : wc_ok(wc_buf_bytes(b));
}

// "<prefix><detail>" as an error (the prefix alone when there is no memory left).
static inline wc_result wc_err_cat(const char* prefix, wc_str detail) {
  wc_buf b = wc_buf_new();
  wc_buf_append_cstr(&b, prefix);
  wc_buf_append_str(&b, detail);
  return b.failed ? wc_err(prefix) : wc_err_str(wc_buf_str(&b));
}

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // WASMCLOUD_ACTOR_BASE_H_
