"""A TCP proxy for scripts/scale/netfaults.sh that adds latency and the stalls of packet loss.

    faultproxy.py LISTEN_HOST:PORT UPSTREAM_HOST:PORT CONTROL_SOCKET

Every chunk read on one side is written to the other after the configured delay, in order. The
machines here have no `tc netem` (their kernel has no queueing disciplines), so loss is modelled by
what it does to a TCP stream: a segment lost is retransmitted after the retransmission timeout
(200 ms at least on Linux, doubling when the retransmission is lost too), and everything behind
it waits. A partition or a vanished server is made at the link (netfaults.sh takes the veth down),
where the kernel's own timers see it; `reset` here closes every proxied connection at once, which
behind a downed link is a server gone without a FIN reaching the client.

Commands on the control socket, one per connection, answered `ok` or with a count:
    delay MS     added one-way latency (client to server), 0 to clear
    loss P       probability a chunk is "lost" and held for retransmission (0 to clear)
    reset        close every proxied connection now (their FINs go nowhere behind a downed link)
    count        the proxied connections open
"""
import asyncio
import os
import random
import sys
import time

RTO = 0.2  # Linux's minimum retransmission timeout, seconds


class Faults:
    delay = 0.0
    loss = 0.0
    connections: set = set()


def stall():
    """Seconds a chunk is held: the latency, plus one RTO (doubling) per consecutive loss."""
    held, rto = Faults.delay, RTO
    while Faults.loss and random.random() < Faults.loss:
        held += rto
        rto *= 2
    return held


async def pump(reader, writer, delayed):
    """Copies one direction: each chunk leaves no earlier than its arrival plus its stall (the
    latency only when `delayed`), and never before the chunk ahead of it."""
    queue = asyncio.Queue()

    async def read():
        try:
            while chunk := await reader.read(65536):
                held = stall() if delayed else stall() - Faults.delay
                queue.put_nowait((time.monotonic() + held, chunk))
        except (ConnectionError, OSError):
            pass
        queue.put_nowait((0.0, b""))

    reading = asyncio.ensure_future(read())
    try:
        while True:
            due, chunk = await queue.get()
            if not chunk:
                break
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        reading.cancel()
        writer.close()


async def serve(upstream_host, upstream_port, client_reader, client_writer):
    try:
        server_reader, server_writer = await asyncio.open_connection(upstream_host, upstream_port)
    except OSError:
        client_writer.close()
        return
    pair = (client_writer, server_writer)
    Faults.connections.add(pair)
    try:
        await asyncio.gather(pump(client_reader, server_writer, True), pump(server_reader, client_writer, False))
    finally:
        Faults.connections.discard(pair)


async def control(reader, writer):
    words = (await reader.readline()).decode().split()
    reply = "ok"
    if words[:1] == ["delay"]:
        Faults.delay = float(words[1]) / 1000
    elif words[:1] == ["loss"]:
        Faults.loss = float(words[1])
    elif words[:1] == ["reset"]:
        for pair in list(Faults.connections):
            for side in pair:
                side.transport.abort()
        Faults.connections.clear()
    elif words[:1] == ["count"]:
        reply = str(len(Faults.connections))
    else:
        reply = "unknown command"
    writer.write((reply + "\n").encode())
    await writer.drain()
    writer.close()


async def main():
    listen, upstream, control_path = sys.argv[1:4]
    listen_host, listen_port = listen.rsplit(":", 1)
    upstream_host, upstream_port = upstream.rsplit(":", 1)
    proxy = await asyncio.start_server(lambda r, w: serve(upstream_host, int(upstream_port), r, w),
                                       listen_host, int(listen_port))
    if os.path.exists(control_path):
        os.unlink(control_path)
    controller = await asyncio.start_unix_server(control, control_path)
    async with proxy, controller:
        await asyncio.gather(proxy.serve_forever(), controller.serve_forever())


if __name__ == "__main__":
    asyncio.run(main())
