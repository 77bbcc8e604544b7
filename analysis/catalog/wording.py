"""The target as the plan words it: the catalog's ``wording`` checked against the plan's sentence
and against the test it is given (``params/wordings.yaml``).

*Why:* the target column once rewrote "上升趋势得到有效控制" and "上升趋势减缓" as "逐步下降" and
"达到并保持在96%以上" as "每年保持" — different tests under the plan's name. The wording is now the
plan's own characters (a subsequence of the source sentence: nothing added, nothing reordered,
only the parts that belong to sibling targets left out, as in "分别降至3.0‰、5.0‰和6.0‰以下" →
"降至3.0‰以下"), and the words it uses decide which tests it may be given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from analysis import config


def is_subsequence(part: str, whole: str) -> bool:
    """Whether every character of ``part`` occurs in ``whole`` in the same order."""
    rest = iter(whole)
    return all(ch in rest for ch in part)


def vocabulary() -> dict[str, Any]:
    """``params/wordings.yaml``: the rules that tie a wording's words to the test of its target."""
    return config.read_yaml(config.WORDINGS_FILE)


def check_wording(entry: dict[str, Any], source: str, bad: Callable[[str, str], None],
                  words: dict[str, Any], numbers: list[float]) -> None:
    """Problems with an entry's ``wording`` (``source``: its plan sentence, white space removed;
    ``numbers``: the numbers found in the wording).

    A target that is measured needs one; it must be the plan's own characters in the plan's order;
    a target with a value must carry the value; and its words must fit the kind (or direction) the
    entry is tested by, both ways: a wording with 达到并保持 is tested as reached-and-kept, a
    keep-every-year kind needs 保持 or 稳定在, 明显 needs ``marked: true`` and the reverse.
    """
    from analysis import kinds

    spec = kinds.REGISTRY.get(entry.get("kind"))
    wording = entry.get("wording")
    if spec is None:
        return
    if not spec.measured:
        if wording is not None:
            bad("wording", "a qualitative target is shown with its plan sentence; drop 'wording'")
        return
    if not isinstance(wording, str) or not wording.strip():
        bad("wording", "missing: the plan's own words for this target (e.g. 降至3.0‰以下, 上升趋势减缓)")
        return
    text = "".join(wording.split())
    if not is_subsequence(text, source):
        bad("wording", f"{wording!r} is not the plan's words: its characters do not all occur, in this order, "
                       "in the source sentence")
    if spec.has_value and isinstance(entry.get("value"), int | float) and float(entry["value"]) not in numbers:
        bad("wording", f"{wording!r} does not contain the target value {entry['value']}")
    kind, direction = entry.get("kind"), entry.get("direction")
    for rule in words.get("rules", []):
        if rule["word"] not in text:
            continue
        if "kinds" in rule and spec.has_value and kind not in rule["kinds"]:
            bad("kind", f"the wording {wording!r} says {rule['word']}: tested as one of {rule['kinds']}, not {kind!r}")
        if "directions" in rule and kind == "direction" and direction not in rule["directions"]:
            bad("direction", f"the wording {wording!r} says {rule['word']}: one of {rule['directions']}, "
                             f"not {direction!r}")
    need = words.get("needs", {})
    asked = need.get("kinds", {}).get(kind) if spec.has_value else (
        need.get("directions", {}).get(direction) if kind == "direction" else None)
    if asked and not any(w in text for w in asked):
        what = f"kind {kind!r}" if spec.has_value else f"direction {direction!r}"
        bad("wording", f"{wording!r} does not word a {what} target: it needs one of {asked}")
    marked_words = words.get("marked", [])
    says_marked = any(w in text for w in marked_words)
    if says_marked and entry.get("marked") is not True:
        bad("marked", f"the wording {wording!r} asks for a marked change ({'/'.join(marked_words)}): set marked: true")
    if entry.get("marked") is True and not says_marked:
        bad("marked", f"marked: true but the wording {wording!r} does not say {'/'.join(marked_words)}")
