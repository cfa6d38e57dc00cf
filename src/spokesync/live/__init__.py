"""Live mode: read what changed in the tenant logs and the System Log, and sync exactly the
identities it touches (``serve --live``).

One concept per module: :mod:`.touched` (what a batch of events asks for), :mod:`.auth0_entries`
and :mod:`.okta_events` (the pure classifiers), :mod:`.own_writes` (recognising our own changes
in the System Log), :mod:`.cursors` (where each reader stands), :mod:`.poller` (one poll),
:mod:`.loop` (polling between scheduled runs in ``serve``).
"""
