"""``keep_about`` — 保持在…左右 (inside the band of ± ``tolerance`` every year of the plan period)."""

from analysis.kinds.about import About

KIND = About("keep_about", side=0, keep=True, fields=("tolerance",), words_en="about {v} every year")
