"""Auth: password hashing, users and roles, login/logout, the request guard, lockout.

Imports ``storage`` only. Session, idle-timeout and invalidation bounds: see ``auth.web``.
"""

from .config import AuthConfig
from .displays import (
    InvalidDisplayName,
    NewDisplay,
    create_display,
    find_display,
    hash_token,
    list_displays,
    revoke_display,
)
from .errors import AuthError, InvalidUsername, PermissionDenied, UnknownUser, UserExists
from .passwords import WeakPassword, check_policy, hash_password
from .users import (
    SYSTEM_ACTOR,
    USER_ROLES,
    Actor,
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
from .web import (
    SessionUser,
    client_address,
    csrf_token,
    current_user,
    install,
    request_client_address,
    require_role,
)

__all__ = [
    "SYSTEM_ACTOR",
    "USER_ROLES",
    "Actor",
    "AuthConfig",
    "AuthError",
    "AuthResult",
    "AuthStatus",
    "InvalidDisplayName",
    "InvalidUsername",
    "NewDisplay",
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
    "create_display",
    "csrf_token",
    "current_user",
    "disable_user",
    "enable_user",
    "find_display",
    "get_user",
    "hash_password",
    "hash_token",
    "install",
    "list_displays",
    "list_users",
    "normalize_username",
    "request_client_address",
    "require_role",
    "revoke_display",
    "set_password",
    "set_role",
    "validate_username",
]
