"""`python -m container`: serve function_app.app on SERVER_HOST:SERVER_PORT."""

import sys

from .server import main

sys.exit(main())
