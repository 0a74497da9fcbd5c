"""End-to-end tests of HTTP/2 downstream (issue 15): real clients from Debian (curl
--http2-prior-knowledge, nghttp, h2load, python3-h2) against `meshroute run` on one port that
also speaks HTTP/1.1, with `meshroute echo` and a streaming Python backend behind it; and the
attacks HTTP/2 servers learned to survive (rapid reset, CONTINUATION and PING floods, oversized
header lists), each while another client keeps being served.
Usage: http2_test.py MESHROUTE_BINARY [unittest args]"""
import hashlib
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

BINARY = None
HOST = "reviews.default.svc.cluster.local:9080"
BIG = "big.default.svc.cluster.local:9080"

ROUTES = """apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews.default.svc.cluster.local
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
  - {name: v3, labels: {version: v3}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews.default.svc.cluster.local]
  http:
  - match: [{headers: {x-user: {exact: beta}}}]
    route: [{destination: {host: reviews.default.svc.cluster.local, subset: v2}}]
  - match: [{uri: {prefix: /v3}}]
    route: [{destination: {host: reviews.default.svc.cluster.local, subset: v3}}]
  - match: [{uri: {prefix: /split}}]
    route:
    - {destination: {host: reviews.default.svc.cluster.local, subset: v1}, weight: 80}
    - {destination: {host: reviews.default.svc.cluster.local, subset: v3}, weight: 20}
  - route: [{destination: {host: reviews.default.svc.cluster.local, subset: v1}}]
"""


class StreamingBackend:
    """An HTTP/1.1 backend that answers GET /big/N with N bytes, written in 64 KiB pieces with
    blocking sends, and records how many it has handed to the kernel: a proxy that stops
    reading (because its client does) stops this counter."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.sent = 0
        self.done = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(c,), daemon=True).start()

    def _one(self, c):
        with c:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = c.recv(4096)
                if not chunk:
                    return
                head += chunk
            n = int(re.search(rb"GET /big/(\d+)", head).group(1))
            c.sendall(f"HTTP/1.1 200 OK\r\ncontent-length: {n}\r\n"
                      "content-type: application/octet-stream\r\n\r\n".encode())
            piece = bytes(range(256)) * 256
            left = n
            try:
                while left > 0:
                    k = min(left, len(piece))
                    c.sendall(piece[:k])
                    left -= k
                    self.sent += k
            except OSError:
                return
            self.done.set()

    def stop(self):
        self.sock.close()


def expected_big(n):
    piece = bytes(range(256)) * 256
    return (piece * (n // len(piece) + 1))[:n]


def stat(proxy, name):
    text = proxy.admin_get("/stats/prometheus")[1]
    m = re.search(rf"^{re.escape(name)} (-?\d+)$", text, re.M)
    return int(m.group(1)) if m else None


def curl(*args):
    return subprocess.run(["curl", "-sS", *args], capture_output=True, timeout=60)


class Http2Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = harness.TempDir()
        cls.echos = {n: harness.Echo(BINARY, f"reviews-{n}", n) for n in ("v1", "v2", "v3")}
        cls.streamer = StreamingBackend()
        docs = [harness.service_yaml("reviews", 9080,
                                     [(n, e.port) for n, e in cls.echos.items()]),
                harness.service_yaml("big", 9080, [("v1", cls.streamer.port)]),
                ROUTES]
        cls.dir.write("mesh.yaml", "---\n".join(docs))
        cls.proxy = harness.Proxy(BINARY, [cls.dir.path], ["--workers", "2"])
        cls.url = f"http://127.0.0.1:{cls.proxy.port}"

    @classmethod
    def tearDownClass(cls):
        cls.proxy.stop()
        for e in cls.echos.values():
            e.stop()
        cls.streamer.stop()
        cls.dir.cleanup()

    # --- real clients
    def test_curl_prior_knowledge_routes_by_header_and_path(self):
        out = curl("--http2-prior-knowledge", "-D", "-", "-H", f"host: {HOST}",
                   "-H", "x-user: beta", f"{self.url}/hello")
        head, _, body = out.stdout.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/2 200"), out.stdout[:200] + out.stderr)
        j = json.loads(body)
        self.assertEqual((j["name"], j["path"]), ("reviews-v2", "/hello"))
        # The HTTP/1.1 upstream got a Host header from :authority and no HTTP/2 leftovers.
        self.assertEqual(j["headers"]["host"], HOST)
        self.assertNotIn("content-length", j["headers"], "a GET without a body has none")
        out = curl("--http2-prior-knowledge", "-H", f"host: {HOST}", f"{self.url}/v3/x")
        self.assertEqual(json.loads(out.stdout)["name"], "reviews-v3")
        harness.wait_until(lambda: any('"GET /v3/x HTTP/2" 200' in l
                                       for l in self.proxy.p.lines("out")), "HTTP/2 in the log")

    def test_the_same_port_still_speaks_http11(self):
        out = curl("-D", "-", "-H", f"host: {HOST}", f"{self.url}/plain")
        self.assertTrue(out.stdout.startswith(b"HTTP/1.1 200"), out.stdout[:100])

    def test_h2c_upgrade_is_not_taken_as_envoy_does(self):
        out = curl("--http2", "-D", "-", "-H", f"host: {HOST}", f"{self.url}/upgrade-me")
        self.assertTrue(out.stdout.startswith(b"HTTP/1.1 200"), out.stdout[:100])
        j = json.loads(out.stdout.partition(b"\r\n\r\n")[2])
        self.assertNotIn("upgrade", j["headers"])
        self.assertNotIn("http2-settings", j["headers"])

    def test_nghttp_multiplexes_several_requests_on_one_connection(self):
        uris = [f"{self.url}/n{i}" for i in range(5)]
        out = subprocess.run(["nghttp", "-nv", "-H", f":authority: {HOST}", *uris],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.count(":status: 200"), 5, out.stdout[-2000:])

    def test_h2load_100_concurrent_streams_on_one_connection(self):
        before = stat(self.proxy, "envoy_http_downstream_cx_total")
        out = subprocess.run(["h2load", "-n", "2000", "-c", "1", "-m", "100",
                              "-H", f":authority: {HOST}", f"{self.url}/load"],
                             capture_output=True, text=True, timeout=120)
        self.assertIn("2000 succeeded", out.stdout, out.stdout)
        self.assertIn("status codes: 2000 2xx", out.stdout, out.stdout)
        self.assertEqual(stat(self.proxy, "envoy_http_downstream_cx_total") - before, 1,
                         "h2load -c 1 -m 100: one connection carried all of it")

    def test_weighted_split_over_multiplexed_streams(self):
        c = harness.H2Client(self.proxy.port)
        counts = {}
        n = 1000
        try:
            for _ in range(n // 100):
                ids = [c.start("GET", "/split", HOST) for _ in range(100)]
                for sid in ids:
                    r = c.wait(sid)
                    self.assertEqual(r["status"], 200)
                    name = r["headers"]["x-echo-name"]
                    counts[name] = counts.get(name, 0) + 1
        finally:
            c.close()
        self.assertEqual(set(counts), {"reviews-v1", "reviews-v3"})
        # 80% of 1000: sd ~1.3 points; +-6.5 points is 5 sigma.
        self.assertAlmostEqual(counts["reviews-v1"] / n, 0.80, delta=0.065)

    # --- bodies and flow control
    def test_5mib_upload_with_and_without_content_length(self):
        data = os.urandom(5 * 1024 * 1024)
        path = os.path.join(self.dir.path, "upload.bin")
        with open(path, "wb") as f:
            f.write(data)
        out = curl("--http2-prior-knowledge", "-H", f"host: {HOST}", "--data-binary",
                   f"@{path}", f"{self.url}/upload")
        j = json.loads(out.stdout)
        self.assertEqual(j["body_bytes"], len(data))
        self.assertEqual(j["headers"]["content-length"], str(len(data)))
        # No content-length: the HTTP/1.1 upstream gets it chunked.
        c = harness.H2Client(self.proxy.port)
        try:
            sid = c.start("POST", "/upload-chunked", HOST, end=False)
            c.send_body(sid, data)
            r = c.wait(sid)
        finally:
            c.close()
        j = json.loads(r["body"])
        self.assertEqual(j["body_bytes"], len(data))
        self.assertEqual(j["headers"]["transfer-encoding"], "chunked")

    def test_a_slow_reader_stops_the_upstream_instead_of_filling_the_proxy(self):
        n = 64 * 1024 * 1024
        c = harness.H2Client(self.proxy.port)
        try:
            sid = c.start("GET", f"/big/{n}", BIG)
            # The client reads nothing: its window (65,535 bytes by default) fills, the proxy's
            # queue reaches its high-water mark, and the proxy stops reading the upstream.
            last = [-1]

            def stalled():
                now = self.streamer.sent
                still = now == last[0] and now > 0
                last[0] = now
                return still
            harness.wait_until(stalled, "the upstream's writes to stall", timeout=30)
            self.assertLess(self.streamer.sent, 24 * 1024 * 1024,
                            "the proxy read far ahead of its client")
            r = c.wait(sid)
        finally:
            c.close()
        self.assertEqual(r["status"], 200)
        self.assertEqual(len(r["body"]), n)
        self.assertEqual(hashlib.sha256(r["body"]).digest(),
                         hashlib.sha256(expected_big(n)).digest())

    def test_stream_reset_mid_upload_leaves_the_connection_serving(self):
        before = stat(self.proxy, "envoy_http2_rx_reset")
        c = harness.H2Client(self.proxy.port)
        try:
            sid = c.start("POST", "/abandoned", HOST, end=False)
            c.send_body(sid, b"x" * 100000, end=False)
            c.reset(sid)
            status, _, body = c.request("GET", "/after", HOST)
            self.assertEqual(status, 200)
            self.assertEqual(json.loads(body)["path"], "/after")
        finally:
            c.close()
        harness.wait_until(lambda: stat(self.proxy, "envoy_http2_rx_reset") > before,
                           "the reset counted")

    def test_oversized_header_list_is_431(self):
        before = stat(self.proxy, "envoy_http2_header_overflow")
        c = harness.H2Client(self.proxy.port)
        try:
            status, _, _ = c.request("GET", "/", HOST, {"x-big": "a" * (61 * 1024)})
            self.assertEqual(status, 431)
            status, _, _ = c.request("GET", "/", HOST)
            self.assertEqual(status, 200, "the connection goes on after a 431")
        finally:
            c.close()
        self.assertEqual(stat(self.proxy, "envoy_http2_header_overflow"), before + 1)

    def test_local_replies_over_http2(self):
        c = harness.H2Client(self.proxy.port)
        try:
            status, h, body = c.request("GET", "/", "nowhere.invalid.local:9080")
        finally:
            c.close()
        # No route: Envoy's 404 NR (or a passthrough 503) answered on the stream itself.
        self.assertIn(status, (404, 503), body)
        self.assertEqual(h["server"], "envoy")


def frame(ftype, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + \
        struct.pack(">I", stream) + payload


PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def read_until_closed(sock, limit=30.0):
    """Reads (and drops) until the proxy closes the connection; returns the bytes' frame
    types seen (GOAWAY = 7)."""
    sock.settimeout(limit)
    types, buf = set(), b""
    try:
        while True:
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            buf += chunk
            while len(buf) >= 9:
                length = int.from_bytes(buf[:3], "big")
                if len(buf) < 9 + length:
                    break
                types.add(buf[3])
                buf = buf[9 + length:]
    except (ConnectionResetError, BrokenPipeError):
        pass
    return types


class Http2AttackTest(unittest.TestCase):
    """Each attack on its own connection; the proxy ends that connection and keeps serving
    another client meanwhile."""

    @classmethod
    def setUpClass(cls):
        cls.dir = harness.TempDir()
        cls.echo = harness.Echo(BINARY, "reviews-v1", "v1")
        cls.dir.write("mesh.yaml", harness.service_yaml("reviews", 9080, [("v1", cls.echo.port)]))
        cls.proxy = harness.Proxy(BINARY, [cls.dir.path])
        cls.h2 = harness._import_h2()
        import hpack
        cls.hpack = hpack

    @classmethod
    def tearDownClass(cls):
        cls.proxy.stop()
        cls.echo.stop()
        cls.dir.cleanup()

    def assert_others_served(self):
        c = harness.H2Client(self.proxy.port)
        try:
            status, _, _ = c.request("GET", "/still-here", HOST)
        finally:
            c.close()
        self.assertEqual(status, 200)

    def request_block(self, extra=()):
        enc = self.hpack.Encoder()
        return enc.encode([(":method", "GET"), (":path", "/"), (":scheme", "http"),
                           (":authority", HOST), *extra])

    def test_rapid_reset_ends_the_connection(self):
        s = socket.create_connection(("127.0.0.1", self.proxy.port), timeout=10)
        try:
            s.sendall(PREFACE + frame(4, 0, 0))
            block = self.request_block()
            burst = b""
            for i in range(3000):
                sid = 2 * i + 1
                # HEADERS (END_STREAM|END_HEADERS) then RST_STREAM CANCEL at once.
                burst += frame(1, 0x5, sid, block) + frame(3, 0, sid, struct.pack(">I", 8))
                if len(burst) > 64 * 1024:
                    try:
                        s.sendall(burst)
                    except OSError:
                        break
                    burst = b""
            types = read_until_closed(s)
        finally:
            s.close()
        self.assertIn(7, types, "the proxy answers a rapid reset flood with GOAWAY")
        self.assert_others_served()

    def test_continuation_flood_ends_the_connection(self):
        before = stat(self.proxy, "envoy_http2_rx_messaging_error")
        s = socket.create_connection(("127.0.0.1", self.proxy.port), timeout=10)
        try:
            s.sendall(PREFACE + frame(4, 0, 0))
            block = self.request_block([(f"x-h{i}", "v" * 20) for i in range(100)])
            pieces = [block[i:i + 40] for i in range(0, len(block), 40)]
            data = frame(1, 0x1, 1, pieces[0])  # HEADERS, END_STREAM, no END_HEADERS
            for p in pieces[1:]:
                data += frame(9, 0, 1, p)  # CONTINUATION without END_HEADERS
            try:
                s.sendall(data)
            except OSError:
                pass
            types = read_until_closed(s)
        finally:
            s.close()
        self.assertIn(7, types, "GOAWAY after too many CONTINUATION frames")
        harness.wait_until(
            lambda: stat(self.proxy, "envoy_http2_rx_messaging_error") > before, "counted")
        self.assert_others_served()

    def test_ping_flood_with_unread_acks_ends_the_connection(self):
        before = stat(self.proxy, "envoy_http2_outbound_control_flood")
        s = socket.create_connection(("127.0.0.1", self.proxy.port), timeout=10)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        try:
            s.sendall(PREFACE + frame(4, 0, 0))
            ping = frame(6, 0, 0, b"12345678") * 4096
            try:
                for _ in range(200):  # ~14 MB of PINGs, none of the acks read
                    s.sendall(ping)
            except OSError:
                pass  # the proxy closed it mid-flood
        finally:
            s.close()
        harness.wait_until(
            lambda: stat(self.proxy, "envoy_http2_outbound_control_flood") > before,
            "the flood counted")
        self.assert_others_served()


class Http2DrainTest(unittest.TestCase):
    def test_sigterm_sends_goaway_and_finishes_the_stream_in_flight(self):
        d = harness.TempDir()
        echo = harness.Echo(BINARY, "reviews-v1", "v1")
        try:
            d.write("mesh.yaml", harness.service_yaml("reviews", 9080, [("v1", echo.port)]))
            proxy = harness.Proxy(BINARY, [d.path])
            # nghttp prints every frame it receives (-v): the GOAWAY and the stream's answer.
            client = subprocess.Popen(
                ["nghttp", "-v", "-H", f":authority: {HOST}",
                 f"http://127.0.0.1:{proxy.port}/delay/1s"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            try:
                harness.wait_until(lambda: stat(proxy, "envoy_http_downstream_rq_active") == 1,
                                   "request in flight")
                proxy.p.proc.send_signal(signal.SIGTERM)
                out, err = client.communicate(timeout=30)
            finally:
                if client.poll() is None:
                    client.kill()
            self.assertEqual(client.returncode, 0, err)
            # nghttp's request is stream 13 (it opens 1-11 as priority anchors): the GOAWAY
            # lets it finish.
            self.assertRegex(out, r"recv GOAWAY frame[^\n]*\n[^\n]*last_stream_id=13, "
                                  r"error_code=NO_ERROR")
            self.assertIn(":status: 200", out)
            self.assertIn('"path":"/delay/1s"', out)
            self.assertEqual(proxy.p.proc.wait(20), 0)
            proxy.stop()
        finally:
            echo.stop()
            d.cleanup()


if __name__ == "__main__":
    BINARY = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
