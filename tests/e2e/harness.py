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
        c = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=DEADLINE)
        try:
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
