#include "cli/io.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>

namespace wasmcloud::cli {

void PayloadOptions::Register(CLI::App& cmd) {
  auto* t = cmd.add_option("--data", text, "payload as text");
  auto* h = cmd.add_option("--data-hex", hex, "payload as hex digits");
  auto* f = cmd.add_option("--data-file", file, "payload read from a file");
  t->excludes(h)->excludes(f);
  h->excludes(f);
}

Result<Bytes> PayloadOptions::Resolve() const {
  if (text) return ToBytes(*text);
  if (hex) {
    auto b = HexDecode(*hex);
    if (!b.ok()) return InvalidArgument("--data-hex: " + b.status().message());
    return b;
  }
  if (file) {
    auto b = ReadFile(*file);
    if (!b.ok()) return InvalidArgument("--data-file: " + b.status().message());
    return b;
  }
  return Bytes{};
}

void PrintPayload(ByteView data, bool hex) {
  if (hex) {
    std::string h = HexEncode(data);
    h += '\n';
    std::fwrite(h.data(), 1, h.size(), stdout);
  } else {
    std::fwrite(data.data(), 1, data.size(), stdout);
  }
  std::fflush(stdout);
}

Result<std::string> ValueOrFile(const std::string& value, std::string_view what) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(value, ec)) return value;
  auto bytes = ReadFile(value);
  if (!bytes.ok()) return bytes.status().WithContext(std::string(what));
  std::string text(bytes->begin(), bytes->end());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

void PrintError(std::string_view command, std::string_view message) {
  std::cerr << "wasmcloud " << command << ": " << message << std::endl;
}

void AddFormatOption(CLI::App& cmd, std::string* format, bool writes_file) {
  cmd.add_option("-o,--output,--format", *format, "output format: text (default) or json")
      ->check(CLI::Validator(
          [writes_file](std::string& value) -> std::string {
            if (value == "text" || value == "json") return "";
            std::string why = "-o/--output is the output format (text or json), as in wash";
            if (writes_file) why += "; the file to write is -d/--destination";
            return why + ", got \"" + value + "\"";
          },
          "FORMAT"));
}

}  // namespace wasmcloud::cli
