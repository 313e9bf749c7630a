"""The roles, declared once: their names, their ranks, which a user can have (``auth``
checks them, the dashboard and the CLI offer them; here so the CLI names them without
loading ``auth``).

Each role may do everything the roles below it may do. The ranks are the one place that
orders them; ``Role.allows`` is the one comparison. The database stores the name
(``users.role``, a plain string column: no constraint to migrate when a role is added).
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a user may do. Each role includes everything the roles below it may do."""

    # Manages users, alert rules, health targets, wall screens and anything else that
    # changes how the site is watched.
    ADMIN = "admin"
    # Runs the floor: posts messages to the wall screens, acknowledges and silences
    # alerts, plans maintenance; manages no users and edits no rules.
    SUPERVISOR = "supervisor"
    # Sees every page and wall screen, acknowledges alerts; changes no settings.
    VIEWER = "viewer"
    # A wall screen logged in with a display token: views pages, nothing else (no admin
    # page, no acknowledging). Never the role of a user.
    DISPLAY = "display"

    def allows(self, required: Role) -> bool:
        """True if this role may do what ``required`` may do."""
        return RANK[self] >= RANK[required]


RANK = {Role.DISPLAY: 0, Role.VIEWER: 1, Role.SUPERVISOR: 2, Role.ADMIN: 3}
# The roles a user can have, lowest first (the CLI's choices, the admin page's).
USER_ROLES = (Role.VIEWER, Role.SUPERVISOR, Role.ADMIN)

# What each kind of change needs: the callbacks and the CLI check these, not a role
# picked on the spot.
ACKNOWLEDGE = Role.VIEWER
SILENCE = Role.SUPERVISOR  # silences and planned maintenance
POST_MESSAGE = Role.SUPERVISOR  # messages to the floor
MANAGE = Role.ADMIN  # users, rules, targets, wall screens, test messages
