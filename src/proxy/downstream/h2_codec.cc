#include "proxy/downstream/h2_codec.h"

#include <fmt/format.h>

#include <chrono>
#include <ctime>

namespace meshroute::proxy {

namespace {

// HPACK's accounting (RFC 7541 section 4.1): a field costs its name, its value and 32 octets.
constexpr size_t kFieldOverhead = 32;

}  // namespace

PrefaceMatch matchPreface(std::string_view first_bytes) {
  const size_t n = std::min(first_bytes.size(), kH2Preface.size());
  if (first_bytes.substr(0, n) != kH2Preface.substr(0, n)) return PrefaceMatch::kNo;
  return n == kH2Preface.size() ? PrefaceMatch::kYes : PrefaceMatch::kPartial;
}

bool isConnectionSpecific(std::string_view n) {
  return n == "connection" || n == "keep-alive" || n == "proxy-connection" ||
         n == "transfer-encoding" || n == "upgrade";
}

void H2HeadBuilder::begin(RequestHead& head) {
  head.method.clear();
  head.target.clear();
  head.authority.clear();
  head.headers.clear();
  head.content_length = 0;
  head.length_known = false;
  cookie_.clear();
  bytes_ = 0;
  count_ = 0;
  over_limit_ = false;
  saw_content_length_ = false;
}

void H2HeadBuilder::add(RequestHead& head, std::string_view name, std::string_view value) {
  bytes_ += name.size() + value.size() + kFieldOverhead;
  ++count_;
  if (bytes_ > limits_.max_head_bytes || count_ > limits_.max_headers) over_limit_ = true;
  if (over_limit_) return;  // nothing more is kept: the stream is answered 431
  if (!name.empty() && name.front() == ':') {
    // nghttp2 checked the pseudo-headers (known names, no repeats, before regular fields).
    if (name == ":method") {
      head.method.assign(value);
    } else if (name == ":path") {
      head.target.assign(value);
    } else if (name == ":authority") {
      head.authority.assign(value);
    }
    return;  // :scheme is implied by the listener; :protocol is refused by nghttp2
  }
  if (name == "cookie") {
    // HTTP/2 lets a client split cookies into fields; HTTP/1.1 wants one header (RFC 9113
    // section 8.2.3), joined as Envoy joins them.
    if (!cookie_.empty()) cookie_ += "; ";
    cookie_.append(value);
    return;
  }
  if (name == "content-length") {
    uint64_t v = 0;
    for (char c : value) v = v * 10 + static_cast<uint64_t>(c - '0');  // nghttp2 checked digits
    head.content_length = v;
    saw_content_length_ = true;
  }
  head.headers.add(name, value);
}

int H2HeadBuilder::finish(RequestHead& head, bool end_stream) {
  head.protocol.assign("HTTP/2");
  head.version_minor = 1;
  head.keep_alive = true;
  head.upgrade = false;
  head.expect_continue = false;
  if (over_limit_) return 431;
  if (!cookie_.empty()) head.headers.add("cookie", cookie_);
  if (head.authority.empty()) head.authority.assign(head.headers.get("host"));
  if (head.authority.empty() && head.method != "CONNECT") return 400;
  // No content-length: the upstream gets none either (no body) or a chunked body.
  head.length_known = saw_content_length_;
  head.has_body = !end_stream && !(saw_content_length_ && head.content_length == 0);
  return 0;
}

void responseFields(const ResponseStart& start, std::string& scratch, std::vector<H2Field>& out) {
  scratch.clear();
  out.clear();
  fmt::format_to(std::back_inserter(scratch), "{}", start.status);
  const size_t status_len = scratch.size();
  const bool length = start.has_body && start.length_known;
  if (length) fmt::format_to(std::back_inserter(scratch), "{}", start.content_length);
  const std::string_view all = scratch;  // no more appends: the views below stay valid
  out.push_back({":status", all.substr(0, status_len)});
  const http::HeaderMap& hm = *start.headers;
  for (size_t i = 0; i < hm.size(); ++i) {
    const std::string_view name = hm.name(i);
    if (isConnectionSpecific(name) || name == "content-length") continue;
    out.push_back({name, hm.value(i)});
  }
  if (length) out.push_back({"content-length", all.substr(status_len)});
}

void localReplyFields(int status, std::string_view body, std::string_view extra_headers,
                      std::string& scratch, std::vector<H2Field>& out) {
  scratch.clear();
  out.clear();
  fmt::format_to(std::back_inserter(scratch), "{}", status);
  const size_t status_len = scratch.size();
  fmt::format_to(std::back_inserter(scratch), "{}", body.size());
  const size_t length_end = scratch.size();
  std::array<char, 64> date{};
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  scratch.append(date.data(),
                 std::strftime(date.data(), date.size(), "%a, %d %b %Y %H:%M:%S GMT", &tm));
  const std::string_view all = scratch;
  out.push_back({":status", all.substr(0, status_len)});
  if (!body.empty()) out.push_back({"content-type", "text/plain"});
  out.push_back({"content-length", all.substr(status_len, length_end - status_len)});
  out.push_back({"date", all.substr(length_end)});
  out.push_back({"server", "envoy"});
  // The extra headers are the proxy's own lines ("name: value\r\n", names lower-case).
  std::string_view rest = extra_headers;
  while (!rest.empty()) {
    const size_t eol = rest.find("\r\n");
    const std::string_view line = rest.substr(0, eol);
    rest.remove_prefix(eol == std::string_view::npos ? rest.size() : eol + 2);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    const std::string_view name = line.substr(0, colon);
    if (!isConnectionSpecific(name)) out.push_back({name, value});
  }
}

}  // namespace meshroute::proxy
