"""Domain errors. http/errors.py maps each to an HTTP status in one place."""

from __future__ import annotations


class DomainError(Exception):
    code = "domain_error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidInput(DomainError):
    code = "invalid_input"
    status = 400


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Conflict(DomainError):
    code = "conflict"
    status = 409


class InvalidToken(DomainError):
    code = "invalid_token"
    status = 400


class Gone(DomainError):
    code = "gone"
    status = 410


class TooManyRequests(DomainError):
    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, code: str | None = None, retry_after: int | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after  # seconds; the HTTP edge sends it as Retry-After
