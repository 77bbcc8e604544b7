"""``below`` — 降至…以下 (at or under the value in the target year)."""

from analysis.kinds.base import LevelKind

KIND = LevelKind("below", side=-1, words_en="below {v}")
