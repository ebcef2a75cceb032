"""The project's exception root.

Every error wastream raises on purpose derives from :class:`WastreamError`; each package keeps
its own ``exceptions.py`` under it::

    WastreamError
    ├── ConfigurationError          (wastream.exceptions) bad or missing settings
    ├── StackError                  (wastream.stack)      a local service failed to start or stop
    │   └── ServiceStartError
    ├── SchemaError                 (schemas.exceptions)  the Avro contract
    │   ├── UnknownSchemaError      an unknown fingerprint or name, or not the record expected
    │   ├── DecodeError             bytes that are not a valid record
    │   └── EncodeError             a datum that does not fit its schema (names the field)
    ├── GatewayError                (gateway.exceptions)  the HTTP command endpoint
    │   └── PublishError            Kafka did not acknowledge a record
    └── SandboxError                (connectors.sandbox.exceptions) the WhatsApp Web sandbox

Third-party errors are wrapped at the boundary with ``raise X(...) from exc``.
"""

from __future__ import annotations

__all__ = ["ConfigurationError", "WastreamError"]


class WastreamError(Exception):
    """Root of every error wastream raises on purpose."""


class ConfigurationError(WastreamError):
    """A setting is missing or invalid."""
