// libnats is a shared library of its own, loaded with the provider's .so as its
// dependency. It runs global threads (timers, garbage collection, each connection's
// reader, flusher and reconnect threads, which may outlive natsConnection_Destroy for a
// moment) and keeps thread-local data whose destructor lives in libnats. If the host's
// dlclose of the provider took libnats with it, those threads and destructors would run
// unmapped code. So the provider pins libnats in the process (RTLD_NODELETE) and never
// tears it down with nats_Close / nats_CloseAndWait: that would close the library for
// every other user in the process (another provider instance, the host's own NATS
// client, a test's client), and nats_CloseAndWait would wait for their objects.
// A later load of the provider finds libnats as it was left, already initialised.
#pragma once

#include "core/status.h"

namespace wasmcloud::messaging {

// Makes the libnats this library is linked to stay loaded until the process exits.
// Idempotent and cheap after the first call. kInternal when libnats cannot be found.
Status PinNatsLibrary();

// Path of the loaded libnats (e.g. /usr/lib/x86_64-linux-gnu/libnats.so.3.4), "" if
// unknown.
std::string NatsLibraryPath();

}  // namespace wasmcloud::messaging
