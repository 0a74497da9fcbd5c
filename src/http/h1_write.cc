// Writers for heads and chunked bodies. Numbers are formatted into stack buffers with
// std::to_chars, so the only allocation is `out` growing, which a reused string stops doing.
#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

#include "http/h1.h"

namespace meshroute::http {
namespace {

// Long enough for any uint64_t in decimal (20 digits) or hex (16).
using NumberBuffer = std::array<char, 24>;

std::string_view formatNumber(NumberBuffer& buf, uint64_t value, int base) {
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value, base);
  (void)ec;  // cannot fail: the buffer holds the longest value
  return {buf.data(), static_cast<size_t>(end - buf.data())};
}

void appendVersion(std::string& out, int version_minor) {
  out.append("HTTP/1.");
  out.push_back(version_minor == 0 ? '0' : '1');
}

}  // namespace

void appendStatusLine(std::string& out, int status, int version_minor) {
  appendStatusLine(out, status, reasonPhrase(status), version_minor);
}

void appendStatusLine(std::string& out, int status, std::string_view reason, int version_minor) {
  appendVersion(out, version_minor);
  out.push_back(' ');
  NumberBuffer buf;
  // Status codes outside 100-999 are a caller bug; write them as they are rather than guess.
  out.append(formatNumber(buf, static_cast<uint64_t>(status < 0 ? 0 : status), 10));
  out.push_back(' ');
  out.append(reason);
  out.append("\r\n");
}

void appendRequestLine(std::string& out, std::string_view method, std::string_view target,
                       int version_minor) {
  out.append(method);
  out.push_back(' ');
  out.append(target);
  out.push_back(' ');
  appendVersion(out, version_minor);
  out.append("\r\n");
}

void appendHeader(std::string& out, std::string_view name, std::string_view value) {
  // One growth and two copies instead of four appends (each with its own capacity check and
  // terminator): heads are mostly these lines.
  const size_t at = out.size();
  const size_t line = name.size() + value.size() + 4;
  if (out.capacity() - at < line) out.reserve(std::max(2 * out.capacity(), at + line));
  out.resize(at + line);
  char* p = out.data() + at;
  std::memcpy(p, name.data(), name.size());
  p += name.size();
  p[0] = ':';
  p[1] = ' ';
  p += 2;
  std::memcpy(p, value.data(), value.size());
  p += value.size();
  p[0] = '\r';
  p[1] = '\n';
}

void appendHeader(std::string& out, std::string_view name, uint64_t value) {
  NumberBuffer buf;
  appendHeader(out, name, formatNumber(buf, value, 10));
}

void appendHeadEnd(std::string& out) { out.append("\r\n"); }

void appendChunk(std::string& out, std::string_view data) {
  if (data.empty()) return;
  NumberBuffer buf;
  out.append(formatNumber(buf, data.size(), 16));
  out.append("\r\n");
  out.append(data);
  out.append("\r\n");
}

void appendLastChunk(std::string& out) { out.append("0\r\n\r\n"); }

// Envoy's phrases (its CodeUtility::toString): codes it does not name are "Unknown".
std::string_view reasonPhrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 207: return "Multi-Status";
    case 208: return "Already Reported";
    case 226: return "IM Used";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 305: return "Use Proxy";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Entity";
    case 423: return "Locked";
    case 424: return "Failed Dependency";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    case 506: return "Variant Also Negotiates";
    case 507: return "Insufficient Storage";
    case 508: return "Loop Detected";
    case 510: return "Not Extended";
    case 511: return "Network Authentication Required";
    default: return "Unknown";
  }
}

}  // namespace meshroute::http
