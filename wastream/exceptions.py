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
    ├── DlqError                    (wastream.dlq)        reading or replaying dead letters
    ├── DemoError                   (wastream.demo)       ``wastream demo`` could not finish
    ├── GatewayError                (gateway.exceptions)  the HTTP command endpoint
    │   ├── PublishError            Kafka did not acknowledge a record
    │   ├── BackendUnavailableError Kafka or Redis unreachable (503)
    │   └── Problem                 a rejection answered as a JSON problem body
    ├── StreamsError                (streams.exceptions)  the stream processors
    ├── WhatsAppError               (connectors.whatsapp.exceptions) the browser connector
    │   ├── PermanentError          fails a command at once, with its code
    │   │   └── MediaError          media refused (size, type, private address)
    │   └── TransientError          retried with backoff
    ├── VaultError                  (connectors.vault.exceptions) the auth vault
    │   ├── VaultKeyError
    │   └── VaultIntegrityError
    └── SandboxError                (connectors.sandbox.exceptions) the WhatsApp Web sandbox
        ├── ProblemError            a phone API rejection (4xx problem body)
        └── PersistenceError        the state file could not be read or written

Third-party errors are wrapped at the boundary with ``raise X(...) from exc``.
"""

from __future__ import annotations

__all__ = ["ConfigurationError", "WastreamError"]


class WastreamError(Exception):
    """Root of every error wastream raises on purpose."""


class ConfigurationError(WastreamError):
    """A setting is missing or invalid."""
