"""Rate limits per tenant and per session, shared by every gateway instance through Redis.

GCRA (the generic cell rate algorithm): each limited key stores one number, its theoretical
arrival time in microseconds of Redis' clock; a request is admitted when it would arrive no
earlier than ``burst`` emission intervals before that time. The check is a Lua function that
:mod:`gateway.admission` runs in the same atomic script as the ownership and idempotency
checks, so a command costs one Redis round trip. Rates and bursts come from
``WASTREAM_RATE_TENANT_PER_S``, ``WASTREAM_RATE_TENANT_BURST``, ``WASTREAM_RATE_SESSION_PER_S`` and
``WASTREAM_RATE_SESSION_BURST``.
"""

from __future__ import annotations

from dataclasses import dataclass

from wastream.settings import Settings

__all__ = ["GCRA_LUA", "RateLimits", "session_rate_key", "tenant_rate_key"]

# gcra(key, interval_us, tolerance_us, now_us) -> new theoretical arrival time, microseconds to
# wait (admitted when <= 0). Nothing is written here: the caller stores the new time only when
# every limit admits the request.
GCRA_LUA = """
local function gcra(key, interval, tolerance, now)
  local tat = tonumber(redis.call('GET', key))
  if tat == nil or tat < now then tat = now end
  local new_tat = tat + interval
  return new_tat, new_tat - tolerance - now
end

local function gcra_store(key, tat, now)
  redis.call('SET', key, string.format('%.0f', tat), 'PX', math.ceil((tat - now) / 1000) + 1)
end
"""


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Sustained rates (per second) and bursts of one tenant and of one session."""

    tenant_per_s: float
    tenant_burst: int
    session_per_s: float
    session_burst: int

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimits:
        return cls(
            settings.rate_tenant_per_s,
            settings.rate_tenant_burst,
            settings.rate_session_per_s,
            settings.rate_session_burst,
        )

    def script_args(self) -> list[int]:
        """Emission interval and tolerance, in microseconds, of the tenant then the session."""
        tenant_interval = max(1, round(1_000_000 / self.tenant_per_s))
        session_interval = max(1, round(1_000_000 / self.session_per_s))
        return [
            tenant_interval,
            tenant_interval * self.tenant_burst,
            session_interval,
            session_interval * self.session_burst,
        ]


def tenant_rate_key(tenant: str) -> str:
    return f"wastream:rate:tenant:{tenant}"


def session_rate_key(session_id: str) -> str:
    return f"wastream:rate:session:{session_id}"
