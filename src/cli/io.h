// Small helpers shared by the subcommands: payload options and output.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/status.h"

namespace CLI {
class App;
}

namespace wasmcloud::cli {

// The mutually exclusive payload flags --data TEXT | --data-hex HEX | --data-file FILE.
struct PayloadOptions {
  std::optional<std::string> text;
  std::optional<std::string> hex;
  std::optional<std::string> file;

  void Register(CLI::App& cmd);
  // The bytes to send; empty when no flag was given. kInvalidArgument on bad hex or a
  // file that cannot be read.
  Result<Bytes> Resolve() const;
};

// Writes raw bytes to stdout, or lowercase hex and a newline when `hex`.
void PrintPayload(ByteView data, bool hex);

// A secret given as itself or as a file holding it (0.19's reading of --rpc-jwt/-seed):
// the file's text without trailing whitespace when `value` names a regular file.
Result<std::string> ValueOrFile(const std::string& value, std::string_view what);

// "wasmcloud <command>: <message>" on stderr.
void PrintError(std::string_view command, std::string_view message);

// The output format option of every command, as in wash: -o/--output (and --format)
// FORMAT, "text" (the default) or "json". A command that writes a file takes it with
// -d/--destination; for those (`writes_file`), `-o out.wasm` (the old spelling) is refused
// with a message that names -d.
void AddFormatOption(CLI::App& cmd, std::string* format, bool writes_file = false);

}  // namespace wasmcloud::cli
