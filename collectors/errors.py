"""The one error type every source call raises, and what kind of failure it is.

`permanent` and `retryable` answer two different questions:

- `retryable`: is it worth trying again *within this poll*? Timeouts, refused
  connections, 429 and 5xx are; a body that is too large or malformed is not (the same
  request would get the same answer).
- `permanent`: must a person act before the source can work again? Bad credentials,
  404, 400 are; a malformed body is not (the next poll may well be fine).
"""

from __future__ import annotations

from enum import StrEnum


class ErrorKind(StrEnum):
    """What went wrong, as stored in `sources.last_error` facts and source events."""

    TIMEOUT = "timeout"  # a connect, write, read or pool timeout of one request
    CONNECT = "connect"  # the connection could not be made (refused, DNS, TLS)
    HTTP_STATUS = "http_status"  # the server answered with an error status
    TOO_LARGE = "too_large"  # the body exceeded the size cap
    MALFORMED = "malformed"  # the body could not be decoded (bad JSON, bad encoding)
    BAD_SHAPE = "bad_shape"  # decoded fine but is not the structure we expect
    AUTH = "auth"  # credentials refused (401/403, failed login)
    DEADLINE = "deadline"  # the poll's overall time budget ran out
    RATE_LIMITED = "rate_limited"  # the server asked us to slow down (429)
    PROTOCOL = "protocol"  # the connection broke mid-response or spoke bad HTTP
    CIRCUIT_OPEN = "circuit_open"  # our breaker refused the call without trying it


# Kinds worth another attempt within the same poll when the caller does not say otherwise.
_RETRYABLE_KINDS = frozenset(
    {ErrorKind.TIMEOUT, ErrorKind.CONNECT, ErrorKind.RATE_LIMITED, ErrorKind.PROTOCOL}
)


class SourceError(Exception):
    """A failed call to a source, with a message meant for a person.

    `str(err)` is the message. `retryable` defaults from `kind` (timeout, connect,
    rate_limited, protocol) and is never true for a permanent error.
    """

    def __init__(
        self,
        message: str,
        *,
        kind: ErrorKind,
        permanent: bool = False,
        retryable: bool | None = None,
        status: int | None = None,
        retry_after_s: float | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.permanent = permanent
        if retryable is None:
            retryable = kind in _RETRYABLE_KINDS
        self.retryable = retryable and not permanent
        self.status = status
        self.retry_after_s = retry_after_s
        self.url = url

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"SourceError({self.message!r}, kind={self.kind.value}, permanent={self.permanent},"
            f" retryable={self.retryable}, status={self.status})"
        )

    def with_message(self, message: str) -> SourceError:
        """A copy of this error with another message (e.g. annotated by the retry loop)."""
        return SourceError(
            message,
            kind=self.kind,
            permanent=self.permanent,
            retryable=self.retryable,
            status=self.status,
            retry_after_s=self.retry_after_s,
            url=self.url,
        )


def is_transient(err: BaseException) -> bool:
    """True when `err` is a `SourceError` worth retrying within the same poll."""
    return isinstance(err, SourceError) and err.retryable
