/* The capability provider of fuzz_provider_abi: a library built against the C ABI
 * (include/wasmcloud/provider.h) that does nothing itself. It lets the fuzzer reach the
 * wc_host_api the host gave its last instance (fuzz_abi_provider_last_api), through which
 * the fuzzer calls the host as a provider would, and choose what the next instance's
 * describe answers (fuzz_abi_provider_describe_as). */
#include <stdlib.h>
#include <string.h>
#include <wasmcloud/provider.h>

typedef struct instance {
  const wc_host_api* host;
  wc_provider_descriptor descriptor; /* copies, freed by destroy (NULL stays NULL) */
} instance;

static const wc_host_api* g_last_api;
static const char* g_contract_id = "wasmcloud:fuzz";
static const char* g_name = "fuzz provider";
static const char* g_version = "0.1";

static char* copy(const char* s) {
  if (s == NULL) return NULL;
  size_t n = strlen(s) + 1;
  char* out = malloc(n);
  if (out != NULL) memcpy(out, s, n);
  return out;
}

static void describe(void* self, wc_provider_descriptor* out) {
  *out = ((instance*)self)->descriptor;
}

static int bind_actor(void* self, const char* actor, const wc_link_value* values, size_t count,
                      wc_buffer* error) {
  (void)self, (void)actor, (void)values, (void)count, (void)error;
  return WC_OK;
}

static int remove_actor(void* self, const char* actor, wc_buffer* error) {
  (void)self, (void)actor, (void)error;
  return WC_OK;
}

static int handle_call(void* self, const char* actor, const char* operation, const uint8_t* payload,
                       size_t payload_len, wc_buffer* response) {
  (void)self, (void)actor, (void)operation, (void)payload, (void)payload_len, (void)response;
  return WC_OK; /* an empty reply */
}

static int health(void* self, wc_buffer* message) {
  (void)self, (void)message;
  return WC_OK;
}

static void stop(void* self) { (void)self; }

static void destroy(void* self) {
  instance* p = self;
  free((char*)p->descriptor.contract_id);
  free((char*)p->descriptor.name);
  free((char*)p->descriptor.version);
  free(p);
}

static const wc_provider_vtable kVtable = {WASMCLOUD_PROVIDER_ABI_VERSION,
                                           sizeof(wc_provider_vtable),
                                           describe,
                                           bind_actor,
                                           remove_actor,
                                           handle_call,
                                           health,
                                           stop,
                                           destroy};

WC_PROVIDER_EXPORT uint32_t wasmcloud_provider_abi_version(void) {
  return WASMCLOUD_PROVIDER_ABI_VERSION;
}

WC_PROVIDER_EXPORT int wasmcloud_provider_create(const wc_host_api* host, wc_provider* out,
                                                 wc_buffer* error) {
  (void)error;
  instance* self = calloc(1, sizeof *self);
  if (self == NULL) return WC_ERROR;
  self->host = host;
  self->descriptor.contract_id = copy(g_contract_id);
  self->descriptor.name = copy(g_name);
  self->descriptor.version = copy(g_version);
  g_last_api = host;
  out->instance = self;
  out->vtable = &kVtable;
  return WC_OK;
}

/* The wc_host_api of the instance created last. */
WC_PROVIDER_EXPORT const wc_host_api* fuzz_abi_provider_last_api(void) { return g_last_api; }

/* What the next instances' describe answers (each may be NULL); the strings must live
 * until the next wasmcloud_provider_create has copied them. */
WC_PROVIDER_EXPORT void fuzz_abi_provider_describe_as(const char* contract_id, const char* name,
                                                      const char* version) {
  g_contract_id = contract_id;
  g_name = name;
  g_version = version;
}
