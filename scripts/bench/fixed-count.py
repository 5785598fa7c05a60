"""A fixed number of requests, one at a time on one connection, for the instruction counts
(scripts/bench/instructions.sh): the server does the same work for each, whatever the machine's load.

  fixed-count.py http PORT PATH FIRST COUNT [TOKEN|@FILE]   GET PATH on a keep-alive connection,
                                                           with the bearer TOKEN (or FILE's lines
                                                           FIRST to FIRST+COUNT-1, one each)
  fixed-count.py line PORT - FIRST COUNT TOKEN|@FILE        VERIFY on one line connection

Every answer must be a success (HTTP 200, OK): exits 1 at the first that is not.
"""
import socket
import sys


def tokens(argument, first, count):
    if not argument:
        return [None] * count
    if not argument.startswith("@"):
        return [argument] * count
    with open(argument[1:]) as file:
        lines = [line.strip() for line in file]
    chosen = lines[first:first + count]
    if len(chosen) < count:
        sys.exit(f"fixed-count: {argument[1:]} has fewer than {first + count} tokens")
    return chosen


def http(port, path, bearers):
    with socket.create_connection(("127.0.0.1", port)) as connection:
        reader = connection.makefile("rb")
        for bearer in bearers:
            header = f"Authorization: Bearer {bearer}\r\n" if bearer else ""
            connection.sendall(f"GET {path} HTTP/1.1\r\nHost: bench\r\n{header}\r\n".encode())
            status = reader.readline()
            length = 0
            while (line := reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            reader.read(length)
            if status.split()[1:2] != [b"200"]:
                sys.exit(f"fixed-count: GET {path} answered {status!r}")


def line(port, bearers):
    with socket.create_connection(("127.0.0.1", port)) as connection:
        reader = connection.makefile("rb")
        reader.readline()  # VERSION
        reader.readline()  # CAPS
        for bearer in bearers:
            connection.sendall(f"VERIFY\tb\t{bearer}\n".encode())
            reply = reader.readline()
            if not reply.startswith(b"OK\t"):
                sys.exit(f"fixed-count: VERIFY answered {reply!r}")


if __name__ == "__main__":
    kind, port, path, first, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    chosen = tokens(sys.argv[6] if len(sys.argv) > 6 else "", first, count)
    if kind == "http":
        http(port, path, chosen)
    else:
        line(port, chosen)
