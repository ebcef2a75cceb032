"""The ban rule: too many messages, or too many new recipients, in a minute."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

__all__ = ["Limits", "SendLimiter"]

WINDOW_S = 60.0


@dataclass(slots=True)
class Limits:
    """Per-account limits per minute (0: no limit) and the ban they lead to."""

    messages_per_min: int
    new_recipients_per_min: int
    ban_s: float

    def as_dict(self) -> dict[str, float | int]:
        return {
            "messages_per_min": self.messages_per_min,
            "new_recipients_per_min": self.new_recipients_per_min,
            "ban_s": self.ban_s,
        }


@dataclass(slots=True)
class _Window:
    sends: deque[float] = field(default_factory=deque)
    new_recipients: deque[tuple[float, str]] = field(default_factory=deque)

    def trim(self, now: float) -> None:
        edge = now - WINDOW_S
        while self.sends and self.sends[0] <= edge:
            self.sends.popleft()
        while self.new_recipients and self.new_recipients[0][0] <= edge:
            self.new_recipients.popleft()


class SendLimiter:
    """Sliding one-minute windows per account; :meth:`admit` says whether a send bans."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._windows: dict[str, _Window] = {}

    def admit(self, number: str, recipient: str, is_new: bool, now: float) -> str | None:
        """Count a send; answer why it exceeds a limit (the caller bans), or ``None``."""
        window = self._windows.setdefault(number, _Window())
        window.trim(now)
        limit = self.limits.messages_per_min
        if limit and len(window.sends) + 1 > limit:
            return f"more than {limit} messages in a minute"
        if is_new:
            limit = self.limits.new_recipients_per_min
            seen = {r for _, r in window.new_recipients}
            if recipient not in seen and limit and len(seen) + 1 > limit:
                return f"more than {limit} new recipients in a minute"
            window.new_recipients.append((now, recipient))
        window.sends.append(now)
        return None

    def forget(self, number: str) -> None:
        """A ban ends with clean windows, so the account is not banned again at once."""
        self._windows.pop(number, None)
