"""Auth: password hashing, users and roles, login/logout, the request guard, lockout.

Imports ``storage`` only. Session, idle-timeout and invalidation bounds: see ``auth.web``.
"""

from specs.roles import ACKNOWLEDGE, MANAGE, POST_MESSAGE, SILENCE

from . import sessions
from ._requests import declare_display_scope
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
    Lock,
    Role,
    User,
    active_locks,
    add_user,
    authenticate,
    disable_user,
    enable_user,
    get_user,
    list_users,
    normalize_username,
    set_password,
    set_role,
    unlock_user,
    validate_username,
)
from .web import (
    SessionUser,
    client_address,
    csrf_token,
    current_user,
    install,
    installed_config,
    on_login_attempt,
    request_client_address,
    require_role,
)

__all__ = [
    "ACKNOWLEDGE",
    "MANAGE",
    "POST_MESSAGE",
    "SILENCE",
    "SYSTEM_ACTOR",
    "USER_ROLES",
    "Actor",
    "AuthConfig",
    "AuthError",
    "AuthResult",
    "AuthStatus",
    "InvalidDisplayName",
    "InvalidUsername",
    "Lock",
    "NewDisplay",
    "PermissionDenied",
    "Role",
    "SessionUser",
    "UnknownUser",
    "User",
    "UserExists",
    "WeakPassword",
    "active_locks",
    "add_user",
    "authenticate",
    "check_policy",
    "client_address",
    "create_display",
    "csrf_token",
    "current_user",
    "declare_display_scope",
    "disable_user",
    "enable_user",
    "find_display",
    "get_user",
    "hash_password",
    "hash_token",
    "install",
    "installed_config",
    "list_displays",
    "list_users",
    "normalize_username",
    "on_login_attempt",
    "request_client_address",
    "require_role",
    "revoke_display",
    "set_password",
    "sessions",
    "set_role",
    "unlock_user",
    "validate_username",
]
