// A waPC guest for tests and benchmarks: one operation per behaviour a host must
// handle, including the abusive ones (traps, endless loops, pointers outside memory).
#include <stdint.h>

#define WAPC_IMPORT(name) __attribute__((import_module("wapc"), import_name(#name)))
WAPC_IMPORT(__guest_request) void guest_request(uint8_t* op, uint8_t* payload);
WAPC_IMPORT(__guest_response) void guest_response(const uint8_t* ptr, uint32_t len);
WAPC_IMPORT(__guest_error) void guest_error(const uint8_t* ptr, uint32_t len);
WAPC_IMPORT(__host_call)
uint32_t host_call(const uint8_t* bd, uint32_t bd_len, const uint8_t* ns, uint32_t ns_len,
                   const uint8_t* op, uint32_t op_len, const uint8_t* ptr, uint32_t len);
WAPC_IMPORT(__host_response_len) uint32_t host_response_len(void);
WAPC_IMPORT(__host_response) void host_response(uint8_t* ptr);
WAPC_IMPORT(__host_error_len) uint32_t host_error_len(void);
WAPC_IMPORT(__host_error) void host_error(uint8_t* ptr);
WAPC_IMPORT(__console_log) void console_log(const uint8_t* ptr, uint32_t len);

// No libc: the few memory functions the compiler may call.
void* memcpy(void* dst, const void* src, unsigned long n) {
  uint8_t* d = dst;
  const uint8_t* s = src;
  while (n--) *d++ = *s++;
  return dst;
}
int memcmp(const void* a, const void* b, unsigned long n) {
  const uint8_t* x = a;
  const uint8_t* y = b;
  for (; n; --n, ++x, ++y) {
    if (*x != *y) return *x - *y;
  }
  return 0;
}

extern unsigned char __heap_base;
static uint8_t* top;
static int initialized;
static volatile uint32_t sink;

static uint8_t* take(uint32_t n) {
  uint8_t* p = top;
  uintptr_t end = (uintptr_t)p + n;
  uintptr_t have = __builtin_wasm_memory_size(0) * 65536u;
  if (end > have) {
    uintptr_t pages = (end - have + 65535u) / 65536u;
    if (__builtin_wasm_memory_grow(0, pages) == (uintptr_t)-1) __builtin_trap();
  }
  top = (uint8_t*)((end + 7u) & ~(uintptr_t)7u);
  return p;
}

static uint32_t length(const char* s) {
  uint32_t n = 0;
  while (s[n]) ++n;
  return n;
}

static int equals(const uint8_t* a, uint32_t n, const char* b) {
  return n == length(b) && __builtin_memcmp(a, b, n) == 0;
}

static int32_t fail2(const char* prefix, const uint8_t* more, uint32_t more_len) {
  uint32_t n = length(prefix);
  uint8_t* msg = take(n + more_len);
  __builtin_memcpy(msg, prefix, n);
  __builtin_memcpy(msg + n, more, more_len);
  guest_error(msg, n + more_len);
  return 0;
}

static uint32_t recurse(uint32_t n) { return n == 0 ? 0 : 1 + recurse(n + 1) + sink; }

static uint32_t parse_u32(const uint8_t* p, uint32_t n) {
  uint32_t v = 0;
  for (uint32_t i = 0; i < n; ++i) v = v * 10 + (uint32_t)(p[i] - '0');
  return v;
}

__attribute__((export_name("wapc_init"))) void wapc_init(void) { initialized = 1; }

__attribute__((export_name("noop"))) void noop(void) {}

__attribute__((export_name("__guest_call"))) int32_t guest_call(uint32_t op_len, uint32_t len) {
  top = &__heap_base;
  uint8_t* op = take(op_len);
  uint8_t* msg = take(len);
  guest_request(op, msg);

  if (equals(op, op_len, "echo")) {
    guest_response(msg, len);
    return 1;
  }
  if (equals(op, op_len, "initialized")) {
    guest_response((const uint8_t*)(initialized ? "yes" : "no"), initialized ? 3 : 2);
    return 1;
  }
  if (equals(op, op_len, "fail")) return fail2("the guest says no: ", msg, len);
  if (equals(op, op_len, "trap")) __builtin_trap();
  if (equals(op, op_len, "loop")) {
    for (;;) sink = sink + 1;
  }
  if (equals(op, op_len, "recurse")) {
    sink = recurse(1);
    return 1;
  }
  if (equals(op, op_len, "log")) {
    console_log(msg, len);
    guest_response(msg, 0);
    return 1;
  }
  if (equals(op, op_len, "host")) {
    // payload: "binding|namespace|operation|data"
    const uint8_t* part[4] = {msg, 0, 0, 0};
    uint32_t plen[4] = {0, 0, 0, 0};
    uint32_t k = 0, start = 0;
    for (uint32_t i = 0; i <= len && k < 4; ++i) {
      if (i == len || (msg[i] == '|' && k < 3)) {
        part[k] = msg + start;
        plen[k] = i - start;
        ++k;
        start = i + 1;
      }
    }
    if (host_call(part[0], plen[0], part[1], plen[1], part[2], plen[2], part[3], plen[3])) {
      uint32_t n = host_response_len();
      uint8_t* r = take(n);
      host_response(r);
      guest_response(r, n);
      return 1;
    }
    uint32_t n = host_error_len();
    uint8_t* e = take(n);
    host_error(e);
    return fail2("Host error: ", e, n);
  }
  if (equals(op, op_len, "grow")) {
    uint32_t pages = parse_u32(msg, len);
    uint32_t before = (uint32_t)__builtin_wasm_memory_grow(0, pages);
    if (before == 0xFFFFFFFFu) return fail2("memory.grow refused", msg, 0);
    guest_response(msg, 0);
    return 1;
  }
  if (equals(op, op_len, "bad_response_ptr")) {
    guest_response((const uint8_t*)0xFFFFFFF0u, 100);
    return 1;
  }
  if (equals(op, op_len, "bad_host_call_ptr")) {
    host_call(msg, 0, (const uint8_t*)0x7FFFFFF0u, 64, msg, 0, msg, 0);
    return 1;
  }
  if (equals(op, op_len, "huge_error_len")) {
    guest_error(msg, 0xFFFFFFFFu);
    return 0;
  }
  if (equals(op, op_len, "no_response")) return 1;
  if (equals(op, op_len, "silent_failure")) return 0;
  if (equals(op, op_len, "bad_utf8_host_call")) {
    static const uint8_t bad[2] = {0xC3, 0x28};
    if (host_call(bad, 2, msg, 0, msg, 0, msg, 0)) return 1;
    uint32_t n = host_error_len();
    uint8_t* e = take(n);
    host_error(e);
    return fail2("Host error: ", e, n);
  }
  uint8_t* quoted = take(op_len + 1);
  __builtin_memcpy(quoted, op, op_len);
  quoted[op_len] = '"';
  return fail2("No handler registered for function \"", quoted, op_len + 1);
}
