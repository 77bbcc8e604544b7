"""``reach_keep_above`` — 达到并保持在…以上 (reached by the target year and, from the first year it is met, kept
at or over the value every year after)."""

from analysis.kinds.base import LevelKind

KIND = LevelKind("reach_keep_above", side=1, keep=True, reach_first=True,
                 words_en="reached and kept above {v}")
