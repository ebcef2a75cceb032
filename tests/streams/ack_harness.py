"""A minimal Faust worker for the kill -9 test: each record's value is how long (ms) its work
takes; work runs in tasks of its own, so records finish out of order. ``ordered`` acks through
:class:`streams.acks.OrderedAcks`; ``direct`` acks each record as it finishes (the pitfall).

Usage: ack_harness.py BOOTSTRAP TOPIC GROUP MODE DONE_FILE
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import faust

from streams.acks import OrderedAcks


def main(bootstrap: str, topic_name: str, group: str, mode: str, done_file: str) -> None:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    app = faust.App(
        group,
        broker=f"kafka://{bootstrap}",
        autodiscover=False,
        web_enabled=False,
        stream_wait_empty=False,
        broker_commit_interval=0.2,
        consumer_auto_offset_reset="earliest",
        value_serializer="raw",
        key_serializer="raw",
        datadir=str(Path(done_file).parent / "faust"),
    )
    topic = app.topic(topic_name, partitions=1, value_serializer="raw")
    acks: OrderedAcks[Any] = OrderedAcks(lambda event: event.ack())
    done = Path(done_file)
    tasks: set[asyncio.Task[None]] = set()

    def record_done(offset: int) -> None:
        with done.open("a") as out:
            out.write(f"{offset}\n")

    async def work(event: Any, finish: Any) -> None:
        await asyncio.sleep(int(event.value) / 1000)
        record_done(event.message.offset)
        finish()

    @app.agent(topic, concurrency=1)
    async def process(stream: Any) -> None:
        async for event in stream.noack().events():
            if mode == "ordered":
                ticket = acks.track(event.message.tp, event.message.offset, event)
                acks.verify(event.message.tp, 0)  # a new group's committed offset: the start
                finish = ticket.done
            else:
                finish = event.ack
            task = asyncio.ensure_future(work(event, finish))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    faust.Worker(app, loop=loop, loglevel="INFO", redirect_stdouts=False).execute_from_commandline()


if __name__ == "__main__":
    main(*sys.argv[1:6])
