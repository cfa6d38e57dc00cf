"""The pure planner: (bindings, source view, target view, links, policy) -> plan.

No I/O, no clock, no randomness: the same inputs give the same plan, which is what makes
``spokesync plan`` trustworthy and lets property tests drive it with arbitrary worlds.

Each identity is classified into a situation (unmatched, unlinked, linked, gone, disputed)
and gets the actions that bring Okta to what the config and policies say, in the order
they must be applied for that identity. Identities are independent of each other, so the
engine may apply different identities concurrently.

One module a concern: :mod:`.context` holds the input, the plan being built and the indexes
and phrases shared by all; :mod:`.unlinked` plans identities without a link (create, adopt,
join, orphaned creates); :mod:`.linked` those with one (in scope, profile drift, blocked,
gone, hub-decided, write-back, leaving groups, IdP links); :mod:`.changes` holds the pure
comparisons; :mod:`.planning` visits the identities.
"""

from spokesync.planner.context import PlanInput
from spokesync.planner.planning import plan
from spokesync.planner.unlinked import MAX_CREATE_GROUPS

__all__ = ["MAX_CREATE_GROUPS", "PlanInput", "plan"]
