"""The handlers of the HTTP API's endpoints (listed in :mod:`gateway.endpoints`): one request
becomes one acknowledged command record.

A command request goes: authenticate (401) → scope (403) → path and headers (422) → body
(400/413/415/422) → admission in Redis: ownership, idempotency key, rate limits (403/404/409/
422/429, or 503 when Redis is down) → Avro envelope → Kafka acknowledgement (503) → 202.
"""

from __future__ import annotations

import asyncio
import io
import logging
import time
from typing import Any

import orjson
import segno
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from gateway import commands
from gateway.admission import Verdict
from gateway.auth import Principal
from gateway.bodies import CreateSessionBody
from gateway.endpoints import COMMAND_ENDPOINTS, READ_ENDPOINTS, CommandEndpoint, ReadEndpoint
from gateway.exceptions import PublishError
from gateway.idempotency import IdempotencyClaim, parse_idempotency_key
from gateway.intake import parse_body, request_headers
from gateway.problems import Problem, problem_of, problem_response
from gateway.services import Services
from gateway.state import GatewayState
from gateway.validation import check_command_id, check_group_id, check_session_id

__all__ = ["CommandHandler", "ReadHandler", "api_routes"]

logger = logging.getLogger(__name__)

_BUSY_POLL_S = 0.02


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(body), status_code=status, headers=headers, media_type="application/json"
    )


def _refusal(verdict: Verdict, session_id: str) -> Problem:
    code = verdict.code
    if code == "unknown":
        return Problem(
            404,
            f"session {session_id!r} does not exist: create it first with POST /v1/sessions",
            field="session_id",
        )
    if code == "forbidden":
        return Problem(403, f"session {session_id!r} belongs to another tenant", field="session_id")
    if code == "taken":
        return Problem(
            409, f"session id {session_id!r} is taken by another tenant", field="session_id"
        )
    if code == "mismatch":
        return Problem(
            422,
            "this Idempotency-Key was already used for a different request",
            field="Idempotency-Key",
        )
    if code == "limited":
        retry_after = max(1, -(-verdict.retry_after_ms // 1000))
        return Problem(
            429,
            "rate limit exceeded for this tenant or session",
            headers={"Retry-After": str(retry_after)},
        )
    if code == "busy":
        return Problem(
            409,
            "a request with this Idempotency-Key is still in progress",
            field="Idempotency-Key",
            headers={"Retry-After": "1"},
        )
    return Problem(503, f"unexpected admission verdict {code!r}", headers={"Retry-After": "1"})


class CommandHandler:
    """Handles one command endpoint, as a plain ASGI app (the hot path: no Request objects).

    The app serves it through :meth:`serve`, past Starlette's router and middleware; as a
    Starlette route (``__call__``) it serves the same requests by way of them.
    """

    def __init__(self, state: GatewayState, endpoint: CommandEndpoint) -> None:
        self._state = state
        self._endpoint = endpoint
        self._takes_group = "{gid}" in endpoint.path

    @property
    def endpoint(self) -> CommandEndpoint:
        return self._endpoint

    async def serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle a request whose ``path_params`` are set, answering problems and counting it
        in the metrics as the app's exception handlers and middleware would."""
        started = time.perf_counter()
        status = 202
        try:
            await self(scope, receive, send)
        except Exception as exc:
            problem = problem_of(exc)
            status = problem.status
            if status == 500:
                logger.exception("unhandled error on %s %s", scope["method"], scope["path"])
            await problem_response(problem)(scope, receive, send)
            if status == 500:
                raise
        finally:
            self._state.metrics.observe(
                self._endpoint.path, scope["method"], status, time.perf_counter() - started
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = self._state
        endpoint = self._endpoint
        settings = state.settings
        headers = request_headers(scope)
        principal = state.principal(headers.get("authorization"), endpoint.scope)
        params = scope["path_params"]
        session_id = "" if endpoint.mode == "create" else check_session_id(params["sid"])
        group = check_group_id(params["gid"]) if self._takes_group else None
        key = parse_idempotency_key(headers.get("idempotency-key"))
        body, raw = await parse_body(
            headers, receive, endpoint.body, settings.max_body_bytes, state.body_context
        )
        if isinstance(body, CreateSessionBody):
            session_id = body.session_id
        payload = endpoint.build(body, group) if self._takes_group else endpoint.build(body)
        services = state.require_services()
        claim = (
            IdempotencyClaim(principal.tenant, key, scope["method"], scope["path"], raw)
            if key is not None
            else None
        )
        verdict = await self._admit(services, principal, session_id, claim)
        if verdict.code == "replay":
            await _send_accepted(send, verdict.command_id, session_id, replayed=True)
            return
        if verdict.code != "ok":
            state.metrics.rejections.labels(verdict.code).inc()
            raise _refusal(verdict, session_id)
        command_id = verdict.command_id
        record = commands.envelope(
            payload,
            command_id=command_id,
            session_id=session_id,
            tenant_id=principal.tenant,
            trace_id=commands.trace_id_from(headers),
            ttl_s=settings.command_ttl_s,
            body=body,
        )
        # Trusted: every value comes from a strict, validated body model or from the gateway.
        value = services.codec.encode("CommandEnvelope", record, trusted=True)
        try:
            await services.publisher.publish(session_id.encode(), value)
        except PublishError as exc:
            state.metrics.publish_failures.labels(
                "timeout" if exc.possibly_stored else "refused"
            ).inc()
            logger.warning(
                "command not acknowledged: %s",
                exc,
                extra={"command_id": command_id, "session_id": session_id},
            )
            if claim is not None:
                await services.idempotency.fail(claim, command_id)
            extra = {"command_id": command_id, "possibly_stored": exc.possibly_stored}
            raise Problem(
                503,
                f"Kafka did not acknowledge the command: {exc}; retry with the same "
                "Idempotency-Key to keep its command_id",
                headers={"Retry-After": str(exc.retry_after_s)},
                extra=extra,
            ) from exc
        if claim is not None:
            await services.idempotency.complete(claim, command_id)
        await _send_accepted(send, command_id, session_id)

    async def _admit(
        self,
        services: Services,
        principal: Principal,
        session_id: str,
        claim: IdempotencyClaim | None,
    ) -> Verdict:
        # A duplicate of a request still publishing waits for its outcome, within a bound.
        deadline = time.monotonic() + self._state.settings.publish_timeout_s + 1.0
        restored = False
        while True:
            verdict = await services.admission.check(
                self._endpoint.mode,
                principal.tenant,
                session_id,
                commands.new_command_id(),
                claim,
            )
            if verdict.code == "unknown" and not restored:
                # Redis may have lost the claim while the session lives on in the workers' table.
                restored = True
                if await services.reader.restore_owner(session_id):
                    continue
            if verdict.code != "busy" or time.monotonic() >= deadline:
                return verdict
            await asyncio.sleep(_BUSY_POLL_S)


async def _send_accepted(
    send: Send, command_id: str, session_id: str, replayed: bool = False
) -> None:
    body = orjson.dumps({"command_id": command_id, "session_id": session_id})
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"location", f"/v1/commands/{command_id}".encode()),
    ]
    if replayed:
        headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": 202, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class ReadHandler:
    """Handles one read endpoint: authorized, and 404 until the workers' state exists."""

    def __init__(self, state: GatewayState, endpoint: ReadEndpoint) -> None:
        self._state = state
        self._endpoint = endpoint

    async def handle(self, request: Request) -> Response:
        state = self._state
        principal = state.principal(request.headers.get("authorization"), "sessions:read")
        params = request.path_params
        if "command_id" in params:
            command_id = check_command_id(params["command_id"])
            services = state.require_services()
            result = await services.reader.command(principal.tenant, command_id)
            if result is None:
                raise Problem(
                    404,
                    f"no result of command {command_id!r} is known yet (results appear once "
                    "a worker has finished the command)",
                    field="command_id",
                )
            return _json(200, result)
        session_id = check_session_id(params["sid"])
        output = request.query_params.get("format", "png")
        if request.scope["path"].endswith("/qr") and output not in ("png", "text"):
            raise Problem(422, "format is 'png' or 'text'", field="format")
        services = state.require_services()
        verdict = await services.admission.check("read", principal.tenant, session_id)
        if verdict.code == "unknown" and await services.reader.restore_owner(session_id):
            verdict = await services.admission.check("read", principal.tenant, session_id)
        if verdict.code != "ok":
            raise _refusal(verdict, session_id)
        snapshot = await services.reader.session(session_id)
        if snapshot is None:
            raise Problem(
                404,
                f"no {self._endpoint.what} of session {session_id!r} is known yet (workers "
                "publish it once they run the session)",
                field="session_id",
            )
        if request.scope["path"].endswith("/qr"):
            return _qr_response(snapshot, output)
        return _json(200, snapshot)


def _qr_response(snapshot: dict[str, Any], output: str) -> Response:
    """The QR to scan: its raw payload (``format=text``) or a PNG of it."""
    payload = snapshot.get("qr")
    if not payload:
        raise Problem(
            409,
            f"session {snapshot['session_id']!r} shows no QR code: it is {snapshot['state']}"
            + (" (pairing by code: see pairing_code)" if snapshot.get("pairing_code") else ""),
            field="session_id",
        )
    if output == "text":
        return Response(payload, media_type="text/plain; charset=utf-8")
    image = io.BytesIO()
    segno.make(payload, error="l").save(image, kind="png", scale=6, border=4)
    return Response(image.getvalue(), media_type="image/png")


def api_routes(state: GatewayState) -> list[BaseRoute]:
    """Routes of every command and read endpoint."""
    routes: list[BaseRoute] = [
        Route(
            endpoint.path,
            CommandHandler(state, endpoint),
            methods=[endpoint.method],
            name=f"{endpoint.method.lower()} {endpoint.path}",
        )
        for endpoint in COMMAND_ENDPOINTS
    ]
    routes += [
        Route(endpoint.path, ReadHandler(state, endpoint).handle, methods=["GET"])
        for endpoint in READ_ENDPOINTS
    ]
    return routes
