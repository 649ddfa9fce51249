"""A module slow to import (0.15 s, as a heavy library's), imported after the Blueprint module."""

import time

time.sleep(0.15)
#: When its import finished: the app cannot have been loaded before.
FINISHED = time.time()
