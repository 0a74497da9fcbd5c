// Chunked bodies (RFC 9112 section 7.1) and the small token helpers shared by the parsers.
#include <algorithm>
#include <cstdint>

#include "http/h1.h"

namespace meshroute::http {
namespace {

enum State : int {
  kSizeStart = 0,  // expecting the first hex digit of a chunk size
  kSizeDigits,     // more hex digits, or the end of the size
  kSizeSpace,      // whitespace after the size: only ';' or CR may follow
  kSizeExt,        // chunk extensions up to CR
  kSizeLf,         // LF after the size line's CR
  kData,           // chunk payload
  kDataCr,         // CR after the payload
  kDataLf,         // LF after the payload
  kTrailerStart,   // start of a trailer line, or the final CRLF
  kTrailerLine,    // inside a trailer line
  kTrailerLf,      // LF ending a trailer line
  kEndLf,          // LF of the final CRLF
  kDone,
  kError,
};

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

void ChunkedDecoder::reset() {
  state_ = kSizeStart;
  remaining_ = 0;
  line_bytes_ = 0;
  trailer_bytes_ = 0;
}

ChunkedDecoder::Step ChunkedDecoder::feed(std::string_view input) {
  Step step;
  auto error = [&](std::string_view why) {
    state_ = kError;
    step.error = true;
    step.reason = why;
    return step;
  };
  if (state_ == kError) return error("malformed chunked encoding");
  size_t i = 0;
  while (i < input.size()) {
    if (state_ == kDone) break;
    if (state_ == kData) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, input.size() - i));
      step.payload = input.substr(i, n);
      remaining_ -= n;
      i += n;
      if (remaining_ == 0) state_ = kDataCr;
      step.consumed = i;
      return step;  // one payload span per step
    }
    const char c = input[i++];
    switch (state_) {
      case kSizeStart:
      case kSizeDigits: {
        int v = hexValue(c);
        if (v >= 0) {
          if (remaining_ > (UINT64_MAX >> 5)) return error("chunk size too large");
          remaining_ = remaining_ * 16 + static_cast<uint64_t>(v);
          state_ = kSizeDigits;
        } else if (state_ == kSizeStart) {
          return error("chunk size is not hexadecimal");
        } else if (c == '\r') {
          state_ = kSizeLf;
        } else if (c == ';') {
          state_ = kSizeExt;
        } else if (c == ' ' || c == '\t') {
          state_ = kSizeSpace;
        } else {
          return error("invalid character in chunk size");
        }
        if (++line_bytes_ > limits_.max_chunk_line) return error("chunk size line too long");
        break;
      }
      case kSizeSpace:
        // "1 2" must not be read as 1 by us and as 0x12 by the next hop.
        if (c == ';') {
          state_ = kSizeExt;
        } else if (c == '\r') {
          state_ = kSizeLf;
        } else if (c != ' ' && c != '\t') {
          return error("invalid character after chunk size");
        }
        if (++line_bytes_ > limits_.max_chunk_line) return error("chunk size line too long");
        break;
      case kSizeExt:
        if (c == '\r') {
          state_ = kSizeLf;
        } else if (static_cast<unsigned char>(c) < 0x20 && c != '\t') {
          return error("invalid character in chunk extension");
        }
        if (++line_bytes_ > limits_.max_chunk_line) return error("chunk size line too long");
        break;
      case kSizeLf:
        if (c != '\n') return error("chunk size line without CRLF");
        line_bytes_ = 0;
        state_ = remaining_ == 0 ? kTrailerStart : kData;
        break;
      case kDataCr:
        if (c != '\r') return error("chunk data longer than its size");
        state_ = kDataLf;
        break;
      case kDataLf:
        if (c != '\n') return error("chunk data without CRLF");
        state_ = kSizeStart;
        break;
      case kTrailerStart:
      case kTrailerLine:
        // Trailers are discarded here but may be forwarded raw, so they get the same byte
        // rules as header lines: CRLF endings and no control characters besides HTAB.
        if (c == '\r') {
          state_ = state_ == kTrailerStart ? kEndLf : kTrailerLf;
        } else if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) {
          return error("invalid character in trailers");
        } else if (state_ == kTrailerStart && (c == ' ' || c == '\t')) {
          return error("obsolete line folding in trailers");
        } else {
          state_ = kTrailerLine;
        }
        if (++trailer_bytes_ > limits_.max_trailer_bytes) return error("trailers too large");
        break;
      case kTrailerLf:
        if (c != '\n') return error("trailer line without CRLF");
        state_ = kTrailerStart;
        break;
      case kEndLf:
        if (c != '\n') return error("chunked body without final CRLF");
        state_ = kDone;
        break;
      default: return error("malformed chunked encoding");
    }
  }
  step.consumed = i;
  step.done = state_ == kDone;
  return step;
}

std::string_view findHeader(const std::vector<Header>& headers, std::string_view name) {
  for (const auto& h : headers) {
    if (iequals(h.name, name)) return h.value;
  }
  return {};
}

bool hasToken(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (iequals(item, token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace meshroute::http
