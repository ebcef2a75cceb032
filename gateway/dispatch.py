"""Finding a command endpoint by method and path without Starlette's router.

The command endpoints are the gateway's hot path. Starlette's router tries each route's regex
in turn behind three layers of middleware; :class:`CommandRoutes` walks a tree of path segments
instead, and the app (:mod:`gateway.app`) serves what it finds directly. Whatever it does not
find (other endpoints, wrong methods, unknown paths) goes through Starlette as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, TypeVar

__all__ = ["CommandRoutes"]

HandlerT = TypeVar("HandlerT")


class _Node(Generic[HandlerT]):
    __slots__ = ("handlers", "literals", "param", "param_name")

    def __init__(self) -> None:
        self.literals: dict[str, _Node[HandlerT]] = {}
        self.param: _Node[HandlerT] | None = None
        self.param_name = ""
        self.handlers: dict[str, HandlerT] = {}


class CommandRoutes(Generic[HandlerT]):
    """Route templates such as ``/v1/sessions/{sid}/messages`` (a ``{name}`` matches one
    non-empty segment, as Starlette's default ``str`` convertor does), each with a handler per
    method. A literal segment wins over a parameter."""

    def __init__(self, routes: Iterable[tuple[str, str, HandlerT]]) -> None:
        self._root: _Node[HandlerT] = _Node()
        for method, template, handler in routes:
            node = self._root
            for segment in template.split("/")[1:]:
                if segment.startswith("{") and segment.endswith("}"):
                    name = segment[1:-1]
                    if node.param is None:
                        node.param, node.param_name = _Node(), name
                    elif node.param_name != name:
                        raise ValueError(f"{template}: {{{name}}} beside {{{node.param_name}}}")
                    node = node.param
                else:
                    node = node.literals.setdefault(segment, _Node())
            if method in node.handlers:
                raise ValueError(f"{method} {template} is routed twice")
            node.handlers[method] = handler

    def match(self, method: str, path: str) -> tuple[HandlerT, dict[str, str]] | None:
        """The handler of ``method`` on ``path`` and the path's parameters; None when absent."""
        if not path.startswith("/"):
            return None
        node = self._root
        params: dict[str, str] = {}
        for segment in path[1:].split("/"):
            child = node.literals.get(segment)
            if child is None:
                if node.param is None or not segment:
                    return None
                params[node.param_name] = segment
                child = node.param
            node = child
        handler = node.handlers.get(method)
        return None if handler is None else (handler, params)
