"""`python -m tests.support.hammer THREADS PER_THREAD`: one worker process timing invocations on several threads.

Drives TimerExtension's registered hooks as the worker's thread pool does, with
TIMER_MULTIPROCESS_DIR taken from the environment, and exits normally (so the
extension writes its file a last time).
"""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "python_worker_extension_timer"))

import azure.functions as func  # noqa: E402
from azure.functions.extension import ExtensionMeta  # noqa: E402

from container.invocation import InvocationContext  # noqa: E402
from python_worker_extension_timer import TimerExtension  # noqa: E402


def main(threads: int, per_thread: int) -> None:
    TimerExtension.configure(log_level=None)
    hooks = ExtensionMeta.get_application_hooks()
    [load] = [h.ext_impl for h in hooks.post_function_load_app_level]
    [pre] = [h.ext_impl for h in hooks.pre_invocation_app_level]
    [post] = [h.ext_impl for h in hooks.post_invocation_app_level]
    load("echo", "/app")
    logger = logging.getLogger("azure_functions_worker.extension.TimerExtension")
    error = func.HttpResponse("busy", status_code=503)
    barrier = threading.Barrier(threads)

    def run(thread: int) -> None:
        barrier.wait()
        for i in range(per_thread):
            context = InvocationContext("echo", "/app", f"{thread}-{i}")
            pre(logger, context, None)
            post(logger, context, None, error if i % 10 == 0 else None)

    workers = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
