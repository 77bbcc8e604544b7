"""``at_most`` — 控制在…以内, 不超过 (at or under the value in the target year)."""

from analysis.kinds.base import LevelKind

KIND = LevelKind("at_most", side=-1, words_en="at most {v}")
