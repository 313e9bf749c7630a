"""Auth: password hashing, users and roles, login/logout, the request guard, lockout.

Imports ``storage`` only. Session, idle-timeout and invalidation bounds: see ``auth.web``.
"""

from .config import AuthConfig
from .errors import AuthError, InvalidUsername, PermissionDenied, UnknownUser, UserExists
from .passwords import WeakPassword, check_policy, hash_password
from .users import (
    AuthResult,
    AuthStatus,
    Role,
    User,
    add_user,
    authenticate,
    disable_user,
    enable_user,
    get_user,
    list_users,
    normalize_username,
    set_password,
    set_role,
    validate_username,
)
from .web import SessionUser, client_address, csrf_token, current_user, install, require_role

__all__ = [
    "AuthConfig",
    "AuthError",
    "AuthResult",
    "AuthStatus",
    "InvalidUsername",
    "PermissionDenied",
    "Role",
    "SessionUser",
    "UnknownUser",
    "User",
    "UserExists",
    "WeakPassword",
    "add_user",
    "authenticate",
    "check_policy",
    "client_address",
    "csrf_token",
    "current_user",
    "disable_user",
    "enable_user",
    "get_user",
    "hash_password",
    "install",
    "list_users",
    "normalize_username",
    "require_role",
    "set_password",
    "set_role",
    "validate_username",
]
