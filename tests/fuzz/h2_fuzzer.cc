// Fuzzes what the proxy builds around nghttp2 on the HTTP/2 server side: the input (after the
// client preface) goes through a real nghttp2 server session whose callbacks fill RequestHeads
// with H2HeadBuilder, as H2Connection does; every completed head is finished and its response
// fields built. Besides the sanitizers, it checks the builder's promises: a head it accepts has
// an authority (or is CONNECT) and a body flag that agrees with the frames; the fields built
// for a response start with :status and never carry a connection-specific header; the session
// never asks to write more than it was given to answer.
#include <nghttp2/nghttp2.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "http/header_map.h"
#include "proxy/downstream/h2_codec.h"

namespace {

using meshroute::proxy::H2Field;
using meshroute::proxy::H2HeadBuilder;
using meshroute::proxy::RequestHead;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

struct Session {
  meshroute::http::Limits limits;
  std::map<int32_t, RequestHead> heads;
  std::map<int32_t, H2HeadBuilder> builders;
};

std::string_view view(const uint8_t* p, size_t n) { return {reinterpret_cast<const char*>(p), n}; }

int onBegin(nghttp2_session*, const nghttp2_frame* f, void* user) {
  auto* s = static_cast<Session*>(user);
  if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  auto [it, _] = s->builders.try_emplace(f->hd.stream_id, s->limits);
  it->second.begin(s->heads[f->hd.stream_id]);
  return 0;
}

int onHeader(nghttp2_session*, const nghttp2_frame* f, const uint8_t* name, size_t namelen,
             const uint8_t* value, size_t valuelen, uint8_t, void* user) {
  auto* s = static_cast<Session*>(user);
  auto it = s->builders.find(f->hd.stream_id);
  if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST ||
      it == s->builders.end()) {
    return 0;
  }
  it->second.add(s->heads[f->hd.stream_id], view(name, namelen), view(value, valuelen));
  return 0;
}

int onFrame(nghttp2_session*, const nghttp2_frame* f, void* user) {
  auto* s = static_cast<Session*>(user);
  if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  auto it = s->builders.find(f->hd.stream_id);
  if (it == s->builders.end()) return 0;
  RequestHead& head = s->heads[f->hd.stream_id];
  const bool end_stream = (f->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  const int status = it->second.finish(head, end_stream);
  check(status == 0 || status == 400 || status == 431);
  if (status == 0) {
    check(!head.authority.empty() || head.method == "CONNECT");
    check(!end_stream || !head.has_body);
    check(head.protocol == "HTTP/2");
  }
  // Echo the request's fields back as a response head, the way the router passes headers on.
  meshroute::proxy::ResponseStart start;
  start.status = 200;
  start.headers = &head.headers;
  start.has_body = head.has_body;
  start.length_known = head.length_known;
  start.content_length = head.content_length;
  std::string scratch;
  std::vector<H2Field> fields;
  meshroute::proxy::responseFields(start, scratch, fields);
  check(!fields.empty() && fields.front().name == ":status" && fields.front().value == "200");
  for (const H2Field& fld : fields) check(!meshroute::proxy::isConnectionSpecific(fld.name));
  meshroute::proxy::localReplyFields(431, "body", "x-a: 1\r\nbad line\r\n", scratch, fields);
  check(fields.front().name == ":status" && fields.front().value == "431");
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Session state;
  state.limits.max_head_bytes = 4096;  // small, so the limit is reached often
  state.limits.max_headers = 20;
  nghttp2_session_callbacks* cbs = nullptr;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, onBegin);
  nghttp2_session_callbacks_set_on_header_callback(cbs, onHeader);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, onFrame);
  nghttp2_session* session = nullptr;
  nghttp2_session_server_new(&session, cbs, &state);
  nghttp2_session_callbacks_del(cbs);
  std::string input(meshroute::proxy::kH2Preface);
  input.append(reinterpret_cast<const char*>(data), size);
  nghttp2_session_mem_recv(session, reinterpret_cast<const uint8_t*>(input.data()), input.size());
  size_t written = 0;
  const uint8_t* out = nullptr;
  for (ssize_t n = 0; (n = nghttp2_session_mem_send(session, &out)) > 0;) {
    written += static_cast<size_t>(n);
    check(written < 64 * 1024 * 1024);
  }
  nghttp2_session_del(session);
  return 0;
}
