"""The target kinds of the catalog, one file each, and the registry every stage asks.

Each kind (:class:`~analysis.kinds.base.Kind`) says how the catalog checks an entry of it
(:meth:`validate`), the single definition of "met" (:meth:`meets`: used by the scorecard, the
town tables, the gaps page and the report), how the scorecard assesses it (:meth:`assess`) and
its words (:meth:`text`, :meth:`text_en`). Adding a kind is one new file with its ``KIND`` and one
line in :data:`MODULES`. Nothing here imports a stage: the assessment is imported when called.
"""

from __future__ import annotations

from analysis.kinds import (
    about,
    above,
    at_most,
    below,
    direction,
    keep_about,
    keep_above,
    keep_below,
    qualitative,
    reach_keep_above,
    relative,
)
from analysis.kinds.base import OPTIONAL_FIELDS, Kind, LevelKind  # noqa: F401

#: the kinds, in the order the catalog documents them
MODULES = (below, at_most, above, about, keep_above, reach_keep_above, keep_below, keep_about, direction, relative,
           qualitative)
REGISTRY: dict[str, Kind] = {m.KIND.name: m.KIND for m in MODULES}

#: every kind's name (the catalog's schema)
KINDS = frozenset(REGISTRY)
#: kinds with a target value (有具体数值)
NUMERIC_KINDS = frozenset(k for k, v in REGISTRY.items() if v.has_value)
#: kinds met every year of the plan period (保持在)
KEEP_KINDS = frozenset(k for k, v in REGISTRY.items() if v.keep)
#: kinds counted in the headline's achievement rate
SCORED_KINDS = frozenset(k for k, v in REGISTRY.items() if v.scored)
#: kinds for which data are collected
MEASURED_KINDS = frozenset(k for k, v in REGISTRY.items() if v.measured)
#: the groups official reports count targets by, each with its kinds
GROUPS = {g: frozenset(k for k, v in REGISTRY.items() if v.group == g) for g in dict.fromkeys(
    v.group for v in REGISTRY.values())}


def get(name: str) -> Kind:
    """The kind called ``name`` (ValueError naming the known kinds otherwise)."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown target kind {name!r}; one of {sorted(REGISTRY)}") from None
