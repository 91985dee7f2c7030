#include "messaging/dispatch.h"

#include <array>

#include "wire/messaging.h"

namespace wasmcloud::messaging {
namespace {

constexpr std::array<std::string_view, 2> kOperations = {"Publish", "Request"};

Status MalformedPayload(std::string_view operation, const Status& s) {
  return Malformed(std::string(operation) + ": malformed payload: " + s.message());
}

}  // namespace

std::span<const std::string_view> MessagingOperations() { return kOperations; }

Result<Bytes> HandleMessagingCall(NatsLink& link, std::string_view operation, ByteView payload) {
  if (operation == "Publish") {
    auto args = wire::DecodePublishArgs(payload);
    if (!args.ok()) return MalformedPayload(operation, args.status());
    WC_RETURN_IF_ERROR(link.Publish(args->subject, args->reply_to, args->body));
    return wire::Encode(wire::PublishResponse{true});
  }
  if (operation == "Request") {
    auto args = wire::DecodeRequestArgs(payload);
    if (!args.ok()) return MalformedPayload(operation, args.status());
    WC_ASSIGN_OR_RETURN(wire::BrokerMessage reply,
                        link.Request(args->subject, args->body, args->timeout));
    return wire::Encode(reply);
  }
  return Unimplemented("wasmcloud:messaging has no operation \"" + std::string(operation) + "\"");
}

}  // namespace wasmcloud::messaging
