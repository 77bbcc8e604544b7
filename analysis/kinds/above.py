"""``above`` — 达到…以上 (at or over the value in the target year)."""

from analysis.kinds.base import LevelKind

KIND = LevelKind("above", side=1, words_en="above {v}")
