"""Replay a recorded cassette against an emulator: ids mapped as answers come in, shapes compared.

A cassette (``tests/reference/recordings/<service>/...json``) is sent again request by request.
The real service generated ids the emulator cannot know, so every answer is walked beside the
recorded one and each recorded id (``id``, ``user_id``, ``log_id``, cursors of ``next`` links
and bodies) is paired with the emulator's; later paths, query strings and bodies are rewritten
with the pairs, raw and percent-encoded. Each answer is then compared with the recorded one:
the status, and the answer's shape, i.e. the sets of keys at the top level and in ``profile``,
``credentials`` and ``type``, for every item of a list (the items of a top-level array, or of
an array under a top-level key such as Auth0's ``{"users": [...]}``).

The comparison yields one line per difference, ``"<where>: <what>"``; the test decides which
are known and kept. Nothing here knows an emulator's internals: it speaks HTTP only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from tests import reference

#: the objects whose key sets are compared, besides the top level
NESTED = ("profile", "credentials", "type")
#: keys whose string values are ids the service generated
ID_KEYS = frozenset({"id", "user_id", "log_id", "_id", "realmId", "next"})
#: query parameters that carry a cursor (Okta ``after``, Auth0 ``from``)
CURSOR_PARAMETERS = ("after", "from")


@dataclass(frozen=True)
class Cassette:
    """One recorded file: its name relative to ``recordings/`` and its interactions."""

    name: str
    source: dict[str, Any]
    interactions: list[dict[str, Any]]

    @property
    def service(self) -> str:
        return self.name.split("/", 1)[0]

    @property
    def request_bodies_recorded(self) -> bool:
        return self.source.get("request_bodies_recorded") is not False


def cassette_names(service: str) -> list[str]:
    """Every vendored cassette of ``service`` (``okta`` or ``auth0``), subfolders included."""
    root = reference.RECORDINGS
    return sorted(str(p.relative_to(root)) for p in (root / service).rglob("*.json"))


def load(name: str) -> Cassette:
    data = json.loads((reference.RECORDINGS / name).read_text("utf-8"))
    return Cassette(name, data["source"], data["interactions"])


def header(headers: dict[str, Any], name: str) -> Any:
    """A recorded header by name, whatever case the recorder wrote it in."""
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def links(value: Any) -> dict[str, str]:
    """``rel`` -> URL of a Link header (one string, a comma-joined string or a list)."""
    values = value if isinstance(value, list) else ([value] if value else [])
    found: dict[str, str] = {}
    for item in values:
        for url, rel in re.findall(r'<([^>]*)>\s*;\s*rel="([^"]+)"', item):
            found[rel] = url
    return found


@dataclass
class IdMap:
    """Recorded id -> the emulator's, learnt from answers in the order they come."""

    pairs: dict[str, str] = field(default_factory=dict)

    def add(self, recorded: str, ours: str) -> None:
        known = recorded in self.pairs or ours in self.pairs.values()
        if recorded and recorded != ours and not known:
            self.pairs[recorded] = ours

    def text(self, text: str) -> str:
        """``text`` with every known id replaced, in its raw and percent-encoded forms."""
        for recorded in sorted(self.pairs, key=len, reverse=True):
            ours = self.pairs[recorded]
            text = text.replace(quote(recorded, safe=""), quote(ours, safe=""))
            text = text.replace(recorded, ours)
        return text

    def path(self, path: str) -> str:
        # ids in paths are percent-encoded (``auth0%7C…``): decode, map, encode each segment
        return "/".join(quote(self.text(unquote(part)), safe="") for part in path.split("/"))

    def body(self, body: Any) -> Any:
        if isinstance(body, dict):
            return {key: self.body(value) for key, value in body.items()}
        if isinstance(body, list):
            return [self.body(item) for item in body]
        if isinstance(body, str):
            return self.pairs.get(body, self.text(body))
        return body

    def learn(self, recorded: Any, ours: Any) -> None:
        """Pair ids found at the same place in both answers (``_links`` are not walked)."""
        if isinstance(recorded, dict) and isinstance(ours, dict):
            for key in recorded.keys() & ours.keys():
                old, new = recorded[key], ours[key]
                if key in ID_KEYS and isinstance(old, str) and isinstance(new, str):
                    self.add(old, new)
                elif key != "_links":
                    self.learn(old, new)
        elif isinstance(recorded, list) and isinstance(ours, list):
            for old, new in _paired(recorded, ours, self):
                self.learn(old, new)

    def learn_links(self, recorded: Any, ours: list[str]) -> None:
        """Pair the cursors of the ``next`` links, so the next page's request finds ours."""
        theirs, mine = links(recorded).get("next"), links(ours).get("next")
        if theirs is None or mine is None:
            return
        old, new = _cursor(theirs), _cursor(mine)
        if old is not None and new is not None:
            self.add(old, new)


def _cursor(url: str) -> str | None:
    query = dict(parse_qsl(urlsplit(url).query))
    return next((query[key] for key in CURSOR_PARAMETERS if key in query), None)


def _item_id(item: Any) -> str | None:
    if isinstance(item, dict):
        for key in ("id", "user_id", "log_id"):
            if isinstance(item.get(key), str):
                return str(item[key])
    return None


def _paired(recorded: list[Any], ours: list[Any], ids: IdMap) -> Iterator[tuple[Any, Any]]:
    """Items of two lists side by side: first those whose ids are paired, then by position."""
    by_id = {_item_id(item): item for item in ours if _item_id(item) is not None}
    used: set[int] = set()
    rest: list[Any] = []
    for item in recorded:
        mapped = ids.pairs.get(_item_id(item) or "", _item_id(item))
        match = by_id.get(mapped) if mapped is not None else None
        if match is not None and id(match) not in used:
            used.add(id(match))
            yield item, match
        else:
            rest.append(item)
    free = [item for item in ours if id(item) not in used]
    yield from zip(rest, free, strict=False)


def _keys(value: Any) -> set[str] | None:
    return set(value) if isinstance(value, dict) else None


def _object_differences(where: str, recorded: Any, ours: Any) -> list[str]:
    if not isinstance(recorded, dict) or not isinstance(ours, dict):
        if type(recorded) is not type(ours) and recorded is not None and ours is not None:
            return [f"{where}: {type(recorded).__name__} recorded, {type(ours).__name__} here"]
        return []
    found: list[str] = []
    for label, theirs, mine in [
        (where, _keys(recorded), _keys(ours)),
        *((f"{where}.{name}", _keys(recorded.get(name)), _keys(ours.get(name))) for name in NESTED),
    ]:
        if theirs is None or mine is None:
            continue
        found += [f"{label}.{key}: missing" for key in sorted(theirs - mine)]
        found += [f"{label}.{key}: unexpected" for key in sorted(mine - theirs)]
    return found


def shape_differences(recorded: Any, ours: Any, ids: IdMap) -> list[str]:
    """Where the answer's key sets differ from the recorded ones (empty when alike)."""
    if isinstance(recorded, list) and isinstance(ours, list):
        return [
            difference
            for index, (old, new) in enumerate(_paired(recorded, ours, ids))
            for difference in _object_differences(f"$[{index}]", old, new)
        ]
    found = _object_differences("$", recorded, ours)
    if isinstance(recorded, dict) and isinstance(ours, dict):
        for key in recorded.keys() & ours.keys():
            old, new = recorded[key], ours[key]
            if isinstance(old, list) and isinstance(new, list):
                found += [
                    difference
                    for index, (item, mine) in enumerate(_paired(old, new, ids))
                    if isinstance(item, dict)
                    for difference in _object_differences(f"$.{key}[{index}]", item, mine)
                ]
    return found
