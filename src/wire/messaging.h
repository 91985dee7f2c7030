// wasmcloud:messaging payloads (spec §4.5) and wasmcloud:logging WriteLog (§4.1).
#pragma once

#include <cstdint>
#include <string>

#include "core/bytes.h"
#include "core/status.h"

namespace wasmcloud::wire {

// Op "Publish": {subject, replyTo, body: bin}
struct PublishArgs {
  std::string subject;
  std::string reply_to;
  Bytes body;
  bool operator==(const PublishArgs&) const = default;
};

// Reply to "Publish": {published: bool}
struct PublishResponse {
  bool published = false;
  bool operator==(const PublishResponse&) const = default;
};

// Op "Request": {subject, body: bin, timeout: i64}
struct RequestArgs {
  std::string subject;
  Bytes body;
  int64_t timeout = 0;
  bool operator==(const RequestArgs&) const = default;
};

// Reply to "Request", and the payload of the actor op "HandleMessage":
// {subject, replyTo, body: bin}
struct BrokerMessage {
  std::string subject;
  std::string reply_to;
  Bytes body;
  bool operator==(const BrokerMessage&) const = default;
};

// wasmcloud:logging op "WriteLog": {target, level, text}; level is one of
// error|warn|info|debug|trace (not checked here).
struct WriteLog {
  std::string target;
  std::string level;
  std::string text;
  bool operator==(const WriteLog&) const = default;
};

Bytes Encode(const PublishArgs& v);
Bytes Encode(const PublishResponse& v);
Bytes Encode(const RequestArgs& v);
Bytes Encode(const BrokerMessage& v);
Bytes Encode(const WriteLog& v);

Result<PublishArgs> DecodePublishArgs(ByteView data);
Result<PublishResponse> DecodePublishResponse(ByteView data);
Result<RequestArgs> DecodeRequestArgs(ByteView data);
Result<BrokerMessage> DecodeBrokerMessage(ByteView data);
Result<WriteLog> DecodeWriteLog(ByteView data);

}  // namespace wasmcloud::wire
