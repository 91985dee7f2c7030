#include "crypto/crc16.h"

#include <array>

namespace wasmcloud::crypto {
namespace {

constexpr std::array<uint16_t, 256> MakeTable() {
  std::array<uint16_t, 256> t{};
  for (int i = 0; i < 256; ++i) {
    uint16_t crc = static_cast<uint16_t>(i << 8);
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<uint16_t>(crc << 1);
    }
    t[static_cast<size_t>(i)] = crc;
  }
  return t;
}

constexpr auto kTable = MakeTable();

}  // namespace

uint16_t Crc16Xmodem(ByteView data) {
  uint16_t crc = 0;
  for (uint8_t b : data) {
    crc = static_cast<uint16_t>((crc << 8) ^ kTable[((crc >> 8) ^ b) & 0xff]);
  }
  return crc;
}

}  // namespace wasmcloud::crypto
