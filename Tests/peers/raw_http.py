"""Sends raw HTTP/1.1 requests that no HTTP client library would send, and prints each answer
as one JSON line: status, content type, the parsed body (or null), and whether the server
closed the connection. Usage: raw_http.py PORT (the cases are fixed below)."""
import json
import socket
import sys

port = int(sys.argv[1])
big = "a" * 40000
cases = {
    "long-header": f"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\n\r\n".encode(),
    "long-cookie": f"GET /v1/me HTTP/1.1\r\nHost: x\r\nCookie: guichet_session={big}\r\n\r\n".encode(),
    "long-url": f"GET /v1/dossiers/{'a' * 100000} HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
    "invalid-utf8-path": b"GET /v1/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n",
    "not-http": b"HELLO\r\n\r\n",
    "bad-length": b"POST /v1/session HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
}
for name, raw in cases.items():
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(raw)
    data = b""
    closed = False
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                closed = True
                break
            data += chunk
    except socket.timeout:
        pass
    except ConnectionResetError:
        closed = True
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1]) if lines and lines[0].startswith("HTTP/1.1 ") else 0
    headers = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    print(json.dumps({"case": name, "status": status, "type": headers.get("content-type"), "body": parsed, "closed": closed}))
