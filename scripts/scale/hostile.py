"""Slow and idle clients for scripts/scale/hostile.sh.

  hold LINE_PORT HTTP_PORT N READY_FILE   opens N idle line connections (greeting read) and N idle
                                          HTTP keep-alive connections (one GET /healthz answered
                                          on each), touches READY_FILE, holds them until SIGTERM,
                                          then prints how many the server had closed
  verify LINE_PORT TOKEN N                N sequential VERIFYs on one connection: p50/p99 in ms
  slowloris HTTP_PORT N KIND              N connections that trickle a request head (KIND head) or
                                          body (KIND body) one byte a second; prints how long the
                                          server let them live
"""
import json
import select
import signal
import socket
import sys
import time


def connect(port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    return sock


def read_until(sock, marker):
    data = b""
    while marker not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def still_open(sock):
    poller = select.poll()  # select() stops at descriptor 1024
    poller.register(sock, select.POLLIN)
    if not poller.poll(0):
        return True
    try:
        return sock.recv(1, socket.MSG_PEEK) != b""
    except OSError:
        return False


def hold(line_port, http_port, count, ready_file):
    lines, https = [], []
    for _ in range(count):
        sock = connect(line_port)
        lines.append(sock)
    for sock in lines:  # the greeting: VERSION and CAPS
        data = b""
        while data.count(b"\n") < 2:
            data += sock.recv(4096)
    for _ in range(count):
        sock = connect(http_port)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: authd\r\n\r\n")
        https.append(sock)
    for sock in https:
        read_until(sock, b"\r\n\r\n")
    open(ready_file, "w").write("ready\n")
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    while not stopping:
        time.sleep(0.2)
    closed_lines = sum(1 for sock in lines if not still_open(sock))
    closed_https = sum(1 for sock in https if not still_open(sock))
    print(json.dumps({"line_closed": closed_lines, "http_closed": closed_https}))


def verify(line_port, token, count):
    sock = connect(line_port)
    stream = sock.makefile("rb")
    stream.readline()
    stream.readline()
    durations = []
    for _ in range(count):
        start = time.perf_counter()
        sock.sendall(f"VERIFY\tv\t{token}\n".encode())
        reply = stream.readline()
        durations.append((time.perf_counter() - start) * 1000)
        assert reply.startswith(b"OK"), reply
    durations.sort()
    print(json.dumps({"p50": round(durations[len(durations) // 2], 3),
                      "p99": round(durations[int(len(durations) * 0.99)], 3)}))


def slowloris(http_port, count, kind):
    if kind == "head":
        start, trickle = b"GET /healthz HTTP/1.1\r\n", b"X-Slow: " + b"a" * 200
    else:
        start = b"POST /register HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{"
        trickle = b" " * 199
    socks = [connect(http_port) for _ in range(count)]
    began = time.monotonic()
    for sock in socks:
        sock.sendall(start)
    lived = {}
    for byte in trickle:
        time.sleep(1)
        for index, sock in enumerate(socks):
            if index in lived:
                continue
            try:
                if not still_open(sock):
                    raise ConnectionError
                sock.sendall(bytes([byte]))
            except OSError:
                lived[index] = time.monotonic() - began
        if len(lived) == count:
            break
    alive = count - len(lived)
    values = sorted(lived.values()) or [0.0]
    print(json.dumps({"closed": len(lived), "alive": alive, "max": round(values[-1], 1),
                      "p50": round(values[len(values) // 2], 1)}))


if __name__ == "__main__":
    command, arguments = sys.argv[1], sys.argv[2:]
    if command == "hold":
        hold(int(arguments[0]), int(arguments[1]), int(arguments[2]), arguments[3])
    elif command == "verify":
        verify(int(arguments[0]), arguments[1], int(arguments[2]))
    elif command == "slowloris":
        slowloris(int(arguments[0]), int(arguments[1]), arguments[2])
    else:
        sys.exit(__doc__)
