"""End-to-end tests of ServiceEntry DNS endpoints (issue 14, section 6): a real `meshroute run`
resolves hostname endpoints with c-ares against a real DNS server on 127.0.0.1 (a small UDP
server in this test, answering A records from a table the test changes), never on a
request's path. `resolution: DNS` (Envoy's STRICT_DNS) makes every address an endpoint;
`DNS_ROUND_ROBIN` (LOGICAL_DNS) takes the first; answers are looked up again at their TTL
(floored at Envoy's 5 s), so traffic follows a changed record; a name that does not resolve
answers 503 UH while every other cluster keeps serving.
Usage: dns_test.py MESHROUTE_BINARY"""
import os
import socket
import struct
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

BINARY = None


class DnsServer:
    """Answers A queries for the names in `records` ({name: ([ip...], ttl)}) and NXDOMAIN for
    the rest; names in `silent` get no answer at all. Counts the queries per name."""

    def __init__(self):
        self.records, self.silent, self.queries = {}, set(), {}
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            reply = self.answer(data)
            if reply:
                self.sock.sendto(reply, peer)

    def answer(self, query):
        if len(query) < 12:
            return None
        qid, _flags, qdcount = struct.unpack("!HHH", query[:6])
        if qdcount != 1:
            return None
        labels, i = [], 12
        while query[i] != 0:
            labels.append(query[i + 1:i + 1 + query[i]].decode().lower())
            i += 1 + query[i]
        qtype, qclass = struct.unpack("!HH", query[i + 1:i + 5])
        question = query[12:i + 5]
        name = ".".join(labels)
        with self.lock:
            self.queries[name] = self.queries.get(name, 0) + 1
            if name in self.silent:
                return None
            record = self.records.get(name)
        rcode = 0 if record else 3  # NXDOMAIN
        answers = []
        if record and qtype == 1 and qclass == 1:
            ips, ttl = record
            for ip in ips:
                answers.append(struct.pack("!HHHIH", 0xC00C, 1, 1, ttl, 4) + socket.inet_aton(ip))
        header = struct.pack("!HHHHHH", qid, 0x8180 | rcode, 1, len(answers), 0, 0)
        return header + question + b"".join(answers)

    def set(self, name, ips, ttl):
        with self.lock:
            self.records[name] = (ips, ttl)

    def count(self, name):
        with self.lock:
            return self.queries.get(name, 0)

    def close(self):
        self.sock.close()


def dns_service(name, host, port, resolution, endpoint_hosts=None):
    endpoints = ""
    if endpoint_hosts:
        endpoints = "  endpoints: [" + ", ".join(
            f"{{address: {h}, ports: {{http: {port}}}}}" for h in endpoint_hosts) + "]\n"
    return f"""apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {{name: {name}, namespace: default}}
spec:
  hosts: [{host}]
  location: MESH_EXTERNAL
  ports: [{{number: {port}, name: http, protocol: HTTP}}]
  resolution: {resolution}
{endpoints}"""


class DnsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dns = DnsServer()
        cls.addClassCleanup(cls.dns.close)
        # Three backends on one port number, on three loopback addresses.
        first = harness.Echo(BINARY, "backend-1")
        cls.addClassCleanup(first.stop)
        port = cls.port = first.port
        for i in (2, 3):
            b = harness.Proc([BINARY, "echo", "--listen", f"127.0.0.{i}:{port}",
                              "--name", f"backend-{i}"], env=harness._env())
            b.wait_line(rf"listening on 127\.0\.0\.{i}:{port}", stream="out")
            cls.addClassCleanup(b.stop)
        cls.dns.set("pool.test.example", ["127.0.0.1", "127.0.0.2"], 300)
        cls.dns.set("moving.test.example", ["127.0.0.1"], 1)
        cls.dir = harness.TempDir()
        cls.addClassCleanup(cls.dir.cleanup)
        docs = [
            dns_service("strict", "pool.test.example", port, "DNS"),
            dns_service("logical", "logical.test.example", port, "DNS_ROUND_ROBIN",
                        ["pool.test.example"]),
            dns_service("moving", "moving.test.example", port, "DNS"),
            dns_service("missing", "missing.test.example", port, "DNS"),
            dns_service("silent", "silent.test.example", port, "DNS"),
        ]
        cls.dns.silent.add("silent.test.example")
        cls.dir.write("mesh.yaml", "---\n".join(docs))
        cls.proxy = harness.Proxy(BINARY, [cls.dir.path],
                                  ["--workers", "2", "--dns-server", f"127.0.0.1:{cls.dns.port}"])
        cls.addClassCleanup(cls.proxy.stop)

    def reach(self, host, n):
        """The backends n requests (each on its own connection) reached."""
        seen = {}
        for _ in range(n):
            status, headers, body = self.proxy.request("/", host=f"{host}:{self.port}")
            self.assertEqual(status, 200, body)
            name = headers.get("x-echo-name")
            seen[name] = seen.get(name, 0) + 1
        return seen

    def test_strict_dns_makes_every_address_an_endpoint(self):
        seen = self.reach("pool.test.example", 40)
        self.assertEqual(set(seen), {"backend-1", "backend-2"}, seen)
        clusters = self.proxy.admin_get("/clusters")[1]
        cluster = f"outbound|{self.port}||pool.test.example"
        for ip in ("127.0.0.1", "127.0.0.2"):
            self.assertIn(f"{cluster}::{ip}:{self.port}::hostname::pool.test.example", clusters)

    def test_logical_dns_takes_the_first_address(self):
        self.assertEqual(set(self.reach("logical.test.example", 20)), {"backend-1"})

    def test_lookups_happen_off_the_request_path(self):
        before = self.dns.count("pool.test.example")
        self.reach("pool.test.example", 30)
        # 30 connections, 30 requests: at most a refresh's lookup, not one per connection.
        self.assertLessEqual(self.dns.count("pool.test.example") - before, 2)

    def test_a_name_that_does_not_resolve_answers_503_uh(self):
        self.proxy.p.wait_line(r"dns: missing\.test\.example does not resolve")
        status, headers, body = self.proxy.request("/", host=f"missing.test.example:{self.port}")
        self.assertEqual(status, 503, body)
        self.assertEqual(body, b"no healthy upstream")
        # A server that never answers holds up nothing else.
        status, headers, body = self.proxy.request("/", host=f"silent.test.example:{self.port}")
        self.assertEqual(status, 503, body)
        self.assertEqual(set(self.reach("pool.test.example", 4)) <= {"backend-1", "backend-2"},
                         True)

    def test_a_reload_brings_new_names(self):
        self.dns.set("later.test.example", ["127.0.0.2"], 300)
        version = self.proxy.config_version()
        self.dir.write("later.yaml", dns_service("later", "later.test.example", self.port, "DNS"))
        harness.wait_until(lambda: self.proxy.config_version() > version, "the reload")
        # The reload waited for the new name's first answer before it served.
        self.assertEqual(set(self.reach("later.test.example", 4)), {"backend-2"})

    def test_traffic_follows_a_changed_record_after_its_ttl(self):
        self.assertEqual(set(self.reach("moving.test.example", 4)), {"backend-1"})
        self.dns.set("moving.test.example", ["127.0.0.3"], 1)
        # The TTL (1 s) floored at 5 s: looked up again within about 5 s.
        harness.wait_until(lambda: set(self.reach("moving.test.example", 2)) == {"backend-3"},
                           "traffic on the new address", timeout=15)
        self.assertEqual(set(self.reach("moving.test.example", 10)), {"backend-3"})


if __name__ == "__main__":
    BINARY = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
