// Request and response heads. One pass over the head: the line structure is checked while the
// end of the head is searched for, then each header is split and its meaning (framing,
// connection handling) taken as it is seen, so no header is looked at twice.
#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

#include "http/h1.h"

namespace meshroute::http {
namespace {

// RFC 9110 tchar.
constexpr std::array<bool, 256> makeTokenTable() {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}
constexpr auto kToken = makeTokenTable();

bool isToken(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return kToken[static_cast<unsigned char>(c)]; });
}

bool validValueByte(char ch) {
  auto c = static_cast<unsigned char>(ch);
  return c == '\t' || (c >= 0x20 && c != 0x7f);
}

// Field values: visible characters, SP, HTAB and obs-text; no other control characters.
// Values are most of a head's bytes, so eight are checked at once: a word with no byte below
// 0x20 and none equal to 0x7f is fine; any other word (tabs included) is checked byte by byte.
bool validValue(std::string_view v) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighs = 0x8080808080808080ULL;
  size_t i = 0;
  for (; i + 8 <= v.size(); i += 8) {
    uint64_t word = 0;
    std::memcpy(&word, v.data() + i, sizeof(word));
    const uint64_t del = word ^ (kOnes * 0x7f);
    const uint64_t below_space = (word - kOnes * 0x20) & ~word & kHighs;
    const uint64_t is_del = (del - kOnes) & ~del & kHighs;
    if ((below_space | is_del) != 0 &&
        !std::all_of(v.data() + i, v.data() + i + 8, validValueByte)) {
      return false;
    }
  }
  return std::all_of(v.data() + i, v.data() + v.size(), validValueByte);
}

std::string_view trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

ParseResult fail(int status, std::string_view why) {
  return ParseResult{ParseStatus::kError, 0, status, why};
}

// Finds the end of the head (the CRLF CRLF). Every LF inside the head must follow a CR: bare
// LF line endings are how request smuggling hides a second message from a lenient parser.
// Returns the head length including the final CRLF CRLF, kIncomplete, or an error.
ParseResult findHead(std::string_view buf, const Limits& limits) {
  size_t start = 0;
  // RFC 9112 section 2.2: empty lines before a request line are ignored. They count towards
  // the head limit, so a peer can't grow the caller's buffer without bound with them.
  while (start + 1 < buf.size() && buf[start] == '\r' && buf[start + 1] == '\n') start += 2;
  const size_t scan_end = std::min(buf.size(), limits.max_head_bytes);
  for (size_t i = start; i < scan_end; ++i) {
    // memchr runs through a line a word at a time; heads are mostly long lines.
    const void* lf = std::memchr(buf.data() + i, '\n', scan_end - i);
    if (lf == nullptr) break;
    i = static_cast<size_t>(static_cast<const char*>(lf) - buf.data());
    if (i == 0 || buf[i - 1] != '\r') return fail(400, "bare LF line ending");
    if (i >= start + 3 && buf[i - 2] == '\n' && buf[i - 3] == '\r') {
      return ParseResult{ParseStatus::kComplete, i + 1, 0, {}};
    }
  }
  if (buf.size() >= limits.max_head_bytes) return fail(431, "headers too large");
  return ParseResult{ParseStatus::kIncomplete, 0, 0, {}};
}

struct HeadFacts {
  bool have_cl = false;
  uint64_t cl = 0;
  bool have_te = false;
  bool te_chunked = false;  // the last transfer coding is chunked
  bool te_other = false;    // a coding other than chunked appears
  bool conn_close = false;
  bool conn_keep_alive = false;
  bool conn_upgrade = false;
  bool have_upgrade = false;
  int hosts = 0;
};

// The Connection options the proxy acts on, in one pass over the list.
void connectionTokens(std::string_view list, HeadFacts& f) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view item = trim(list.substr(0, comma));
    switch (item.size()) {
      case 5: f.conn_close |= iequals(item, "close"); break;
      case 7: f.conn_upgrade |= iequals(item, "upgrade"); break;
      case 10: f.conn_keep_alive |= iequals(item, "keep-alive"); break;
      default: break;
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

// Parses "name: value" lines from `lines` (each ending in CRLF, the blank line excluded).
ParseResult parseFields(std::string_view lines, const Limits& limits, std::vector<Header>& out,
                        HeadFacts& f, std::string_view& host, bool& expect) {
  out.clear();
  while (!lines.empty()) {
    // findHead() saw a CR before every LF, so the line ends one byte before its LF.
    size_t lf = lines.find('\n');
    std::string_view line = lines.substr(0, lf - 1);
    lines.remove_prefix(lf + 1);
    if (line.front() == ' ' || line.front() == '\t') return fail(400, "obsolete line folding");
    // The name runs to the first non-token byte, which must be the colon: this also rejects
    // whitespace before the colon, as Envoy does.
    size_t colon = 0;
    while (colon < line.size() && kToken[static_cast<unsigned char>(line[colon])]) ++colon;
    if (colon == line.size()) return fail(400, "header line without a colon");
    if (line[colon] != ':' || colon == 0) return fail(400, "invalid header name");
    std::string_view name = line.substr(0, colon);
    std::string_view value = trim(line.substr(colon + 1));
    if (!validValue(value)) return fail(400, "invalid character in header value");
    if (out.size() >= limits.max_headers) return fail(431, "too many headers");
    out.push_back(Header{name, value});
    switch (name.size()) {
      case 4:
        if (iequals(name, "host")) {
          ++f.hosts;
          host = value;
        }
        break;
      case 6:
        if (iequals(name, "expect")) expect = iequals(value, "100-continue");
        break;
      case 7:
        if (iequals(name, "upgrade")) f.have_upgrade = true;
        break;
      case 10:
        if (iequals(name, "connection")) connectionTokens(value, f);
        break;
      case 14:
        if (iequals(name, "content-length")) {
          // A list of identical values is one length; differing values are a smuggling attempt.
          std::string_view rest = value;
          while (true) {
            size_t comma = rest.find(',');
            std::string_view item = trim(rest.substr(0, comma));
            uint64_t n = 0;
            auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), n);
            if (item.empty() || ec != std::errc() || end != item.data() + item.size() ||
                item.front() == '+' || item.front() == '-') {
              return fail(400, "invalid Content-Length");
            }
            if (f.have_cl && n != f.cl) return fail(400, "conflicting Content-Length values");
            f.have_cl = true;
            f.cl = n;
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
          }
        }
        break;
      case 17:
        if (iequals(name, "transfer-encoding")) {
          f.have_te = true;
          std::string_view rest = value;
          while (!rest.empty()) {
            size_t comma = rest.find(',');
            std::string_view coding = trim(rest.substr(0, comma));
            if (!coding.empty()) {
              bool chunked = iequals(coding, "chunked");
              // Chunked must be last: anything after it means the length is unknowable.
              if (f.te_chunked || !chunked) f.te_other = true;
              f.te_chunked = chunked;
            }
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
          }
        }
        break;
      default: break;
    }
  }
  return ParseResult{ParseStatus::kComplete, 0, 0, {}};
}

// "HTTP/1.0" or "HTTP/1.1" -> minor version; -1 malformed; -2 well-formed but unsupported.
int parseVersion(std::string_view v) {
  if (v.size() != 8 || v.substr(0, 5) != "HTTP/" || v[6] != '.') return -1;
  if (v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9') return -1;
  if (v[5] != '1' || (v[7] != '0' && v[7] != '1')) return -2;
  return v[7] - '0';
}

bool validTarget(std::string_view t) {
  if (t.empty()) return false;
  return std::all_of(t.begin(), t.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return c > 0x20 && c != 0x7f;
  });
}

}  // namespace

ParseResult parseRequestHead(std::string_view buffer, const Limits& limits, RequestHead& out) {
  ParseResult found = findHead(buffer, limits);
  if (found.status != ParseStatus::kComplete) return found;
  const size_t head_len = found.consumed;
  std::string_view head = buffer.substr(0, head_len - 2);  // keep each line's CRLF
  while (head.substr(0, 2) == "\r\n") head.remove_prefix(2);
  size_t lf = head.find('\n');  // after a CR, as findHead() checked
  std::string_view line = head.substr(0, lf - 1);
  head.remove_prefix(lf + 1);
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return fail(400, "malformed request line");
  out.method = line.substr(0, sp1);
  out.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (!isToken(out.method)) return fail(400, "invalid method");
  if (!validTarget(out.target)) return fail(400, "invalid request target");
  int minor = parseVersion(line.substr(sp2 + 1));
  if (minor == -1) return fail(400, "malformed HTTP version");
  if (minor == -2) return fail(505, "HTTP version not supported");
  out.version_minor = minor;
  HeadFacts f;
  out.host = {};
  out.expect_continue = false;
  ParseResult fields = parseFields(head, limits, out.headers, f, out.host, out.expect_continue);
  if (fields.status == ParseStatus::kError) return fields;
  if (f.hosts > 1) return fail(400, "more than one Host header");
  if (minor == 1 && f.hosts == 0) return fail(400, "HTTP/1.1 request without Host");
  if (f.have_te && f.have_cl) return fail(400, "both Content-Length and Transfer-Encoding");
  if (f.have_te && (f.te_other || !f.te_chunked)) {
    return fail(501, "unsupported transfer encoding");
  }
  out.framing = f.have_te   ? Framing::kChunked
                : f.have_cl ? Framing::kContentLength
                            : Framing::kNone;
  out.content_length = f.have_cl ? f.cl : 0;
  out.keep_alive = minor == 1 ? !f.conn_close : (f.conn_keep_alive && !f.conn_close);
  out.upgrade = f.conn_upgrade && f.have_upgrade;
  if (minor == 0) out.expect_continue = false;
  out.head_bytes = head_len;
  return ParseResult{ParseStatus::kComplete, head_len, 0, {}};
}

ParseResult parseResponseHead(std::string_view buffer, const Limits& limits,
                              std::string_view request_method, ResponseHead& out) {
  ParseResult found = findHead(buffer, limits);
  if (found.status != ParseStatus::kComplete) return found;
  const size_t head_len = found.consumed;
  std::string_view head = buffer.substr(0, head_len - 2);
  while (head.substr(0, 2) == "\r\n") head.remove_prefix(2);
  size_t lf = head.find('\n');  // after a CR, as findHead() checked
  std::string_view line = head.substr(0, lf - 1);
  head.remove_prefix(lf + 1);
  // "HTTP/1.1 200 OK"; the reason phrase may be empty or absent.
  if (line.size() < 12 || line[8] != ' ' || (line.size() > 12 && line[12] != ' ')) {
    return fail(502, "malformed status line");
  }
  int minor = parseVersion(line.substr(0, 8));
  if (minor < 0) return fail(502, "unsupported HTTP version");
  int status = 0;
  auto digits = line.substr(9, 3);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + 3, status);
  if (ec != std::errc() || end != digits.data() + 3 || status < 100) {
    return fail(502, "malformed status code");
  }
  out.version_minor = minor;
  out.status = status;
  out.reason = line.size() > 13 ? line.substr(13) : std::string_view();
  if (!validValue(out.reason)) return fail(502, "invalid reason phrase");
  HeadFacts f;
  std::string_view host;
  bool expect = false;
  ParseResult fields = parseFields(head, limits, out.headers, f, host, expect);
  if (fields.status == ParseStatus::kError) {
    return fail(fields.error_status == 431 ? 431 : 502, fields.error);
  }
  if (f.have_te && f.have_cl) f.have_cl = false;  // RFC 9112 6.3: Transfer-Encoding wins
  out.keep_alive = minor == 1 ? !f.conn_close : (f.conn_keep_alive && !f.conn_close);
  out.content_length = 0;
  if (request_method == "HEAD" || status < 200 || status == 204 || status == 304) {
    out.framing = Framing::kNone;
  } else if (f.have_te && f.te_chunked && !f.te_other) {
    out.framing = Framing::kChunked;
  } else if (f.have_te) {
    out.framing = Framing::kUntilClose;
  } else if (f.have_cl) {
    out.framing = Framing::kContentLength;
    out.content_length = f.cl;
  } else {
    out.framing = Framing::kUntilClose;
  }
  if (out.framing == Framing::kUntilClose) out.keep_alive = false;
  out.head_bytes = head_len;
  return ParseResult{ParseStatus::kComplete, head_len, 0, {}};
}

}  // namespace meshroute::http
