"""``keep_below`` — 保持在…以下 (at or under the value every year of the plan period)."""

from analysis.kinds.base import LevelKind

KIND = LevelKind("keep_below", side=-1, keep=True, words_en="below {v} every year")
