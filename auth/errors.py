"""The auth exception tree."""

from __future__ import annotations


class AuthError(Exception):
    """Base of every error raised on purpose by ``auth``."""


class UserExists(AuthError):
    """A user with that username already exists."""


class UnknownUser(AuthError):
    """No user with that username exists."""


class InvalidUsername(AuthError, ValueError):
    """The username is empty, too long or uses characters outside ``[a-z0-9._@-]``."""


class PermissionDenied(AuthError):
    """The current request's user lacks the role an action needs (or is not logged in)."""
