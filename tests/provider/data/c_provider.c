/* A provider in plain C, without the SDK: checks the ABI's memory rules from the
 * provider's side. Contract "test:c". Counters are exported for the test to read. */
#include <stdlib.h>
#include <string.h>
#include <wasmcloud/provider.h>

WC_PROVIDER_EXPORT int wc_test_c_live_instances = 0;
WC_PROVIDER_EXPORT int wc_test_c_released = 0; /* our buffers the host released */

typedef struct instance {
  const wc_host_api* host;
} instance;

static void release_malloced(wc_buffer* b) {
  free(b->data);
  b->data = NULL;
  b->len = 0;
  ++wc_test_c_released;
}

/* Fills `out` with a malloc'ed copy of prefix + data. */
static void fill(wc_buffer* out, const char* prefix, const uint8_t* data, size_t len) {
  size_t plen = strlen(prefix);
  out->data = malloc(plen + len + 1);
  memcpy(out->data, prefix, plen);
  if (len != 0) memcpy(out->data + plen, data, len);
  out->len = plen + len;
  out->release = release_malloced;
  out->opaque = NULL;
}

static int is_zeroed(const wc_buffer* b) {
  return b->data == NULL && b->len == 0 && b->release == NULL && b->opaque == NULL;
}

static void describe(void* self, wc_provider_descriptor* out) {
  (void)self;
  out->contract_id = "test:c";
  out->name = "C provider";
  out->version = "1";
}

/* Succeeds but leaves a message: the host must release it all the same. */
static int bind_actor(void* self, const char* actor, const wc_link_value* values, size_t count,
                      wc_buffer* error) {
  (void)self;
  (void)actor;
  (void)values;
  (void)count;
  fill(error, "unused", NULL, 0);
  return WC_OK;
}

static int remove_actor(void* self, const char* actor, wc_buffer* error) {
  (void)self;
  (void)actor;
  (void)error;
  return WC_OK;
}

static int handle_call(void* self, const char* actor, const char* operation, const uint8_t* payload,
                       size_t payload_len, wc_buffer* response) {
  instance* inst = (instance*)self;
  if (!is_zeroed(response)) return WC_ERROR; /* no message: the test sees the default */
  if (strcmp(operation, "Echo") == 0) {
    fill(response, "", payload, payload_len);
    return WC_OK;
  }
  if (strcmp(operation, "Call") == 0) {
    wc_buffer reply = {NULL, 0, NULL, NULL};
    int rc =
        inst->host->call_actor(inst->host->host_ctx, actor, "FromC", payload, payload_len, &reply);
    fill(response,
         rc == WC_OK                  ? "host said: "
         : rc == WC_ERROR_DEADLINE    ? "host error (deadline): "
         : rc == WC_ERROR_UNAVAILABLE ? "host error (unavailable): "
                                      : "host error: ",
         reply.data, reply.len);
    if (reply.release != NULL) reply.release(&reply);
    return rc;
  }
  if (strcmp(operation, "Log") == 0) {
    inst->host->log(inst->host->host_ctx, WC_LOG_ERROR, "from C");
    inst->host->log(inst->host->host_ctx, (wc_log_level)42, "odd level");
    return WC_OK;
  }
  if (strcmp(operation, "FailSilently") == 0) return WC_ERROR;
  fill(response, "no operation ", (const uint8_t*)operation, strlen(operation));
  return WC_ERROR;
}

static int health(void* self, wc_buffer* message) {
  (void)self;
  (void)message;
  return WC_OK;
}

static void stop(void* self) { (void)self; }

static void destroy(void* self) {
  free(self);
  --wc_test_c_live_instances;
}

static const wc_provider_vtable kVtable = {
    WASMCLOUD_PROVIDER_ABI_VERSION,
    sizeof(wc_provider_vtable),
    describe,
    bind_actor,
    remove_actor,
    handle_call,
    health,
    stop,
    destroy,
};

WC_PROVIDER_EXPORT uint32_t wasmcloud_provider_abi_version(void) {
  return WASMCLOUD_PROVIDER_ABI_VERSION;
}

WC_PROVIDER_EXPORT int wasmcloud_provider_create(const wc_host_api* host, wc_provider* out,
                                                 wc_buffer* error) {
  if (host->abi_version != WASMCLOUD_PROVIDER_ABI_VERSION ||
      host->struct_size < sizeof(wc_host_api) || !is_zeroed(error)) {
    return WC_ERROR;
  }
  instance* inst = malloc(sizeof(instance));
  inst->host = host;
  out->instance = inst;
  out->vtable = &kVtable;
  ++wc_test_c_live_instances;
  return WC_OK;
}
