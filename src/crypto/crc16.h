// CRC-16/XMODEM, the checksum at the end of every nkey.
#pragma once

#include <cstdint>

#include "core/bytes.h"

namespace wasmcloud::crypto {

// Polynomial 0x1021, initial value 0, no reflection, no final xor.
// Crc16Xmodem("123456789") == 0x31C3.
uint16_t Crc16Xmodem(ByteView data);

}  // namespace wasmcloud::crypto
