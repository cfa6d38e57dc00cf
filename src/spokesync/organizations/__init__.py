"""Auth0 Organizations as a source of memberships: bindings on organizations, the groups
made per organization, and reading members with their organization roles.

:mod:`.template` renders group names (pure); :mod:`.selection` matches organizations
(pure); :mod:`.resolve` turns organization bindings into bindings per organization and the
state of each one's group (I/O); :mod:`.members` reads members for a run (I/O).
"""
