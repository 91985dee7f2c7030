// Host manifests: env expansion with a map back to the text as written, two readers
// (yaml-cpp events for YAML, a strict reader of our own for JSON) that build the same
// small tree, and one checker that turns the tree into a Manifest or the first error.
//
// Positions: both readers record byte offsets into the expanded text; an error maps its
// offset back through the expansions to the text as written, so "file:line:col" points
// at what the user wrote (an offset inside an expanded value maps to its "${").
#include "host/manifest.h"
#include "core/text.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <sstream>
#include <utility>

#include "core/bytes.h"
#include "crypto/nkeys.h"

namespace wasmcloud::host {

namespace {

// ---------------------------------------------------------------------------------------
// Environment expansion

// One replaced reference: [expanded_begin, expanded_end) of the output came from
// [original_begin, original_end) of the input.
struct Substitution {
  size_t expanded_begin = 0;
  size_t expanded_end = 0;
  size_t original_begin = 0;
  size_t original_end = 0;
};

struct Expansion {
  std::string text;
  std::vector<Substitution> substitutions;  // in order
};

bool IsNameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

Expansion Expand(std::string_view in, const EnvLookup& env) {
  Expansion out;
  out.text.reserve(in.size());
  // The first '}' at or after the last search start; npos once none is left, which then
  // holds for every later start too (keeps many "${A:" without a '}' linear).
  size_t close = 0;
  bool no_close_left = false;
  size_t i = 0;
  while (i < in.size()) {
    if (in[i] != '$' || i + 1 >= in.size() || in[i + 1] != '{' || i + 2 >= in.size() ||
        !IsNameStart(in[i + 2])) {
      out.text += in[i++];
      continue;
    }
    size_t name_end = i + 3;
    while (name_end < in.size() && IsNameChar(in[name_end])) ++name_end;
    if (name_end >= in.size() || (in[name_end] != '}' && in[name_end] != ':')) {
      out.text += in[i++];  // not a reference: "${A-B}", "${A" at the end
      continue;
    }
    size_t end = name_end;  // the closing '}'
    std::optional<std::string_view> fallback;
    if (in[name_end] == ':') {
      if (!no_close_left && (close < name_end || in[close] != '}')) {
        close = in.find('}', name_end);
        no_close_left = close == std::string_view::npos;
      }
      if (no_close_left) {
        out.text += in[i++];  // unterminated "${A:...": left as written
        continue;
      }
      end = close;
      fallback = in.substr(name_end + 1, end - name_end - 1);
    }
    std::string name(in.substr(i + 2, name_end - i - 2));
    const char* value = env ? env(name.c_str()) : std::getenv(name.c_str());
    if (value == nullptr && !fallback) {
      out.text.append(in.substr(i, end + 1 - i));  // unset, no default: left as written
      i = end + 1;
      continue;
    }
    Substitution sub;
    sub.expanded_begin = out.text.size();
    sub.original_begin = i;
    sub.original_end = end + 1;
    if (value != nullptr) {
      out.text += value;
    } else {
      out.text.append(*fallback);
    }
    sub.expanded_end = out.text.size();
    out.substitutions.push_back(sub);
    i = end + 1;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Positions

// Turns offsets of the expanded text into locations in the text as written.
class Positions {
 public:
  Positions(std::string_view original, const std::vector<Substitution>& subs, std::string file)
      : original_size_(original.size()), subs_(subs), file_(std::move(file)) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < original.size(); ++i) {
      if (original[i] == '\n') line_starts_.push_back(i + 1);
    }
  }

  size_t ToOriginal(size_t expanded) const {
    // The last substitution that starts at or before `expanded`.
    auto it =
        std::upper_bound(subs_.begin(), subs_.end(), expanded,
                         [](size_t off, const Substitution& s) { return off < s.expanded_begin; });
    if (it == subs_.begin()) return expanded;
    const Substitution& s = *(it - 1);
    if (expanded < s.expanded_end) return s.original_begin;
    return expanded - s.expanded_end + s.original_end;
  }

  // 1-based line and byte column (as yaml-cpp, gcc and clang count them).
  SourceLocation Locate(size_t expanded_offset) const {
    size_t off = std::min(ToOriginal(expanded_offset), original_size_);
    auto line = std::upper_bound(line_starts_.begin(), line_starts_.end(), off) - 1;
    SourceLocation loc;
    loc.file = file_;
    loc.line = static_cast<size_t>(line - line_starts_.begin()) + 1;
    loc.column = off - *line + 1;
    return loc;
  }

  const std::string& file() const { return file_; }

 private:
  size_t original_size_;
  const std::vector<Substitution>& subs_;
  std::string file_;
  std::vector<size_t> line_starts_;  // offsets where lines begin in the original text
};

// The offset of the first byte that does not start a well-formed UTF-8 sequence, npos if
// there is none.
size_t FindInvalidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0;
    uint32_t min = 0;
    if ((c & 0xe0) == 0xc0) {
      len = 2, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4, cp = c & 0x07, min = 0x10000;
    } else {
      return i;
    }
    if (i + len > s.size()) return i;
    for (size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += len;
  }
  return std::string_view::npos;
}

// ---------------------------------------------------------------------------------------
// The document tree both readers build

struct Node {
  enum class Kind { kNull, kScalar, kList, kMap };
  Kind kind = Kind::kNull;
  const char* scalar_type = "a string";  // for messages: "a string", "a number", "a boolean"
  std::string text;                      // scalars, as written (after unescaping)
  size_t offset = 0;                     // in the expanded text
  std::vector<Node> items;               // a list's items; a map's key, value, key, value, ...
  size_t size = 1;                       // nodes in this subtree
};

std::string Describe(const Node& n) {
  switch (n.kind) {
    case Node::Kind::kNull:
      return "nothing (null)";
    case Node::Kind::kList:
      return "a list";
    case Node::Kind::kMap:
      return "a map";
    case Node::Kind::kScalar:
      break;
  }
  return n.scalar_type;
}

// A parse failure at an offset of the expanded text.
struct Failure {
  size_t offset = 0;
  std::string message;
};

// ---------------------------------------------------------------------------------------
// YAML: yaml-cpp's event parser feeding a tree builder. The builder refuses nesting
// deeper than kManifestMaxNesting as soon as it is opened, which stops yaml-cpp's
// recursive descent there (it recurses once per level), and copies aliases with a
// budget so that "billion laughs" documents stay small.

constexpr size_t kMaxAliasNodes = 100000;

bool AllOf(std::string_view s, bool (*ok)(unsigned char)) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [ok](char c) { return ok(static_cast<unsigned char>(c)); });
}
bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }
bool IsHexDigit(unsigned char c) { return std::isxdigit(c) != 0; }
bool IsOctalDigit(unsigned char c) { return c >= '0' && c <= '7'; }

// A plain scalar that YAML 1.2's core schema reads as a number (for messages only: the
// manifest keeps every scalar's text).
bool IsYamlNumber(std::string_view s) {
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
    return AllOf(s.substr(2), s[1] == 'x' ? IsHexDigit : IsOctalDigit);
  }
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (s == ".inf" || s == ".Inf" || s == ".INF" || s == ".nan" || s == ".NaN" || s == ".NAN") {
    return true;
  }
  size_t i = 0;
  size_t mantissa_digits = 0;
  auto skip_digits = [&] {
    size_t from = i;
    while (i < s.size() && IsDigit(static_cast<unsigned char>(s[i]))) ++i;
    return i - from;
  };
  mantissa_digits += skip_digits();
  if (i < s.size() && s[i] == '.') {
    ++i;
    mantissa_digits += skip_digits();
  }
  if (mantissa_digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    if (skip_digits() == 0) return false;
  }
  return i == s.size();
}

const char* PlainScalarType(std::string_view s) {
  if (s == "true" || s == "True" || s == "TRUE" || s == "false" || s == "False" || s == "FALSE") {
    return "a boolean";
  }
  return IsYamlNumber(s) ? "a number" : "a string";
}

size_t MarkOffset(const YAML::Mark& mark, size_t end) {
  if (mark.is_null() || mark.pos < 0) return end;
  return std::min(static_cast<size_t>(mark.pos), end);
}

std::string TooDeep() {
  return "nesting deeper than " + std::to_string(kManifestMaxNesting) +
         " levels (a manifest needs 4)";
}

class TreeBuilder : public YAML::EventHandler {
 public:
  explicit TreeBuilder(std::string_view text) : text_(text) {}

  std::optional<Node>& root() { return root_; }

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ > 1) {
      throw Failure{Offset(mark),
                    "a manifest is one YAML document, this is the start of a second one"};
    }
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Node n;
    n.offset = NullOffset(mark);
    Add(std::move(n), anchor);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {
      throw Failure{Offset(mark), "this alias refers to a node that contains it"};
    }
    alias_nodes_ += it->second.size;
    if (alias_nodes_ > kMaxAliasNodes) {
      throw Failure{Offset(mark), "aliases expand the manifest to more than " +
                                      std::to_string(kMaxAliasNodes) + " nodes"};
    }
    Add(Node(it->second), 0);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    Node n;
    n.offset = Offset(mark);
    n.kind = Node::Kind::kScalar;
    n.text = value;
    if (tag != "?") CheckClosingQuote(n.offset);
    if (tag == "?") {
      n.scalar_type = PlainScalarType(value);
    } else if (tag == "tag:yaml.org,2002:null") {
      n.kind = Node::Kind::kNull;
      n.text.clear();
    }
    Add(std::move(n), anchor);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value /*style*/) override {
    Open(mark, Node::Kind::kList, anchor);
  }
  void OnSequenceEnd() override { Close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value /*style*/) override {
    Open(mark, Node::Kind::kMap, anchor);
  }
  void OnMapEnd() override { Close(); }

 private:
  size_t Offset(const YAML::Mark& mark) const { return MarkOffset(mark, text_.size()); }

  // yaml-cpp 0.7 ends a quoted scalar that is never closed at the end of the input
  // without an error, so `a: "x` would swallow the rest of the manifest into a's value.
  // The scalar's mark is its opening quote (after any anchor or tag): look for the end.
  void CheckClosingQuote(size_t at) const {
    while (at < text_.size() && (text_[at] == '&' || text_[at] == '!')) {
      while (at < text_.size() && text_[at] != ' ' && text_[at] != '\t' && text_[at] != '\n') ++at;
      while (at < text_.size() && (text_[at] == ' ' || text_[at] == '\t' || text_[at] == '\n')) {
        ++at;
      }
    }
    if (at >= text_.size() || (text_[at] != '"' && text_[at] != '\'')) return;  // not quoted
    const char quote = text_[at];
    for (size_t i = at + 1; i < text_.size(); ++i) {
      if (quote == '"' && text_[i] == '\\') {
        ++i;
      } else if (text_[i] == quote) {
        if (quote == '\'' && i + 1 < text_.size() && text_[i + 1] == '\'') {
          ++i;  // '' is a quote inside a single-quoted string
          continue;
        }
        return;
      }
    }
    throw Failure{at, "YAML syntax error: this quoted string has no closing quote"};
  }

  // yaml-cpp marks an empty node ("- " or "key:" with nothing after it) at the token
  // after it, often on a later line. The indicator before it ("-", ",", "[", ...) is
  // where the user wrote the empty entry.
  size_t NullOffset(const YAML::Mark& mark) const {
    size_t at = Offset(mark);
    std::string_view rest = text_.substr(at);
    for (std::string_view word : {"~", "null", "Null", "NULL"}) {
      if (rest.substr(0, word.size()) == word &&
          (rest.size() == word.size() || !IsNameChar(rest[word.size()]))) {
        return at;  // written as a null: its mark is right
      }
    }
    size_t i = at;
    while (i > 0 && (text_[i - 1] == ' ' || text_[i - 1] == '\t' || text_[i - 1] == '\n' ||
                     text_[i - 1] == '\r')) {
      --i;
    }
    if (i > 0 && std::string_view("-:?,[{").find(text_[i - 1]) != std::string_view::npos) {
      return i - 1;
    }
    return at;
  }

  void Open(const YAML::Mark& mark, Node::Kind kind, YAML::anchor_t anchor) {
    if (open_.size() >= kManifestMaxNesting) {
      throw Failure{Offset(mark), TooDeep()};
    }
    Node n;
    n.offset = Offset(mark);
    n.kind = kind;
    open_.push_back({std::move(n), anchor});
  }

  void Close() {
    auto [n, anchor] = std::move(open_.back());
    open_.pop_back();
    Add(std::move(n), anchor);
  }

  void Add(Node n, YAML::anchor_t anchor) {
    if (anchor != 0) anchors_[anchor] = n;
    if (open_.empty()) {
      root_ = std::move(n);
      return;
    }
    Node& parent = open_.back().first;
    parent.size += n.size;
    parent.items.push_back(std::move(n));
  }

  std::string_view text_;
  int documents_ = 0;
  size_t alias_nodes_ = 0;
  std::vector<std::pair<Node, YAML::anchor_t>> open_;
  std::map<YAML::anchor_t, Node> anchors_;
  std::optional<Node> root_;
};

// A quick look at the flow brackets before yaml-cpp reads anything: yaml-cpp keeps every
// token of an unclosed flow collection queued (about 240 bytes per "["), so "[[[[..." is
// refused here, at the bracket that opens one level too many. A bracket, quote or '#'
// counts where YAML can start a node or comment there (after a line break, space,
// ':', ',', '[', '{', '-' or '?'), so "a[b" and "it's" in plain text are ignored. The
// count can miss levels (after a tag or an anchor); TreeBuilder's limit is exact.
void CheckFlowNesting(std::string_view text) {
  size_t depth = 0;
  char prev = '\n';  // the last character that is not a space or tab
  bool after_space = true;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool node_start = std::string_view("\n:,[{-?").find(prev) != std::string_view::npos;
    if (c == '#' && after_space) {
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
    } else if (c == '"' && node_start) {
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\') ++i;
      }
    } else if (c == '\'' && node_start) {
      for (++i; i < text.size(); ++i) {
        if (text[i] != '\'') continue;
        if (i + 1 < text.size() && text[i + 1] == '\'') {
          ++i;  // '' is a quote inside the string
          continue;
        }
        break;
      }
    } else if (c == '[' || c == '{') {
      if (!node_start) c = 'x';  // plain text: what follows does not start a node either
      if (node_start && ++depth > kManifestMaxNesting) throw Failure{i, TooDeep()};
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
    after_space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    if (c != ' ' && c != '\t' && c != '\r') prev = c;
  }
}

// The document's root, or nullopt for an empty document.
std::optional<Node> ReadYaml(const std::string& text) {
  CheckFlowNesting(text);
  std::istringstream in(text);
  TreeBuilder builder(text);
  try {
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(builder)) {
    }
  } catch (const YAML::Exception& e) {
    throw Failure{MarkOffset(e.mark, text.size()), "YAML syntax error: " + e.msg};
  }
  return std::move(builder.root());
}

// ---------------------------------------------------------------------------------------
// JSON (RFC 8259, strictly: what serde_json accepts for 0.18, plus a leading BOM)

class JsonReader {
 public:
  explicit JsonReader(std::string_view text) : in_(text) {}

  std::optional<Node> Read() {
    SkipSpace();
    if (pos_ == in_.size()) return std::nullopt;  // an empty document
    Node root = Value(0);
    SkipSpace();
    if (pos_ != in_.size()) Fail("JSON syntax error: unexpected " + Found() + " after the value");
    return root;
  }

 private:
  [[noreturn]] void Fail(std::string message) const { throw Failure{pos_, std::move(message)}; }

  std::string Found() const {
    if (pos_ >= in_.size()) return "end of input";
    auto c = static_cast<unsigned char>(in_[pos_]);
    if (c >= 0x20 && c < 0x7f) return std::string("'") + in_[pos_] + "'";
    return "byte 0x" + HexEncode(AsBytes(in_.substr(pos_, 1)));
  }

  void SkipSpace() {
    while (pos_ < in_.size() &&
           (in_[pos_] == ' ' || in_[pos_] == '\t' || in_[pos_] == '\n' || in_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool Consume(char c) {
    if (pos_ < in_.size() && in_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  Node Value(size_t depth) {
    if (pos_ >= in_.size()) Fail("JSON syntax error: expected a value, found end of input");
    char c = in_[pos_];
    if (c == '{' || c == '[') return Container(depth, c == '{');
    if (c == '"') return String();
    Node n;
    n.offset = pos_;
    n.kind = Node::Kind::kScalar;
    for (std::string_view word : {"true", "false", "null"}) {
      if (in_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        if (word == "null") {
          n.kind = Node::Kind::kNull;
        } else {
          n.text = std::string(word);
          n.scalar_type = "a boolean";
        }
        return n;
      }
    }
    if (c == '-' || (c >= '0' && c <= '9')) return Number();
    Fail("JSON syntax error: expected a value, found " + Found());
  }

  Node Container(size_t depth, bool is_map) {
    if (depth >= kManifestMaxNesting) {
      Fail(TooDeep());
    }
    Node n;
    n.offset = pos_;
    n.kind = is_map ? Node::Kind::kMap : Node::Kind::kList;
    const char close = is_map ? '}' : ']';
    ++pos_;
    SkipSpace();
    if (Consume(close)) return n;
    for (;;) {
      SkipSpace();
      if (is_map) {
        if (pos_ >= in_.size() || in_[pos_] != '"') {
          Fail("JSON syntax error: expected a string key, found " + Found());
        }
        Node key = String();
        SkipSpace();
        if (!Consume(':')) Fail("JSON syntax error: expected ':' after the key, found " + Found());
        SkipSpace();
        n.size += key.size;
        n.items.push_back(std::move(key));
      }
      Node item = Value(depth + 1);
      n.size += item.size;
      n.items.push_back(std::move(item));
      SkipSpace();
      if (Consume(close)) return n;
      if (!Consume(',')) {
        Fail(std::string("JSON syntax error: expected ',' or '") + close + "', found " + Found());
      }
    }
  }

  Node Number() {
    Node n;
    n.offset = pos_;
    n.kind = Node::Kind::kScalar;
    n.scalar_type = "a number";
    size_t start = pos_;
    auto digits = [&] {
      size_t from = pos_;
      while (pos_ < in_.size() && in_[pos_] >= '0' && in_[pos_] <= '9') ++pos_;
      return pos_ - from;
    };
    Consume('-');
    if (Consume('0')) {
      if (pos_ < in_.size() && in_[pos_] >= '0' && in_[pos_] <= '9') {
        Fail("JSON syntax error: a number must not start with 0");
      }
    } else if (digits() == 0) {
      Fail("JSON syntax error: expected a digit, found " + Found());
    }
    if (Consume('.') && digits() == 0) {
      Fail("JSON syntax error: expected a digit after '.', found " + Found());
    }
    if (Consume('e') || Consume('E')) {
      if (!Consume('+')) Consume('-');
      if (digits() == 0) Fail("JSON syntax error: expected an exponent digit, found " + Found());
    }
    n.text = std::string(in_.substr(start, pos_ - start));
    return n;
  }

  uint32_t Hex4() {
    if (pos_ + 4 > in_.size()) Fail("JSON syntax error: \\u needs 4 hex digits");
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      char c = in_[pos_];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<uint32_t>(c - 'A' + 10);
      } else {
        Fail("JSON syntax error: \\u needs 4 hex digits, found " + Found());
      }
      ++pos_;
    }
    return v;
  }

  static void AppendUtf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xc0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xe0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }

  Node String() {
    Node n;
    n.offset = pos_;
    n.kind = Node::Kind::kScalar;
    ++pos_;  // the opening quote
    for (;;) {
      if (pos_ >= in_.size()) {
        pos_ = n.offset;
        Fail("JSON syntax error: this string has no closing quote");
      }
      char c = in_[pos_];
      if (c == '"') {
        ++pos_;
        return n;
      }
      if (static_cast<unsigned char>(c) < 0x20) {
        Fail("JSON syntax error: control character " + Found() + " in a string (escape it)");
      }
      if (c != '\\') {
        n.text += c;
        ++pos_;
        continue;
      }
      ++pos_;
      if (pos_ >= in_.size()) Fail("JSON syntax error: unfinished escape");
      char e = in_[pos_];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          n.text += e;
          break;
        case 'b':
          n.text += '\b';
          break;
        case 'f':
          n.text += '\f';
          break;
        case 'n':
          n.text += '\n';
          break;
        case 'r':
          n.text += '\r';
          break;
        case 't':
          n.text += '\t';
          break;
        case 'u': {
          size_t escape_at = pos_ - 1;
          ++pos_;
          uint32_t cp = Hex4();
          if (cp >= 0xd800 && cp <= 0xdbff && in_.substr(pos_, 2) == "\\u") {
            pos_ += 2;
            uint32_t low = Hex4();
            if (low < 0xdc00 || low > 0xdfff) {
              pos_ = escape_at;
              Fail("JSON syntax error: a high surrogate escape must be followed by a low one");
            }
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
          } else if (cp >= 0xd800 && cp <= 0xdfff) {
            pos_ = escape_at;
            Fail("JSON syntax error: unpaired surrogate escape");
          }
          AppendUtf8(n.text, cp);
          continue;  // Hex4 moved past the digits
        }
        default:
          Fail("JSON syntax error: unknown escape " + Found());
      }
      ++pos_;
    }
  }

  std::string_view in_;
  size_t pos_ = 0;
};

// ---------------------------------------------------------------------------------------
// From the tree to a Manifest

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; });
}

// The first "${NAME}" left in `s` (an unset variable without a default), or "".
std::string_view UnexpandedReference(std::string_view s) {
  for (size_t at = s.find("${"); at != std::string_view::npos; at = s.find("${", at + 1)) {
    size_t i = at + 2;
    if (i >= s.size() || !IsNameStart(s[i])) continue;
    while (i < s.size() && IsNameChar(s[i])) ++i;
    if (i < s.size() && s[i] == '}') return s.substr(at, i + 1 - at);
  }
  return {};
}

class Checker {
 public:
  Checker(const Positions& positions, std::string_view base_dir)
      : positions_(positions), base_dir_(base_dir) {}

  Result<Manifest> Check(const std::optional<Node>& root) {
    Manifest m;
    m.source = positions_.file();
    if (!root || root->kind == Node::Kind::kNull) return m;  // an empty document
    if (root->kind != Node::Kind::kMap) {
      return Error(*root, "",
                   "expected a map with labels, actors, capabilities or links at the top "
                   "level, found " +
                       Describe(*root));
    }
    WC_RETURN_IF_ERROR(CheckKeys(*root, ""));
    for (size_t i = 0; i + 1 < root->items.size(); i += 2) {
      const Node& key = root->items[i];
      const Node& value = root->items[i + 1];
      if (key.text == "labels") {
        WC_RETURN_IF_ERROR(Labels(value, m.labels));
      } else if (key.text == "actors") {
        WC_RETURN_IF_ERROR(Actors(value, m.actors));
      } else if (key.text == "capabilities") {
        WC_RETURN_IF_ERROR(Capabilities(value, m.capabilities));
      } else if (key.text == "links") {
        WC_RETURN_IF_ERROR(Links(value, m.links));
      } else {
        return Error(
            key, "",
            "unknown key " + Quote(key.text) + " (expected labels, actors, capabilities or links)");
      }
    }
    return m;
  }

 private:
  Status Error(const Node& at, std::string_view path, std::string_view what) const {
    std::string msg = positions_.Locate(at.offset).ToString() + ": ";
    if (!path.empty()) msg += std::string(path) + ": ";
    msg += what;
    return Malformed(std::move(msg));
  }

  SourceLocation Where(const Node& n) const { return positions_.Locate(n.offset); }

  // Every key of `map` is a string, and none is there twice.
  Status CheckKeys(const Node& map, std::string_view path) const {
    std::map<std::string, size_t, std::less<>> seen;
    for (size_t i = 0; i < map.items.size(); i += 2) {
      const Node& key = map.items[i];
      if (key.kind != Node::Kind::kScalar) {
        return Error(key, path, "expected a key name, found " + Describe(key));
      }
      auto [it, inserted] = seen.emplace(key.text, key.offset);
      if (!inserted) {
        SourceLocation first = positions_.Locate(it->second);
        return Error(key, path,
                     "duplicate key " + Quote(key.text) + " (first at " +
                         std::to_string(first.line) + ":" + std::to_string(first.column) + ")");
      }
    }
    return Status::Ok();
  }

  // A string where the manifest expects one: any scalar, with its text as written (so
  // `PORT: 8080` is "8080"). `key` (when given) places the error of a missing value on
  // its key: yaml-cpp puts an empty value's mark on the token after it.
  Result<std::string> String(const Node& n, std::string_view path, const Node* key) const {
    if (n.kind == Node::Kind::kNull) {
      return Error(key != nullptr ? *key : n, path,
                   "expected a string, found nothing (write \"\" for an empty string)");
    }
    if (n.kind != Node::Kind::kScalar) {
      return Error(n, path, "expected a string, found " + Describe(n));
    }
    if (FindInvalidUtf8(n.text) != std::string_view::npos) {
      return Error(n, path, "the text is not valid UTF-8");
    }
    std::string_view ref = UnexpandedReference(n.text);
    if (!ref.empty()) {
      std::string name(ref.substr(2, ref.size() - 3));
      return Error(n, path,
                   std::string(ref) + " is not set in the environment and has no default (set " +
                       name + ", or write ${" + name + ":default})");
    }
    return n.text;
  }

  // A map of strings to strings (labels, link values); null is an empty map.
  Status StringMap(const Node& n, const std::string& path, std::string_view expected,
                   std::map<std::string, std::string>& out, bool labels) const {
    if (n.kind == Node::Kind::kNull) return Status::Ok();
    if (n.kind != Node::Kind::kMap) {
      return Error(n, path,
                   std::string("expected ") + std::string(expected) + ", found " + Describe(n));
    }
    WC_RETURN_IF_ERROR(CheckKeys(n, path));
    for (size_t i = 0; i + 1 < n.items.size(); i += 2) {
      const Node& key = n.items[i];
      WC_ASSIGN_OR_RETURN(std::string k, String(key, path, nullptr));
      if (labels && k.rfind("hostcore.", 0) == 0) {
        return Error(key, path,
                     Quote(k) + " is reserved: the host sets the hostcore.* labels itself");
      }
      WC_ASSIGN_OR_RETURN(std::string v, String(n.items[i + 1], path + "." + k, &key));
      out[k] = std::move(v);
    }
    return Status::Ok();
  }

  Status Labels(const Node& n, std::map<std::string, std::string>& out) const {
    return StringMap(n, "labels", "a map of label names to values", out, /*labels=*/true);
  }

  std::string Resolve(const std::string& ref) const {
    if (base_dir_.empty()) return ref;
    std::filesystem::path p(ref);
    if (p.is_absolute()) return ref;
    std::filesystem::path joined = std::filesystem::path(base_dir_) / p;
    std::error_code ec;
    if (std::filesystem::is_regular_file(joined, ec)) return joined.string();
    return ref;
  }

  Status Actors(const Node& n, std::vector<ManifestActor>& out) const {
    if (n.kind == Node::Kind::kNull) return Status::Ok();
    if (n.kind != Node::Kind::kList) {
      return Error(n, "actors", "expected a list of strings, found " + Describe(n));
    }
    for (size_t i = 0; i < n.items.size(); ++i) {
      const Node& item = n.items[i];
      std::string path = "actors[" + std::to_string(i) + "]";
      WC_ASSIGN_OR_RETURN(std::string ref, String(item, path, nullptr));
      if (IsBlank(ref)) return Error(item, path, "expected an actor reference, found \"\"");
      out.push_back({Resolve(ref), Where(item)});
    }
    return Status::Ok();
  }

  // Checks `entry` is a map with only `allowed` keys, no duplicates and every
  // `required` key; returns the value of each allowed key (nullptr when absent) and its
  // key node.
  Status Fields(const Node& entry, const std::string& path, std::string_view expected,
                const std::vector<std::string_view>& allowed, size_t required,
                std::vector<std::pair<const Node*, const Node*>>& out) const {
    if (entry.kind != Node::Kind::kMap) {
      return Error(entry, path,
                   std::string("expected ") + std::string(expected) + ", found " + Describe(entry));
    }
    WC_RETURN_IF_ERROR(CheckKeys(entry, path));
    out.assign(allowed.size(), {nullptr, nullptr});
    for (size_t i = 0; i + 1 < entry.items.size(); i += 2) {
      const Node& key = entry.items[i];
      auto it = std::find(allowed.begin(), allowed.end(), key.text);
      if (it == allowed.end()) {
        std::string list;
        for (size_t k = 0; k < allowed.size(); ++k) {
          if (k > 0) list += k + 1 == allowed.size() ? " or " : ", ";
          list += allowed[k];
        }
        return Error(key, path, "unknown key " + Quote(key.text) + " (expected " + list + ")");
      }
      out[static_cast<size_t>(it - allowed.begin())] = {&key, &entry.items[i + 1]};
    }
    for (size_t k = 0; k < required; ++k) {
      if (out[k].second == nullptr) {
        return Error(entry, path, "missing key " + Quote(allowed[k]));
      }
    }
    return Status::Ok();
  }

  // link_name: absent, null, empty or blank → "default".
  Result<std::string> LinkName(const std::pair<const Node*, const Node*>& field,
                               const std::string& path) const {
    if (field.second == nullptr || field.second->kind == Node::Kind::kNull)
      return std::string("default");
    WC_ASSIGN_OR_RETURN(std::string name, String(*field.second, path + ".link_name", field.first));
    if (IsBlank(name)) return std::string("default");
    return name;
  }

  Status Capabilities(const Node& n, std::vector<ManifestCapability>& out) const {
    if (n.kind == Node::Kind::kNull) return Status::Ok();
    if (n.kind != Node::Kind::kList) {
      return Error(n, "capabilities",
                   "expected a list of maps with image_ref and link_name, found " + Describe(n));
    }
    for (size_t i = 0; i < n.items.size(); ++i) {
      const Node& entry = n.items[i];
      std::string path = "capabilities[" + std::to_string(i) + "]";
      std::vector<std::pair<const Node*, const Node*>> f;
      WC_RETURN_IF_ERROR(Fields(entry, path, "a map with image_ref and link_name",
                                {"image_ref", "link_name", "isolation"}, 1, f));
      ManifestCapability cap;
      WC_ASSIGN_OR_RETURN(std::string ref, String(*f[0].second, path + ".image_ref", f[0].first));
      if (IsBlank(ref)) {
        return Error(*f[0].second, path + ".image_ref",
                     "expected a provider reference, found \"\"");
      }
      cap.image_ref = Resolve(ref);
      WC_ASSIGN_OR_RETURN(cap.link_name, LinkName(f[1], path));
      if (f[2].second != nullptr && f[2].second->kind != Node::Kind::kNull) {
        WC_ASSIGN_OR_RETURN(cap.isolation, String(*f[2].second, path + ".isolation", f[2].first));
        if (cap.isolation != "process" && cap.isolation != "in-process") {
          return Error(*f[2].second, path + ".isolation",
                       "expected process or in-process, found " + Quote(cap.isolation));
        }
      }
      cap.location = Where(entry);
      out.push_back(std::move(cap));
    }
    return Status::Ok();
  }

  // 56 characters of the base32 alphabet keys are written in.
  static bool LooksLikeKey(std::string_view text) {
    if (text.size() != 56) return false;
    for (char c : text) {
      if (!((c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7'))) return false;
    }
    return true;
  }

  // A call alias as written in claims: not blank, no whitespace or control characters.
  static bool IsCallAlias(std::string_view text) {
    if (text.empty()) return false;
    for (char c : text) {
      const auto u = static_cast<unsigned char>(c);
      if (u <= 0x20 || u == 0x7f) return false;
    }
    return true;
  }

  // A public key of `type` ("actor" M, "provider" V).
  Status Key(const Node& at, const std::string& path, const std::string& text, crypto::KeyType type,
             std::string_view role) const {
    char letter = crypto::PrefixChar(type);
    std::string want = std::string(type == crypto::KeyType::kModule ? "an " : "a ") +
                       std::string(role) + " public key (56 characters, " + letter + "...)";
    auto key = crypto::ParsePublicKey(text);
    if (!key.ok()) {
      return Error(at, path, Quote(text) + " is not " + want + ": " + key.status().message());
    }
    if (key->type != type) {
      return Error(at, path,
                   Quote(text) + " is a " + std::string(crypto::KeyTypeName(key->type)) +
                       " key, not " + want);
    }
    return Status::Ok();
  }

  Status Links(const Node& n, std::vector<ManifestLink>& out) const {
    if (n.kind == Node::Kind::kNull) return Status::Ok();
    if (n.kind != Node::Kind::kList) {
      return Error(
          n, "links",
          "expected a list of maps with actor, contract_id and provider_id, found " + Describe(n));
    }
    for (size_t i = 0; i < n.items.size(); ++i) {
      const Node& entry = n.items[i];
      std::string path = "links[" + std::to_string(i) + "]";
      std::vector<std::pair<const Node*, const Node*>> f;
      WC_RETURN_IF_ERROR(Fields(entry, path, "a map with actor, contract_id and provider_id",
                                {"actor", "contract_id", "provider_id", "link_name", "values"}, 2,
                                f));
      ManifestLink link;
      WC_ASSIGN_OR_RETURN(link.actor, String(*f[0].second, path + ".actor", f[0].first));
      // 56 characters of the key alphabet is meant as a key and must be a good one;
      // anything else names an actor by its call alias.
      if (LooksLikeKey(link.actor)) {
        WC_RETURN_IF_ERROR(
            Key(*f[0].second, path + ".actor", link.actor, crypto::KeyType::kModule, "actor"));
      } else if (!IsCallAlias(link.actor)) {
        return Error(*f[0].second, path + ".actor",
                     "expected an actor public key (56 characters, M...) or call alias, found " +
                         Quote(link.actor));
      }
      WC_ASSIGN_OR_RETURN(link.contract_id,
                          String(*f[1].second, path + ".contract_id", f[1].first));
      if (IsBlank(link.contract_id)) {
        return Error(*f[1].second, path + ".contract_id",
                     "expected a contract id such as \"wasmcloud:keyvalue\", found " +
                         Quote(link.contract_id));
      }
      if (f[2].second != nullptr) {  // without it: the host's provider of the contract
        WC_ASSIGN_OR_RETURN(link.provider_id,
                            String(*f[2].second, path + ".provider_id", f[2].first));
        WC_RETURN_IF_ERROR(Key(*f[2].second, path + ".provider_id", link.provider_id,
                               crypto::KeyType::kService, "provider"));
      }
      WC_ASSIGN_OR_RETURN(link.link_name, LinkName(f[3], path));
      if (f[4].second != nullptr) {
        WC_RETURN_IF_ERROR(StringMap(*f[4].second, path + ".values", "a map of strings",
                                     link.values, /*labels=*/false));
      }
      link.location = Where(entry);
      out.push_back(std::move(link));
    }
    return Status::Ok();
  }

  const Positions& positions_;
  std::string_view base_dir_;
};

}  // namespace

std::string SourceLocation::ToString() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

ManifestFormat FormatForPath(std::string_view path) {
  // As Rust's Path::extension: none (also for ".hidden") → YAML.
  std::string ext = std::filesystem::path(path).extension().string();
  if (ext.empty()) return ManifestFormat::kYaml;
  ext = AsciiLower(ext);
  return ext == ".yaml" || ext == ".yml" ? ManifestFormat::kYaml : ManifestFormat::kJson;
}

std::string ExpandEnvironment(std::string_view text, const EnvLookup& env) {
  return Expand(text, env).text;
}

Result<Manifest> ParseManifest(std::string_view text, ManifestFormat format,
                               std::string_view source, std::string_view base_dir,
                               const EnvLookup& env) {
  std::string file = source.empty() ? "<text>" : std::string(source);
  if (text.substr(0, 3) == "\xef\xbb\xbf") text.remove_prefix(3);  // a UTF-8 BOM
  Expansion expanded = Expand(text, env);
  Positions positions(text, expanded.substitutions, file);
  try {
    size_t bad = FindInvalidUtf8(expanded.text);
    if (bad != std::string_view::npos) {
      throw Failure{bad, "the manifest is not valid UTF-8"};
    }
    std::optional<Node> root = format == ManifestFormat::kYaml ? ReadYaml(expanded.text)
                                                               : JsonReader(expanded.text).Read();
    return Checker(positions, base_dir).Check(root);
  } catch (const Failure& f) {
    return Malformed(positions.Locate(f.offset).ToString() + ": " + f.message);
  } catch (const std::exception& e) {
    // yaml-cpp can throw more than its own exceptions (std::bad_alloc, ...).
    return Malformed(file + ": cannot parse the manifest: " + e.what());
  }
}

Result<Manifest> LoadManifest(const std::string& path, const EnvLookup& env) {
  std::error_code ec;
  if (const uintmax_t size = std::filesystem::file_size(path, ec);
      !ec && size > kMaxManifestBytes) {
    return ResourceExhausted("manifest " + path + " has " + std::to_string(size) +
                             " bytes, above the limit of " + std::to_string(kMaxManifestBytes) +
                             " bytes");
  }
  // Bounded while read too: a pipe or device (`-m /dev/stdin`) has no size to check first.
  auto bytes = ReadFile(path, kMaxManifestBytes);
  if (bytes.status().code() == Code::kResourceExhausted) {
    return ResourceExhausted("manifest " + path + " has more than " +
                             std::to_string(kMaxManifestBytes) + " bytes, above the limit");
  }
  if (!bytes.ok()) return bytes.status();  // "cannot open <path>: ..." (kNotFound, ...)
  // What a manifest names, given in its place (`up -m echo.wasm`): say so, not where its
  // bytes stop being UTF-8.
  const std::string_view head = AsChars(*bytes).substr(0, 4);
  if (head == std::string_view("\0asm", 4)) {
    return InvalidArgument(path +
                           " is a WebAssembly module, not a manifest: list it under `actors:` "
                           "in a manifest (docs/manifest.md)");
  }
  if (head.substr(0, 2) == "\x1f\x8b") {
    return InvalidArgument(path +
                           " is gzip data (a provider archive?), not a manifest: list it under "
                           "`capabilities:` as `image_ref` in a manifest (docs/manifest.md)");
  }
  std::string dir = std::filesystem::path(path).parent_path().string();
  return ParseManifest(AsChars(*bytes), FormatForPath(path), path, dir, env);
}

}  // namespace wasmcloud::host
