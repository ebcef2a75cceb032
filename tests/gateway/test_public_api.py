"""The gateway package's public surface."""

from __future__ import annotations

import gateway


def test_public_surface() -> None:
    assert gateway.__all__ == [
        "SCOPES",
        "BackendUnavailableError",
        "GatewayError",
        "Principal",
        "Problem",
        "PublishError",
        "create_app",
        "mint_token",
        "run",
    ]
    for name in gateway.__all__:
        assert getattr(gateway, name) is not None
    assert issubclass(gateway.PublishError, gateway.GatewayError)
