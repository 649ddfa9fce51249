"""A module whose import takes 0.3 s, as a heavy library's would."""

import time

time.sleep(0.3)
