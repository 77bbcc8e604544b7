"""``keep_above`` — 保持在…以上 (at or over the value every year of the plan period)."""

from analysis.kinds.base import LevelKind

KIND = LevelKind("keep_above", side=1, keep=True, words="每年保持在{value}{unit}以上",
                 words_en="above {v} every year")
