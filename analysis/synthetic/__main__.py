"""``python -m analysis.synthetic [--seed N] [--out DIR]``: write the synthetic returns."""

from analysis.synthetic.generate import main

raise SystemExit(main())
