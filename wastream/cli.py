"""The ``wastream`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from wastream.exceptions import WastreamError
from wastream.settings import DEV_JWT_SECRET, Settings, load_settings

__all__ = ["main"]


def _stack(settings: Settings, action: str) -> int:
    from wastream.stack import LocalStack
    from wastream.stack.jars import kafka_classpath

    if action == "fetch":
        kafka_classpath(settings.cache_dir)
        print(f"Kafka broker jars ready in {settings.cache_dir}")
        return 0
    stack = LocalStack(settings)
    if action == "up":
        stack.start()
        _print_status(stack)
        print()
        print(f"export WASTREAM_KAFKA_BOOTSTRAP={stack.settings.kafka_bootstrap}")
        print(f"export WASTREAM_REDIS_URL={stack.settings.redis_url}")
        if settings.jwt_secret == DEV_JWT_SECRET:
            print(
                f"# development JWT secret; set WASTREAM_JWT_SECRET in production: {DEV_JWT_SECRET}"
            )
        return 0
    if action == "down":
        stack.stop()
        print("stack stopped")
        return 0
    return 0 if _print_status(stack) else 1


def _print_status(stack: object) -> bool:
    from wastream.stack import LocalStack

    assert isinstance(stack, LocalStack)
    all_ready = True
    for status in stack.status():
        state = "ready" if status.ready else ("starting" if status.running else "stopped")
        all_ready &= status.ready
        print(f"{status.name:<6} {state:<9} {status.address:<28} pid={status.pid or '-'}")
    return all_ready


def _dlq(settings: Settings, args: argparse.Namespace) -> int:
    from schemas.codec import AvroCodec
    from wastream.dlq import DlqError, read_dead_letters, replay

    entries = read_dead_letters(settings.kafka_bootstrap, AvroCodec())
    if args.dlq_action == "list":
        for entry in entries:
            letter = entry.letter
            origin = f"{letter.get('topic')}[{letter.get('partition')}]@{letter.get('offset')}"
            print(f"{entry.ref:<12} {origin:<28} {letter.get('error_type', '')}: {letter['error']}")
        print(f"{len(entries)} dead letter(s)")
        return 0
    by_ref = {entry.ref: entry for entry in entries}
    unknown = [ref for ref in args.refs if ref not in by_ref]
    if unknown:
        raise DlqError(f"no dead letter {', '.join(unknown)} on wa.dlq (see `wastream dlq list`)")
    for ref in replay(settings.kafka_bootstrap, [by_ref[ref] for ref in args.refs]):
        print(f"replayed {ref}")
    return 0


def _token(settings: Settings, args: argparse.Namespace) -> int:
    from gateway.auth import mint_token

    scopes = [scope for group in args.scope for scope in group.split()]
    print(mint_token(settings, tenant=args.tenant, scopes=scopes, ttl_s=args.ttl))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wastream",
        description="WhatsApp Web sessions as a Kafka event-streaming pipeline. "
        "Configuration comes from WASTREAM_* environment variables (see the README).",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    stack = sub.add_parser("stack", help="the local stack: Kafka (KRaft) and Redis")
    stack.add_argument("action", choices=["up", "down", "status", "fetch"])

    sub.add_parser("run", help="the stack, sandbox and gateway in the foreground; Ctrl-C stops all")
    sub.add_parser("gateway", help="the HTTP command gateway")
    sub.add_parser("worker", help="a stream processor running the sessions of its partitions")
    sub.add_parser(
        "demo", help="pair a sandbox account and send through the whole pipeline (needs `run`)"
    )
    sandbox = sub.add_parser("sandbox", help="the WhatsApp Web sandbox")
    sandbox.add_argument(
        "--demo-accounts",
        action="store_true",
        help="create the two demo accounts (15550000001 Alice, 15550000002 Bob) at start",
    )

    dlq = sub.add_parser("dlq", help="list the dead letters on wa.dlq, or replay chosen ones")
    dlq_actions = dlq.add_subparsers(dest="dlq_action", required=True)
    dlq_actions.add_parser("list", help="every dead letter: its ref, origin and error")
    replay = dlq_actions.add_parser("replay", help="publish dead letters again to their topic")
    replay.add_argument("refs", nargs="+", metavar="PARTITION:OFFSET", help="refs from `list`")

    token = sub.add_parser("token", help="mint a development JWT with the configured secret")
    token.add_argument("--tenant", required=True)
    token.add_argument(
        "--scope",
        action="append",
        required=True,
        help="a scope such as messages:send; repeat or space-separate for several",
    )
    token.add_argument("--ttl", type=int, default=3600, help="seconds until it expires")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        from wastream.logs import configure_logging

        configure_logging(settings.log_level, json=settings.log_json)
        if args.command == "stack":
            return _stack(settings, args.action)
        if args.command == "dlq":
            return _dlq(settings, args)
        if args.command == "token":
            return _token(settings, args)
        if args.command == "run":
            from wastream.platform import run_platform

            return run_platform(settings)
        if args.command == "gateway":
            from gateway.server import run as run_gateway

            run_gateway(settings)
            return 0
        if args.command == "demo":
            from wastream.demo import run_demo

            return run_demo(settings)
        if args.command == "worker":
            from streams.worker import run as run_worker

            return run_worker(settings)
        if args.command == "sandbox":
            from connectors.sandbox import DEMO_ACCOUNTS
            from connectors.sandbox import run as run_sandbox

            run_sandbox(
                settings.sandbox_host,
                settings.sandbox_port,
                accounts=DEMO_ACCOUNTS if args.demo_accounts else (),
                log_level=settings.log_level.lower(),
            )
            return 0
    except WastreamError as exc:
        print(f"wastream: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    raise AssertionError(f"unhandled command {args.command}")


if __name__ == "__main__":
    sys.exit(main())
