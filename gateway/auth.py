"""Bearer JWT authentication and scope checks.

Tokens are HS256 (``WASTREAM_JWT_SECRET``) or RS256/ES256 (``WASTREAM_JWT_PUBLIC_KEY``, a PEM or
``@path``). ``exp`` is required; ``aud`` and ``iss`` are checked when ``WASTREAM_JWT_AUDIENCE``
and ``WASTREAM_JWT_ISSUER`` are set. The claims ``tenant`` (a string) and ``scope`` (a
space-separated string or a list) make the :class:`Principal`. When a public key is configured
and the secret is still the development default, HS256 tokens are refused, so that a forgotten
secret cannot mint valid tokens in production.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from jwt.types import Options

from gateway.problems import Problem
from wastream.exceptions import ConfigurationError
from wastream.settings import DEV_JWT_SECRET, Settings

__all__ = ["SCOPES", "Authenticator", "Principal", "mint_token", "require_scope"]

SCOPES = ("sessions:write", "sessions:read", "messages:send", "groups:write", "scrape:read")

_CACHE_SIZE = 10_000


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts for: a tenant and the scopes its token grants."""

    tenant: str
    scopes: frozenset[str]


def _unauthorized(detail: str) -> Problem:
    return Problem(
        401,
        detail,
        field="Authorization",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


def _load_public_key(text: str) -> rsa.RSAPublicKey | ec.EllipticCurvePublicKey:
    pem = Path(text[1:]).read_bytes() if text.startswith("@") else text.encode()
    try:
        key = load_pem_public_key(pem)
    except ValueError as exc:
        raise ConfigurationError(f"WASTREAM_JWT_PUBLIC_KEY is not a PEM public key: {exc}") from exc
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise ConfigurationError("WASTREAM_JWT_PUBLIC_KEY must be an RSA or EC public key")
    return key


class Authenticator:
    """Verifies bearer tokens; key objects are parsed once, verified tokens cached until ``exp``."""

    def __init__(self, settings: Settings) -> None:
        self._keys: dict[str, Any] = {}
        public_key = settings.jwt_public_key.strip()
        if public_key:
            key = _load_public_key(public_key)
            self._keys["RS256" if isinstance(key, rsa.RSAPublicKey) else "ES256"] = key
        if not public_key or settings.jwt_secret != DEV_JWT_SECRET:
            self._keys["HS256"] = settings.jwt_secret.encode()
        self._audience = settings.jwt_audience or None
        self._issuer = settings.jwt_issuer or None
        self._options: Options = {
            "require": ["exp"],
            "verify_aud": self._audience is not None,
            "verify_iss": self._issuer is not None,
        }
        self._cache: dict[str, tuple[Principal, float]] = {}

    def authenticate(self, authorization: str | None) -> Principal:
        """The principal of an ``Authorization`` header value; a 401 problem otherwise."""
        if not authorization:
            raise _unauthorized("an Authorization: Bearer <token> header is required")
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise _unauthorized("the Authorization header must be 'Bearer <token>'")
        cached = self._cache.get(token)
        if cached is not None:
            if cached[1] > time.time():
                return cached[0]
            del self._cache[token]
        principal, expires = self._verify(token)
        if len(self._cache) >= _CACHE_SIZE:
            self._cache.clear()
        self._cache[token] = (principal, expires)
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            algorithm = jwt.get_unverified_header(token).get("alg")
            key = self._keys.get(algorithm) if isinstance(algorithm, str) else None
            if key is None or not isinstance(algorithm, str):
                allowed = ", ".join(sorted(self._keys))
                raise _unauthorized(f"token algorithm {algorithm!r} is not accepted ({allowed})")
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self._audience,
                issuer=self._issuer,
                options=self._options,
            )
        except jwt.ExpiredSignatureError as exc:
            raise _unauthorized("the token has expired") from exc
        except jwt.InvalidAudienceError as exc:
            raise _unauthorized(f"the token's audience is not {self._audience!r}") from exc
        except jwt.InvalidIssuerError as exc:
            raise _unauthorized(f"the token's issuer is not {self._issuer!r}") from exc
        except jwt.InvalidSignatureError as exc:
            raise _unauthorized("the token's signature does not verify") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise _unauthorized(f"the token lacks the {exc.claim!r} claim") from exc
        except jwt.PyJWTError as exc:
            raise _unauthorized(f"the token is invalid: {exc}") from exc
        tenant = claims.get("tenant")
        if not isinstance(tenant, str) or not tenant or len(tenant) > 128:
            raise _unauthorized("the token's 'tenant' claim must be a non-empty string")
        scope = claims.get("scope", "")
        if isinstance(scope, str):
            scopes = frozenset(scope.split())
        elif isinstance(scope, list) and all(isinstance(item, str) for item in scope):
            scopes = frozenset(scope)
        else:
            raise _unauthorized("the token's 'scope' claim must be a string or a list of strings")
        return Principal(tenant, scopes), float(claims["exp"])


def require_scope(principal: Principal, scope: str) -> None:
    """A 403 problem unless the principal holds ``scope``."""
    if scope not in principal.scopes:
        raise Problem(
            403,
            f"the token lacks the {scope!r} scope",
            field="scope",
            headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'},
        )


def mint_token(settings: Settings, tenant: str, scopes: Iterable[str], ttl_s: int = 3600) -> str:
    """A HS256 token for ``tenant`` with ``scopes``, valid ``ttl_s`` seconds (``wastream token``).

    It carries ``aud``/``iss`` when the settings require them.
    """
    now = int(time.time())
    claims: dict[str, Any] = {
        "tenant": tenant,
        "scope": " ".join(scopes),
        "iat": now,
        "exp": now + ttl_s,
    }
    if settings.jwt_audience:
        claims["aud"] = settings.jwt_audience
    if settings.jwt_issuer:
        claims["iss"] = settings.jwt_issuer
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")
