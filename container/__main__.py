"""`python -m container`: serve function_app.app on SERVER_HOST:SERVER_PORT."""

import gc

# Start-up allocates much and frees almost nothing, so the collector's passes over it are wasted time (several
# dozen of them, about a tenth of the start): it is off until the server listens (see container.server).
gc.disable()

import sys  # noqa: E402

from .server import main  # noqa: E402

sys.exit(main())
