"""``python -m firesets.bench``: see :mod:`firesets.bench`."""
from . import main

raise SystemExit(main())
