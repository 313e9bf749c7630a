"""Password hashing (argon2id through libpass's CryptContext) and the password policy."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from passlib.context import CryptContext

from .errors import AuthError

log = logging.getLogger(__name__)

# argon2id for every new hash. pbkdf2_sha256 is only read: a user who logs in with one
# gets it replaced (verify_and_update), as do argon2 hashes made with older parameters.
CONTEXT = CryptContext(
    schemes=["argon2", "pbkdf2_sha256"],
    deprecated=["pbkdf2_sha256"],
    argon2__type="ID",
)

MIN_LENGTH = 10
# The longest password accepted, set or typed at the login. A login with a longer one is
# refused before any hashing (passlib itself raises on more than 4096 characters, and
# an unbounded input must not decide what a refusal costs or looks like).
MAX_LENGTH = 1024
# What ``verify_nothing`` checks against the dummy hash: the cost of a refusal whose
# password is never checked (too long, locked) matches that of a wrong password.
_NOTHING = "x" * MIN_LENGTH


class WeakPassword(AuthError, ValueError):
    """The password does not meet the policy; the message says why."""


@dataclass(frozen=True)
class Verification:
    """The result of checking a password: ``ok``, and a replacement hash to store if
    the stored one uses a deprecated scheme or outdated parameters."""

    ok: bool
    new_hash: str | None = None


def check_policy(password: str) -> None:
    """Raise WeakPassword unless ``password`` is acceptable."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"password too short: use at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"password too long: use at most {MAX_LENGTH} characters")
    if not password.strip():
        raise WeakPassword("password must not be only whitespace")


def hash_password(password: str) -> str:
    """Check the policy (WeakPassword) and return a new argon2id hash."""
    check_policy(password)
    return CONTEXT.hash(password)


def verify(password: str, stored_hash: str | None) -> Verification:
    """Check ``password`` against ``stored_hash``.

    ``stored_hash=None`` (no such user) still verifies against a dummy hash made with
    the current parameters, so an unknown user costs the same time as a wrong password.
    """
    if stored_hash is None:
        CONTEXT.verify_and_update(password, _dummy_hash(CONTEXT))
        return Verification(ok=False)
    try:
        ok, new_hash = CONTEXT.verify_and_update(password, stored_hash)
    except ValueError:
        # An unrecognised or corrupt stored hash: nobody can log in with it.
        log.warning("stored password hash is not recognised; refusing the login")
        return Verification(ok=False)
    return Verification(ok=bool(ok), new_hash=new_hash if ok else None)


def verify_nothing() -> None:
    """Spend what verifying a password costs, without a password: for refusals decided
    before the password is checked, so they take as long as a wrong password."""
    CONTEXT.verify(_NOTHING, _dummy_hash(CONTEXT))


_dummies: dict[int, str] = {}


def _dummy_hash(context: CryptContext) -> str:
    # Made lazily (hashing costs ~0.1 s) and per context, so a context swapped in by a
    # test or by configuration gets a dummy with its own cost parameters.
    key = id(context)
    if key not in _dummies:
        _dummies[key] = context.hash(secrets.token_urlsafe(24))
    return _dummies[key]
