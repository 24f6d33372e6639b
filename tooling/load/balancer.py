"""A tiny loopback TCP load balancer for the load run's fault mode: two app servers behind one address.

Each new connection goes to the next server in turn; if that server refuses it (killed, not listening), the
connection is tried on the next one, and the refusing server is skipped for a few seconds, as nginx's
`proxy_next_upstream error` and `max_fails`/`fail_timeout` do. A connection already open to a server that
dies is cut: the requests in flight on it fail, the next ones go elsewhere. No HTTP parsing, no pooling.

    python -m tooling.load.balancer 8000 127.0.0.1:8001 127.0.0.1:8002
"""

import asyncio
import contextlib
import itertools
import sys
import time

SKIP_SECONDS = 5.0


class Balancer:
    def __init__(self, backends: list[tuple[str, int]]):
        self.backends = backends
        self.turn = itertools.cycle(range(len(backends)))
        self.down_until = [0.0] * len(backends)

    async def _connect(self):
        first = next(self.turn)
        order = [(first + k) % len(self.backends) for k in range(len(self.backends))]
        now = time.monotonic()
        order.sort(key=lambda i: self.down_until[i] > now)  # the healthy ones first, in turn
        error: OSError | None = None
        for i in order:
            try:
                return await asyncio.open_connection(*self.backends[i])
            except OSError as refused:
                error = refused
                self.down_until[i] = time.monotonic() + SKIP_SECONDS
        raise error or OSError("no backend")

    async def handle(self, client_reader, client_writer) -> None:
        try:
            server_reader, server_writer = await self._connect()
        except OSError:
            client_writer.close()  # every server down: the client sees the connection closed
            return
        await asyncio.gather(_pipe(client_reader, server_writer), _pipe(server_reader, client_writer))


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(ConnectionError, OSError):
            writer.close()


async def serve(port: int, backends: list[tuple[str, int]]) -> None:
    balancer = Balancer(backends)
    server = await asyncio.start_server(balancer.handle, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


def main() -> None:
    port, *targets = sys.argv[1:]
    backends = [(host, int(p)) for host, p in (target.rsplit(":", 1) for target in targets)]
    asyncio.run(serve(int(port), backends))


if __name__ == "__main__":
    main()
