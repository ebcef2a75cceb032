"""What touches the outside world: the WhatsApp Web connector, the auth vault and the sandbox."""

from __future__ import annotations

__all__: list[str] = []
