// The wasmcloud:messaging contract on the wire (spec §4.5, codecs in wire/messaging.h):
// decodes an actor's call, runs it on the actor's NatsLink, encodes the reply.
#pragma once

#include <span>
#include <string_view>

#include "core/bytes.h"
#include "core/status.h"
#include "messaging/nats_link.h"

namespace wasmcloud::messaging {

// Runs `operation` with its msgpack `payload` on `link`:
//   Publish {subject, replyTo, body}        -> {published: true}
//   Request {subject, body, timeout (ms)}   -> BrokerMessage {subject, replyTo, body} of the reply
// Errors (their message is what the actor receives):
//   kMalformed      "Publish: malformed payload: <what and where>"
//   kUnimplemented  "wasmcloud:messaging has no operation \"Foo\""
//   others          NatsLink's (a bad subject, a timeout, no responders, not connected)
Result<Bytes> HandleMessagingCall(NatsLink& link, std::string_view operation, ByteView payload);

// The operations an actor may call (HealthRequest, from the host, is the provider's).
std::span<const std::string_view> MessagingOperations();

// The operation the provider calls on actors for each message: a BrokerMessage payload,
// the reply ignored.
inline constexpr char kHandleMessage[] = "HandleMessage";

}  // namespace wasmcloud::messaging
