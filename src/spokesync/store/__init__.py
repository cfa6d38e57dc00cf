"""State: links, source-profile cache, runs, the action journal and audit, cursors, run lock."""
