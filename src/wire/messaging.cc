#include "wire/messaging.h"

#include "wire/msgpack.h"

namespace wasmcloud::wire {

Bytes Encode(const PublishArgs& v) {
  Writer w;
  w.MapHeader(3);
  w.Str("subject");
  w.Str(v.subject);
  w.Str("replyTo");
  w.Str(v.reply_to);
  w.Str("body");
  w.Bin(v.body);
  return w.Take();
}

Bytes Encode(const PublishResponse& v) {
  Writer w;
  w.MapHeader(1);
  w.Str("published");
  w.Bool(v.published);
  return w.Take();
}

Bytes Encode(const RequestArgs& v) {
  Writer w;
  w.MapHeader(3);
  w.Str("subject");
  w.Str(v.subject);
  w.Str("body");
  w.Bin(v.body);
  w.Str("timeout");
  w.Int(v.timeout);
  return w.Take();
}

Bytes Encode(const BrokerMessage& v) {
  Writer w;
  w.MapHeader(3);
  w.Str("subject");
  w.Str(v.subject);
  w.Str("replyTo");
  w.Str(v.reply_to);
  w.Str("body");
  w.Bin(v.body);
  return w.Take();
}

Bytes Encode(const WriteLog& v) {
  Writer w;
  w.MapHeader(3);
  w.Str("target");
  w.Str(v.target);
  w.Str("level");
  w.Str(v.level);
  w.Str("text");
  w.Str(v.text);
  return w.Take();
}

Result<PublishArgs> DecodePublishArgs(ByteView data) {
  PublishArgs v;
  StructReader s("PublishArgs");
  s.Str("subject", &v.subject);
  s.Str("replyTo", &v.reply_to);
  s.Bin("body", &v.body);
  WC_RETURN_IF_ERROR(s.Decode(data));
  return v;
}

Result<PublishResponse> DecodePublishResponse(ByteView data) {
  PublishResponse v;
  StructReader s("PublishResponse");
  s.Bool("published", &v.published);
  WC_RETURN_IF_ERROR(s.Decode(data));
  return v;
}

Result<RequestArgs> DecodeRequestArgs(ByteView data) {
  RequestArgs v;
  StructReader s("RequestArgs");
  s.Str("subject", &v.subject);
  s.Bin("body", &v.body);
  s.I64("timeout", &v.timeout);
  WC_RETURN_IF_ERROR(s.Decode(data));
  return v;
}

Result<BrokerMessage> DecodeBrokerMessage(ByteView data) {
  BrokerMessage v;
  StructReader s("BrokerMessage");
  s.Str("subject", &v.subject);
  s.Str("replyTo", &v.reply_to);
  s.Bin("body", &v.body);
  WC_RETURN_IF_ERROR(s.Decode(data));
  return v;
}

Result<WriteLog> DecodeWriteLog(ByteView data) {
  WriteLog v;
  StructReader s("WriteLog");
  s.Str("target", &v.target);
  s.Str("level", &v.level);
  s.Str("text", &v.text);
  WC_RETURN_IF_ERROR(s.Decode(data));
  return v;
}

}  // namespace wasmcloud::wire
