#include "wire/extras.h"

namespace wasmcloud::wire {

Bytes Encode(const GeneratorRequest& v) {
  Writer w;
  w.MapHeader(5);
  w.Str("guid");
  w.Bool(v.guid);
  w.Str("sequence");
  w.Bool(v.sequence);
  w.Str("random");
  w.Bool(v.random);
  w.Str("min");
  w.Uint(v.min);
  w.Str("max");
  w.Uint(v.max);
  return w.Take();
}

Bytes Encode(const GeneratorResult& v) {
  Writer w;
  w.MapHeader(3);
  w.Str("guid");
  w.OptStr(v.guid);
  w.Str("sequenceNumber");
  w.Uint(v.sequence_number);
  w.Str("random_number");
  w.Uint(v.random_number);
  return w.Take();
}

Result<GeneratorRequest> DecodeGeneratorRequest(ByteView data) {
  GeneratorRequest v;
  StructReader s("GeneratorRequest");
  s.Bool("guid", &v.guid);
  s.Bool("sequence", &v.sequence);
  s.Bool("random", &v.random);
  s.U32("min", &v.min);
  s.U32("max", &v.max);
  WC_RETURN_IF_ERROR(s.Decode(data));
  return v;
}

Result<GeneratorResult> DecodeGeneratorResult(ByteView data) {
  GeneratorResult v;
  StructReader s("GeneratorResult");
  s.OptStr("guid", &v.guid, /*required=*/false);  // serde: a missing Option is None
  s.U64("sequenceNumber", &v.sequence_number);
  s.U32("random_number", &v.random_number);
  WC_RETURN_IF_ERROR(s.Decode(data));
  return v;
}

}  // namespace wasmcloud::wire
