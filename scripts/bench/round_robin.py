#!/usr/bin/env python3
"""A TCP round-robin load balancer for scripts/bench/topology: each accepted connection goes to
the next backend port in turn and bytes are copied both ways until either side closes (what an
L4 balancer in front of several `hourglass serve` processes does). Python standard library
only; it is there to spread the load, not to be measured, so figures through it are not
performance figures. Prints how many connections went to each backend when it stops (SIGTERM).
"""
import argparse
import asyncio
import itertools
import signal


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", type=int, required=True)
    parser.add_argument("--backends", required=True, help="comma-separated ports on 127.0.0.1")
    args = parser.parse_args()
    backends = [int(port) for port in args.backends.split(",")]
    turn = itertools.cycle(backends)
    counts = dict.fromkeys(backends, 0)

    async def accept(client_reader, client_writer):
        port = next(turn)
        counts[port] += 1
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            client_writer.close()  # the client sees a reset, as behind a real balancer
            return
        await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer))

    server = await asyncio.start_server(accept, "127.0.0.1", args.listen, backlog=1024)
    stop = asyncio.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(number, stop.set)
    async with server:
        await stop.wait()
    print("round robin connections per backend: " + ", ".join(f"{port}: {count}" for port, count in counts.items()), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
