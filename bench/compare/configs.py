"""Equivalent configurations for meshroute, nginx and HAProxy, generated from one scenario
description, so that every proxy is asked to do the same work."""
from dataclasses import dataclass, field


@dataclass
class Scenario:
    name: str
    title: str
    # (path, headers) requests to measure, each reported as its own row ("first", "miss"...).
    probes: dict
    kind: str = "plain"        # plain | split | header | regex | hosts
    routes: int = 0
    hosts: int = 0             # kind "hosts": this many services, each with `routes` routes
    body: str = "/1k"           # backend path that answers the chosen body size
    expect_status: int = 200
    notes: list = field(default_factory=list)


def backend_nginx(workdir, ports):
    """The upstreams: two nginx servers answering fixed bodies, marked with x-backend."""
    one_k = "x" * 1024
    small = "x" * 64
    servers = []
    for tag, port in zip("ab", ports):
        servers.append(f"""
  server {{
    listen 127.0.0.1:{port} reuseport;
    keepalive_requests 1000000;
    add_header x-backend {tag} always;
    location / {{ return 200 "{one_k}"; }}
    location /small {{ return 200 "{small}"; }}
  }}""")
    return _nginx_main(workdir, "".join(servers))


def _nginx_main(workdir, servers, upstreams=""):
    return f"""worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log crit;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {workdir}; proxy_temp_path {workdir}; fastcgi_temp_path {workdir};
  uwsgi_temp_path {workdir}; scgi_temp_path {workdir};
  keepalive_requests 1000000;
  keepalive_timeout 300s;
{upstreams}{servers}
}}
"""


def proxy_path(s: Scenario, i: int):
    """The request path routed by route i of a regex scenario."""
    return f"/r{i}/item"


def nginx_proxy(s: Scenario, workdir, port, backends):
    proxy = """proxy_pass http://{up}; proxy_http_version 1.1; proxy_set_header Connection "";"""
    upstreams = f"""  upstream b1 {{ server 127.0.0.1:{backends[0]}; keepalive 64; }}
  upstream b2 {{ server 127.0.0.1:{backends[1]}; keepalive 64; }}
  upstream split {{ server 127.0.0.1:{backends[0]} weight=4; server 127.0.0.1:{backends[1]} weight=1; keepalive 64; }}
"""
    locations = []
    if s.kind == "plain":
        locations.append(f"location / {{ {proxy.format(up='b1')} }}")
    elif s.kind == "split":
        locations.append(f"location / {{ {proxy.format(up='split')} }}")
    elif s.kind == "header":
        # nginx's idiom for header routing: a map (a hash lookup), then one location.
        entries = " ".join(f"r{i} 1;" for i in range(s.routes))
        upstreams += f"  map $http_x_route $route_ok {{ default 0; {entries} }}\n"
        locations.append(f"location / {{ if ($route_ok = 0) {{ return 404; }} {proxy.format(up='b1')} }}")
    elif s.kind == "regex":
        for i in range(s.routes):
            locations.append(f"location ~ ^/r{i}/[a-z]+$ {{ {proxy.format(up='b1')} }}")
        locations.append("location / { return 404; }")
    server = f"""
  server {{
    listen 127.0.0.1:{port};
    keepalive_requests 1000000;
    {chr(10).join('    ' + l for l in locations)}
  }}"""
    return _nginx_main(workdir, server, upstreams)


def haproxy_proxy(s: Scenario, workdir, port, backends):
    lines = [f"""global
  nbthread 1
  maxconn 4096
  pidfile {workdir}/haproxy.pid
defaults
  mode http
  timeout connect 10s
  timeout client 300s
  timeout server 300s
  timeout http-keep-alive 300s
  option http-keep-alive
backend b1
  http-reuse always
  server s1 127.0.0.1:{backends[0]}
backend split
  http-reuse always
  balance roundrobin
  server s1 127.0.0.1:{backends[0]} weight 80
  server s2 127.0.0.1:{backends[1]} weight 20
backend notfound
  http-request return status 404
frontend fe
  bind 127.0.0.1:{port}"""]
    if s.kind == "plain":
        lines.append("  default_backend b1")
    elif s.kind == "split":
        lines.append("  default_backend split")
    elif s.kind == "header":
        for i in range(s.routes):
            lines.append(f"  use_backend b1 if {{ req.hdr(x-route) -m str r{i} }}")
        lines.append("  default_backend notfound")
    elif s.kind == "regex":
        for i in range(s.routes):
            lines.append(f"  use_backend b1 if {{ path_reg ^/r{i}/[a-z]+$ }}")
        lines.append("  default_backend notfound")
    return "\n".join(lines) + "\n"


def meshroute_proxy(s: Scenario, backends, split=(80, 20)):
    docs = [f"""apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {{name: backend, namespace: default}}
spec:
  hosts: [backend.default.svc.cluster.local]
  location: MESH_INTERNAL
  ports: [{{number: 80, name: http, protocol: HTTP}}]
  resolution: STATIC
  workloadSelector: {{labels: {{app: backend}}}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {{name: backend-a, namespace: default}}
spec: {{address: 127.0.0.1, ports: {{http: {backends[0]}}}, labels: {{app: backend, version: a}}}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {{name: backend-b, namespace: default}}
spec: {{address: 127.0.0.1, ports: {{http: {backends[1]}}}, labels: {{app: backend, version: b}}}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: backend, namespace: default}}
spec:
  host: backend
  trafficPolicy: {{loadBalancer: {{simple: ROUND_ROBIN}}}}
  subsets:
  - {{name: a, labels: {{version: a}}}}
  - {{name: b, labels: {{version: b}}}}
"""]
    rules = []
    dest_a = "[{destination: {host: backend, subset: a}}]"
    if s.kind == "plain":
        rules.append(f"  - route: {dest_a}")
    elif s.kind == "split":
        rules.append(f"  - route: [{{destination: {{host: backend, subset: a}}, weight: {split[0]}}}, "
                     f"{{destination: {{host: backend, subset: b}}, weight: {split[1]}}}]")
    elif s.kind == "header":
        for i in range(s.routes):
            rules.append(f"  - match: [{{headers: {{x-route: {{exact: r{i}}}}}}}]\n    route: {dest_a}")
    elif s.kind == "regex":
        for i in range(s.routes):
            rules.append(f"  - match: [{{uri: {{regex: '^/r{i}/[a-z]+$'}}}}]\n    route: {dest_a}")
    docs.append("""apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: backend, namespace: default}
spec:
  hosts: [backend]
  http:
""" + "\n".join(rules) + "\n")
    return "---\n".join(docs)


# ---- scale: many hosts (services), each with a DestinationRule and its own routes ----------
#
# Route j of every host is one of four kinds, in turn: an exact path, a path prefix, a header
# value, a path regex. One route per host is a plain catch-all to the host's subset.

def host_route_request(j):
    """(path, headers) a request needs to take route j of a host."""
    kind = j % 4
    if kind == 0:
        return f"/j{j}", {}
    if kind == 1:
        return f"/j{j}/x", {}
    if kind == 2:
        return "/", {"x-route": f"j{j}"}
    return f"/j{j}/42", {}


def meshroute_hosts(s: Scenario, backends):
    docs = [f"""apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {{name: backend-a, namespace: default}}
spec: {{address: 127.0.0.1, ports: {{http: {backends[0]}}}, labels: {{app: backend, version: a}}}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {{name: backend-b, namespace: default}}
spec: {{address: 127.0.0.1, ports: {{http: {backends[1]}}}, labels: {{app: backend, version: b}}}}
"""]
    for i in range(s.hosts):
        rules = []
        dest = f"[{{destination: {{host: svc{i}, subset: a}}}}]"
        for j in range(s.routes if s.routes > 1 else 0):
            kind = j % 4
            if kind == 0:
                m = f"{{uri: {{exact: /j{j}}}}}"
            elif kind == 1:
                m = f"{{uri: {{prefix: /j{j}/}}}}"
            elif kind == 2:
                m = f"{{headers: {{x-route: {{exact: j{j}}}}}}}"
            else:
                m = f"{{uri: {{regex: '^/j{j}/[0-9]+$'}}}}"
            rules.append(f"  - match: [{m}]\n    route: {dest}")
        if s.routes <= 1:
            rules.append(f"  - route: {dest}")
        docs.append(f"""apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {{name: svc{i}, namespace: default}}
spec:
  hosts: [svc{i}.default.svc.cluster.local]
  location: MESH_INTERNAL
  ports: [{{number: 80, name: http, protocol: HTTP}}]
  resolution: STATIC
  workloadSelector: {{labels: {{app: backend}}}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: svc{i}, namespace: default}}
spec:
  host: svc{i}
  trafficPolicy: {{connectionPool: {{http: {{http1MaxPendingRequests: 1024}}}}}}
  subsets:
  - {{name: a, labels: {{version: a}}}}
  - {{name: b, labels: {{version: b}}}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: svc{i}, namespace: default}}
spec:
  hosts: [svc{i}]
  http:
""" + "\n".join(rules) + "\n")
    return "---\n".join(docs)


def nginx_hosts(s: Scenario, workdir, port, backends):
    """One server block per host; exact, prefix and regex routes as locations, header routes as
    an `if` in the catch-all location (nginx has no header match on locations)."""
    proxy = 'proxy_pass http://b1; proxy_http_version 1.1; proxy_set_header Connection "";'
    upstreams = f"  upstream b1 {{ server 127.0.0.1:{backends[0]}; keepalive 64; }}\n"
    upstreams += "  server_names_hash_max_size 65536; server_names_hash_bucket_size 128;\n"
    servers = []
    for i in range(s.hosts):
        locs = []
        headers = []
        for j in range(s.routes if s.routes > 1 else 0):
            kind = j % 4
            if kind == 0:
                locs.append(f"location = /j{j} {{ {proxy} }}")
            elif kind == 1:
                locs.append(f"location /j{j}/ {{ {proxy} }}")
            elif kind == 2:
                headers.append(f"if ($http_x_route = j{j}) {{ set $hit 1; }}")
            else:
                locs.append(f"location ~ ^/j{j}/[0-9]+$ {{ {proxy} }}")
        if s.routes <= 1:
            locs.append(f"location / {{ {proxy} }}")
        else:
            # `if` blocks run in order in the rewrite phase: mark a header match, then decide.
            locs.append(f"location / {{ set $hit 0; {' '.join(headers)} "
                        f"if ($hit = 0) {{ return 404; }} {proxy} }}")
        servers.append(f"""
  server {{
    listen 127.0.0.1:{port};
    server_name svc{i} svc{i}.default.svc.cluster.local;
    keepalive_requests 1000000;
    {' '.join(locs)}
  }}""")
    return _nginx_main(workdir, "".join(servers), upstreams)


def haproxy_hosts(s: Scenario, workdir, port, backends):
    """One backend per host (a cluster each); routes as use_backend rules on Host and path or
    header, which HAProxy evaluates in order."""
    lines = [f"""global
  nbthread 1
  maxconn 4096
  pidfile {workdir}/haproxy.pid
defaults
  mode http
  timeout connect 10s
  timeout client 300s
  timeout server 300s
  timeout http-keep-alive 300s
  option http-keep-alive
backend notfound
  http-request return status 404"""]
    for i in range(s.hosts):
        lines.append(f"backend svc{i}\n  http-reuse always\n  server s1 127.0.0.1:{backends[0]}")
    lines.append(f"frontend fe\n  bind 127.0.0.1:{port}")
    for i in range(s.hosts):
        host = f"{{ hdr(host) -i svc{i} }}"
        if s.routes <= 1:
            lines.append(f"  use_backend svc{i} if {host}")
            continue
        for j in range(s.routes):
            kind = j % 4
            cond = (f"{{ path /j{j} }}" if kind == 0 else
                    f"{{ path_beg /j{j}/ }}" if kind == 1 else
                    f"{{ req.hdr(x-route) -m str j{j} }}" if kind == 2 else
                    f"{{ path_reg ^/j{j}/[0-9]+$ }}")
            lines.append(f"  use_backend svc{i} if {host} {cond}")
    lines.append("  default_backend notfound")
    return "\n".join(lines) + "\n"
