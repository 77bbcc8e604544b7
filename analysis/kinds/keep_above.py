"""``keep_above`` — 保持在…以上, 稳定在…以上 (at or over the value every year of the plan period)."""

from analysis.kinds.base import LevelKind

KIND = LevelKind("keep_above", side=1, keep=True, words_en="above {v} every year")
