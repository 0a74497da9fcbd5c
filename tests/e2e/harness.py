"""Process management for end-to-end tests: real `meshroute run` and `meshroute echo`
processes on 127.0.0.1, ports chosen by the kernel (port 0) and read back from the processes'
own "listening on" lines, readiness awaited with deadlines (never bare sleeps)."""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

DEADLINE = 20.0  # seconds any single wait may take

# The protocol the tests' requests use: "1.1", or "2" to run the same tests over HTTP/2 with
# prior knowledge (ctest registers the routing and policy suites both ways).
PROTOCOL = os.environ.get("MESHROUTE_E2E_HTTP", "1.1")
HTTP2 = PROTOCOL == "2"
# How the access log spells the protocol of the tests' requests.
LOG_PROTOCOL = "HTTP/2" if HTTP2 else "HTTP/1.1"


def http1_only(test):
    """Skips a test over HTTP/2: it is about HTTP/1.x framing (raw bytes, pipelining,
    Expect, upgrades, HTTP/1.0), which HTTP/2 does not have."""
    import unittest
    return unittest.skipIf(HTTP2, "about HTTP/1.x framing")(test)


def _import_h2():
    # Debian's python3-h2 lives in the system's dist-packages; the tests may run under
    # another interpreter of the same version.
    try:
        import h2.connection  # noqa: F401
    except ImportError:
        import sys
        sys.path.append("/usr/lib/python3/dist-packages")
    import h2.config
    import h2.connection
    import h2.events
    return h2


class H2Client:
    """One HTTP/2 connection with prior knowledge (Debian's python3-h2), requests one at a
    time or several at once; the counterpart of http.client.HTTPConnection for the tests."""

    def __init__(self, port, timeout=DEADLINE):
        self.h2 = _import_h2()
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.conn = self.h2.connection.H2Connection(
            config=self.h2.config.H2Configuration(client_side=True, header_encoding=None))
        self.conn.initiate_connection()
        self.sock.sendall(self.conn.data_to_send())
        self.responses = {}  # stream id -> {"status", "headers", "body", "done", "reset"}
        self.goaway = None

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def start(self, method, path, host, headers=None, body=None, end=True):
        sid = self.conn.get_next_available_stream_id()
        fields = [(":method", method), (":path", path), (":scheme", "http"),
                  (":authority", host)]
        fields += [(k.lower(), str(v)) for k, v in (headers or {}).items()
                   if k.lower() != "host"]
        if body is not None and not any(k == "content-length" for k, _ in fields):
            fields.append(("content-length", str(len(body))))
        self.responses[sid] = {"status": None, "headers": {}, "body": bytearray(), "done": False,
                               "reset": None}
        self.conn.send_headers(sid, fields, end_stream=body is None and end)
        self.sock.sendall(self.conn.data_to_send())
        if body is not None:
            self.send_body(sid, body, end)
        return sid

    def send_body(self, sid, body, end=True):
        view = memoryview(body)
        while view:
            window = min(self.conn.local_flow_control_window(sid),
                         self.conn.max_outbound_frame_size)
            if window <= 0:
                self._read_once()  # wait for WINDOW_UPDATE
                if self.responses[sid]["done"]:
                    return
                continue
            self.conn.send_data(sid, bytes(view[:window]))
            view = view[window:]
            self.sock.sendall(self.conn.data_to_send())
        if end:
            self.conn.end_stream(sid)
            self.sock.sendall(self.conn.data_to_send())

    def reset(self, sid):
        self.conn.reset_stream(sid)
        self.sock.sendall(self.conn.data_to_send())

    def _read_once(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("connection closed by the proxy")
        ev = self.h2.events
        for e in self.conn.receive_data(data):
            r = self.responses.get(getattr(e, "stream_id", None))
            if isinstance(e, ev.ResponseReceived):
                for k, v in e.headers:
                    k, v = k.decode(), v.decode()
                    if k == ":status":
                        r["status"] = int(v)
                    else:
                        r["headers"][k] = v
            elif isinstance(e, ev.TrailersReceived):
                for k, v in e.headers:
                    r["headers"][k.decode()] = v.decode()
            elif isinstance(e, ev.DataReceived):
                r["body"] += e.data
                self.conn.acknowledge_received_data(e.flow_controlled_length, e.stream_id)
            elif isinstance(e, ev.StreamEnded):
                r["done"] = True
            elif isinstance(e, ev.StreamReset):
                if r is not None:
                    r["done"], r["reset"] = True, e.error_code
            elif isinstance(e, ev.ConnectionTerminated):
                self.goaway = e
        out = self.conn.data_to_send()
        if out:
            self.sock.sendall(out)

    def wait(self, sid):
        r = self.responses[sid]
        while not r["done"]:
            self._read_once()
        del self.responses[sid]
        r["body"] = bytes(r["body"])
        return r

    def request(self, method, path, host, headers=None, body=None):
        r = self.wait(self.start(method, path, host, headers, body))
        if r["reset"] is not None:
            raise ConnectionResetError(f"stream reset with error code {r['reset']}")
        return r["status"], r["headers"], r["body"]


def connect(port, timeout=DEADLINE):
    """A client connection in the tests' protocol, for several requests (`conn=`)."""
    if HTTP2:
        return H2Client(port, timeout)
    return http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)


class Proc:
    """A child process whose stdout and stderr are collected line by line in threads."""

    def __init__(self, argv, env=None):
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=env, text=True, bufsize=1)
        self.out, self.err = [], []
        self.cond = threading.Condition()
        for stream, sink in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(target=self._pump, args=(stream, sink), daemon=True).start()

    def _pump(self, stream, sink):
        for line in stream:
            with self.cond:
                sink.append(line.rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_line(self, pattern, stream="err", timeout=DEADLINE, start=0):
        """Waits for a line matching `pattern`; returns the match."""
        sink = self.err if stream == "err" else self.out
        rx = re.compile(pattern)
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in sink[start:]:
                    m = rx.search(line)
                    if m:
                        return m
                left = end - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._pending()):
                    raise AssertionError(f"no line /{pattern}/ from {self.argv[:2]}; "
                                         f"stderr: {self.err[-20:]} stdout: {self.out[-5:]}")
                self.cond.wait(min(left, 0.5))

    def _pending(self):
        return False

    def lines(self, stream="out"):
        with self.cond:
            return list(self.out if stream == "out" else self.err)

    def stop(self, sig=signal.SIGTERM, timeout=DEADLINE):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            try:
                stream.close()
            except OSError:
                pass
        return self.proc.returncode


def _env():
    env = dict(os.environ)
    # Leak checking on exit is the unit tests' job; here children are killed mid-flight.
    env.setdefault("ASAN_OPTIONS", "detect_leaks=0")
    return env


class Echo:
    def __init__(self, binary, name, version="", extra=()):
        self.name = name
        self.p = Proc([binary, "echo", "--listen", "127.0.0.1:0", "--name", name,
                       "--version", version, *extra], env=_env())
        m = self.p.wait_line(r"listening on 127\.0\.0\.1:(\d+)", stream="out")
        self.port = int(m.group(1))

    def stop(self):
        self.p.stop()


class Proxy:
    """`meshroute run` on ephemeral ports for its listener and admin API."""

    def __init__(self, binary, paths, extra=(), env=None):
        argv = [binary, "run", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"]
        for p in paths:
            argv += ["-f", p]
        self.p = Proc(argv + list(extra), env=env or _env())
        self.port = int(self.p.wait_line(r"listening on 127\.0\.0\.1:(\d+)").group(1))
        self.admin = int(self.p.wait_line(r"admin on 127\.0\.0\.1:(\d+)").group(1))
        wait_until(lambda: self.admin_get("/ready")[0] == 200, "proxy /ready")

    def admin_get(self, path, method="GET"):
        c = http.client.HTTPConnection("127.0.0.1", self.admin, timeout=DEADLINE)
        try:
            c.request(method, path)
            r = c.getresponse()
            return r.status, r.read().decode()
        finally:
            c.close()

    def config_version(self):
        return json.loads(self.admin_get("/config_dump")[1])["version"]

    def request(self, path="/", host="reviews.default.svc.cluster.local:9080", method="GET",
                headers=None, body=None, conn=None):
        """One request; returns (status, headers dict lower-case, body bytes)."""
        own = conn is None
        c = conn or connect(self.port)
        try:
            if isinstance(c, H2Client):
                if isinstance(body, str):
                    body = body.encode()
                return c.request(method, path, host, headers, body)
            h = {"Host": host}
            h.update(headers or {})
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            if own:
                c.close()

    def stop(self, sig=signal.SIGTERM):
        return self.p.stop(sig)


def wait_until(pred, what, timeout=DEADLINE):
    end = time.monotonic() + timeout
    delay = 0.01
    while True:
        try:
            if pred():
                return
        except (OSError, http.client.HTTPException, ValueError):
            pass
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        # Polling back-off while waiting for a condition another process makes true.
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


def raw_exchange(port, data, timeout=5.0):
    """Sends raw bytes and returns everything the server answers until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                chunks.append(b)
        except socket.timeout:
            pass
        return b"".join(chunks)


def service_yaml(name, port, endpoints, ns="default"):
    """A ServiceEntry for `name`.<ns>.svc.cluster.local:<port> with one WorkloadEntry per
    endpoint (version, echo port)."""
    host = f"{name}.{ns}.svc.cluster.local"
    docs = [f"""apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {{name: {name}, namespace: {ns}}}
spec:
  hosts: [{host}]
  location: MESH_INTERNAL
  ports: [{{number: {port}, name: http, protocol: HTTP}}]
  resolution: STATIC
  workloadSelector: {{labels: {{app: {name}}}}}
"""]
    for i, (version, echo_port) in enumerate(endpoints):
        docs.append(f"""apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {{name: {name}-{version}-{i}, namespace: {ns}}}
spec: {{address: 127.0.0.1, ports: {{http: {echo_port}}}, labels: {{app: {name}, version: {version}}}}}
""")
    return "---\n".join(docs)


def destination_rule_yaml(name, traffic_policy, ns="default"):
    """A DestinationRule for `name`.<ns>.svc.cluster.local with `traffic_policy` (flow YAML)."""
    return f"""apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: {name}, namespace: {ns}}}
spec:
  host: {name}.{ns}.svc.cluster.local
  trafficPolicy: {traffic_policy}
"""


class TempDir:
    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="meshroute-e2e-")

    def write(self, name, text):
        """Writes atomically (temp file + rename), as kubectl-style tools do."""
        tmp = os.path.join(self.path, "." + name + ".tmp")
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, os.path.join(self.path, name))

    def cleanup(self):
        shutil.rmtree(self.path, ignore_errors=True)
