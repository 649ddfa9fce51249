"""``TimerExtension``: an Azure Functions worker extension that times invocations."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from azure.functions import AppExtensionBase, Context

from . import recording
from ._version import __version__
from .claims import claim
from .clock import Clock
from .settings import (
    DEFAULT_HISTORY_MINUTES,
    DEFAULT_JSON_ROUTE,
    DEFAULT_LOG_LEVEL,
    DEFAULT_LOGGER_NAME,
    DEFAULT_MAX_AGE_SECONDS,
    DEFAULT_MAX_IN_FLIGHT,
    DEFAULT_METRICS_ROUTE,
    DEFAULT_PAGE_ROUTE,
    DEFAULT_SLOWEST_IMPORTS,
    LogLevel,
    Settings,
    hooks_run,
    make_settings,
)
from .startup import PROCESS, StartupRecord, summary_attributes, summary_line
from .state import TimerState
from .triggers import APP_TRIGGERS

if TYPE_CHECKING:  # both exist from azure-functions 1.11.3 on (the v2 programming model)
    from azure.functions import AuthLevel, Blueprint

    from .snapshot import MergedView

__all__ = ["TimerExtension", "timed"]

_F = TypeVar("_F", bound=Callable[..., Any])


class TimerExtension(AppExtensionBase):
    """Times every invocation of every function in the app.

    An application-level worker extension: importing this module registers
    it with ``azure.functions.ExtensionMeta`` and the Python worker (with
    the app setting ``PYTHON_ENABLE_WORKER_EXTENSIONS=1``) calls its hooks
    around each invocation. Like every ``AppExtensionBase`` it is a static
    class: all methods are classmethods and it must not be instantiated.

    Per invocation it records the duration with a monotonic nanosecond
    clock, updates per-function statistics (count, errors, abandoned,
    min/mean/max, a log-spaced histogram for p50/p90/p99), optionally logs
    one line, and when the function returned an ``azure.functions.
    HttpResponse`` adds a ``Server-Timing: func;dur=<ms>`` header and, if
    asked, appends `` (TimeElapsed: <seconds> sec)`` to text bodies.

    Usage, in ``function_app.py``::

        from python_worker_extension_timer import TimerExtension
        TimerExtension.configure(append_to_http_response=False)

    State lives per class: it is created by :meth:`init`, which the
    metaclass runs for ``TimerExtension`` and again for each subclass. A
    subclass therefore has its own settings and statistics, and the worker
    runs its hooks in addition to those of ``TimerExtension``. A subclass
    that sets ``server_timing_metric`` to another name adds its own metric
    to the Server-Timing header; with the same name it replaces ours.

    Nothing raised inside the hooks reaches the user's function: problems
    are logged once per kind at WARNING on the extension's logger and the
    invocation continues.
    """

    #: The Server-Timing metric name this class writes.
    server_timing_metric: ClassVar[str] = "func"

    _state: ClassVar[TimerState]

    # --- life cycle -----------------------------------------------------

    @classmethod
    def init(cls) -> None:
        """Create the state of this class with default settings.

        Called by ``ExtensionMeta`` when the class body has been executed,
        before the class name is bound in its module (hence ``cls``
        everywhere). Runs again for every subclass, giving it fresh state.
        After ``init()`` the extension works without :meth:`configure`.
        """
        cls._state = TimerState(Settings())
        if cls.__qualname__ == "TimerExtension" and cls.__module__ == __name__:
            # Only the base class feeds OpenTelemetry: a subclass's hooks see the same
            # invocations, and one set of instruments per process must count them once.
            cls._state.opentelemetry_totals = lambda: cls._state.local_totals()
            cls._state.connect_opentelemetry()

    @classmethod
    def configure(
        cls,
        *,
        append_to_http_response: bool = False,
        server_timing: bool = True,
        log_level: LogLevel = DEFAULT_LOG_LEVEL,
        logger_name: str = DEFAULT_LOGGER_NAME,
        max_age_seconds: float = DEFAULT_MAX_AGE_SECONDS,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        clock: Clock | None = None,
        slowest_imports: int = DEFAULT_SLOWEST_IMPORTS,
        history_minutes: int = DEFAULT_HISTORY_MINUTES,
    ) -> None:
        """Set the configuration; call from ``function_app.py``.

        Every call replaces the whole configuration: options not passed
        take their defaults. It is safe to call at any time, also while
        invocations run: the new settings are swapped in as one object and
        statistics are kept. All arguments are validated before anything
        changes.

        Parameters
        ----------
        append_to_http_response: bool
            Append `` (TimeElapsed: <seconds> sec)`` to the body of HTTP
            responses whose type is ``text/*``. JSON and other bodies are
            never modified. Default False.
        server_timing: bool
            Add ``func;dur=<ms>`` to the ``Server-Timing`` header of HTTP
            responses, merged into an existing value. Default True.
        log_level: int | str | None
            Level of the per-invocation line ``"<function> invocation <id>
            took <ms> ms"``, as a number or a name such as ``"INFO"``;
            ``None`` disables it. Default ``logging.DEBUG``, so the line costs
            nothing unless the logger is enabled for DEBUG.
        logger_name: str
            The logger used for the line and for warnings about problems.
            Default ``"python_worker_extension_timer"``. (The logger the
            worker passes to hooks writes to the platform's system logs,
            which users never see.)
        max_age_seconds: float
            An invocation started longer ago than this without completing
            is counted as abandoned and forgotten. Default 300.
        max_in_flight: int
            At most this many invocations are tracked as in flight; beyond
            it the oldest are counted as abandoned. Default 10,000.
        clock: Callable[[], int] | None
            Monotonic clock in integer nanoseconds; ``None`` means
            ``time.perf_counter_ns``. It is called once here to check that
            it returns an int. Changing the clock forgets the invocations in
            flight, which were timed with the old one.
        slowest_imports: int
            How many of the slowest imports this process's start-up record
            keeps (0 to 1000); the rest are summed. Default 20. Applies to the
            process (the start-up record is one per process).
        history_minutes: int
            Minutes of per-minute history kept per function, the current
            one included: the ``history`` of :meth:`stats` and the chart of
            the latency page. From 6 (the window of the last 5 minutes reads
            it) to 1440. Default 60. Only minutes with calls take memory
            (see the readme for the figure).

        Raises
        ------
        TypeError
            An argument has the wrong type (``bool`` is not accepted where
            an ``int`` is expected, nor ``0``/``1`` for a ``bool``), or an
            argument is passed positionally or is unknown.
        ValueError
            An argument has an invalid value, e.g. a negative age or an
            unknown level name.
        """
        settings = make_settings(
            append_to_http_response=append_to_http_response,
            server_timing=server_timing,
            log_level=log_level,
            logger_name=logger_name,
            max_age_seconds=max_age_seconds,
            max_in_flight=max_in_flight,
            clock=clock,
            slowest_imports=slowest_imports,
            history_minutes=history_minutes,
        )
        cls._state.apply(settings)
        PROCESS.slowest = settings.slowest_imports
        cls._state.ensure_publishing(cls.__name__)
        cls._state.connect_opentelemetry()

    # --- worker hooks ---------------------------------------------------

    @classmethod
    def post_function_load_app_level(
        cls, function_name: str, function_directory: str, *args: Any, **kwargs: Any
    ) -> None:
        """Register a function so that it appears in :meth:`stats` with count 0.

        Called by the worker once per function, right after loading it.
        A function of the v1 programming model has its trigger kind read
        from the ``function.json`` in its folder (in the v2 model it comes
        from the app's decorators).

        Parameters
        ----------
        function_name: str
            The name of the function (e.g. ``echo``).
        function_directory: str
            The path of the function app (e.g. ``/home/site/wwwroot``), or
            in the v1 model the function's own folder.
        """
        try:
            state = cls._state
            state.hooked = True
            with state.lock:
                state.loaded.add(function_name)
            state.function(function_name)
            APP_TRIGGERS.declared_in(function_name, function_directory)
            state.ensure_publishing(cls.__name__)
            state.connect_opentelemetry()
            PROCESS.app_loaded_now("the worker's function-load hook")
            PROCESS.function_loaded_now()
        except Exception as exc:
            cls._problem("post_function_load_app_level", exc)

    @classmethod
    def pre_invocation_app_level(
        cls,
        logger: logging.Logger,
        context: Context,
        func_args: dict[str, object] | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        """Record the start of an invocation.

        Called by the worker right before the function runs. Stores the
        clock reading and the function name under ``context.invocation_id``.
        Occasionally (every ``max_age_seconds / 4``, or when more than
        ``max_in_flight`` invocations are open) it also evicts stale starts.

        Parameters
        ----------
        logger: logging.Logger
            The worker's system logger for this extension; not used.
        context: azure.functions.Context
            Gives ``invocation_id`` and ``function_name``.
        func_args: typing.Dict[str, object]
            The function's arguments; not used.
        """
        try:
            state = cls._state
            state.hooked = True
            if state.decorated:  # tell a function decorated with timed() that this invocation is timed here
                state.claim.set(claim(context.invocation_id, func_args))
            # The clock is read last, so our own work is not timed.
            state.in_flight.start(context.invocation_id, context.function_name, state.active.clock())
        except Exception as exc:
            cls._problem("pre_invocation_app_level", exc)

    @classmethod
    def post_invocation_app_level(
        cls,
        logger: logging.Logger,
        context: Context,
        func_args: dict[str, object] | None = None,
        func_ret: object | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        """Finish timing an invocation and report the duration.

        Called by the worker after the function returned (not when it
        raised). Pops the start recorded for ``context.invocation_id``
        (unknown ids are ignored), updates the function's statistics, logs
        the line at the configured level, and when ``func_ret`` is an
        ``HttpResponse`` sets the ``Server-Timing`` metric and, if enabled,
        the text body suffix. The worker sends this very object to the host
        after the hooks ran, so the changes reach the client.

        Parameters
        ----------
        logger: logging.Logger
            The worker's system logger for this extension; not used.
        context: azure.functions.Context
            The same object the pre-invocation hook received.
        func_args: typing.Dict[str, object]
            The function's arguments; not used.
        func_ret: typing.Optional[object]
            The function's return value. An ``HttpResponse`` with status
            >= 500 counts as an error.
        """
        try:
            state = cls._state
            end = state.active.clock()
            if state.decorated:
                state.claim.set(None)
            entry = state.in_flight.finish(context.invocation_id)
        except Exception as exc:
            cls._problem("post_invocation_app_level", exc)
            return
        if entry is not None:
            recording.complete(cls, state, context.invocation_id, entry, end, func_ret)

    # --- timing the call itself -----------------------------------------

    @classmethod
    def timed(cls, function: _F | None = None, *, name: str | None = None) -> Any:
        """Decorate a function so that it is timed on every Python and every failure counts at once.

        Place it under ``@app.route`` (or any trigger decorator)::

            @app.route(route="echo", methods=["POST"])
            @timed
            async def echo(req: func.HttpRequest) -> func.HttpResponse: ...

        The wrapper keeps what the worker's indexer reads: the signature,
        annotations, name and whether the function is ``async``.

        - **Where the worker runs the hooks** (Python 3.10 to 3.12 with
          ``PYTHON_ENABLE_WORKER_EXTENSIONS`` on), the pre hook has already
          taken the invocation: the wrapper only adds what the hooks cannot
          see, a function that raises. The invocation is then recorded at
          once as an error with its duration and leaves the in-flight table
          (it never becomes abandoned).
        - **Where no hook runs** (Python 3.13+, whose worker runs no
          extensions, or the setting off), the wrapper times the call
          itself: the same statistics, the same ``Server-Timing`` header and
          the same optional body suffix as the hooks.

        Either way each invocation is recorded exactly once, and an
        exception propagates unchanged (the same object, the same
        traceback).

        Parameters
        ----------
        function: callable
            The function (sync or ``async``). ``@timed`` and ``@timed()``
            both work.
        name: str, optional
            The function's name in the statistics when no hook runs;
            defaults to ``function.__name__``, which is the function's name
            unless ``@app.function_name`` gives another (then pass that).
        """
        if function is None:
            return functools.partial(cls.timed, name=name)
        from .decorator import make_timed  # here: an app timed by the worker's hooks never imports it

        return make_timed(cls, function, name or function.__name__)

    # --- serving the statistics -----------------------------------------

    @classmethod
    def blueprint(
        cls,
        *,
        json_route: str | None = DEFAULT_JSON_ROUTE,
        page_route: str | None = DEFAULT_PAGE_ROUTE,
        metrics_route: str | None = DEFAULT_METRICS_ROUTE,
        auth_level: AuthLevel | str = "function",
        back_link: tuple[str, str] | None = None,
    ) -> Blueprint:
        """The statistics as HTTP endpoints, ready to register: ``app.register_functions(TimerExtension.blueprint())``.

        Returns a new ``azure.functions.Blueprint`` with one GET function
        per route that is not ``None``, each answering with
        ``Cache-Control: no-store``:

        - ``timer_stats`` at `json_route`: :meth:`stats` as JSON;
        - ``timer_page`` at `page_route`: the latency page (each function's
          figures for the last 5 minutes and since start, its last hour
          minute by minute, its histogram; the cold starts; the worker
          processes), HTML with inline SVG, light and dark, and one small
          inline script that keeps the scroll position and the unfolded
          tables across reloads; its
          links are relative, so they work under any route and prefix, and
          keep the ``code`` (function key) it was opened with;
        - ``timer_metrics`` at `metrics_route`: the Prometheus text of
          :mod:`.prometheus`, or a 501 JSON error naming the
          ``[prometheus]`` extra when ``prometheus_client`` is missing.

        The functions are decorated with :meth:`timed`, so they are timed
        like the app's own on every Python. The page and the Prometheus
        module are imported at their first request, not here.

        Parameters
        ----------
        json_route, page_route, metrics_route: str or None
            Routes as ``@app.route`` takes them (Azure puts its
            ``routePrefix``, ``api`` by default, in front). ``None`` leaves
            that endpoint out; at least one must remain, no two the same.
        auth_level: azure.functions.AuthLevel or str
            Who may call the endpoints. The default, ``"function"``
            (``AuthLevel.FUNCTION``), asks for a function key in Azure: the figures name the app's
            functions and modules and its worker processes' ids.
        back_link: (str, str), optional
            A link from the page back into the app: its text and the route
            of the page it leads to.

        Raises
        ------
        TypeError, ValueError
            A route that is not a non-empty path or ``None``; every route
            ``None``; two routes the same; a malformed `back_link`.
        """
        from .blueprint import make_blueprint  # here: an app that serves no endpoint never imports it

        return make_blueprint(
            cls,
            json_route=json_route,
            page_route=page_route,
            metrics_route=metrics_route,
            auth_level=auth_level,
            back_link=back_link,
        )

    # --- reading and resetting ------------------------------------------

    @classmethod
    def stats(cls) -> dict[str, Any]:
        """A JSON-ready snapshot of the statistics of the whole server.

        In one process, that process's statistics. When the server shares a
        directory between its worker processes (the environment variable
        ``TIMER_MULTIPROCESS_DIR``, see :mod:`.multiprocess`), the statistics
        of every worker process it ran, merged exactly (counts added,
        histograms added bucket by bucket), those of processes that exited
        (SIGKILL too) included, up to their last finished call; read on an
        event loop, the other processes' part is what the publishing thread
        read last, at most about half a second old, and no file is read
        there. Evicts stale in-flight starts first, so invocations older
        than ``max_age_seconds`` show up as abandoned.

        Returns
        -------
        dict
            ::

                {"extension": "TimerExtension", "version": "1.4.0",
                 "enabled": True, "mode": "hooks", "reason": None,
                 "in_flight": 0,
                 "functions": {"<name>": {
                     "trigger": "http"|"timer"|"pubsub"|"datasource"|"other",
                     "count": int, "errors": int, "abandoned": int,
                     "min_ms": float|None, "mean_ms": float|None,
                     "max_ms": float|None, "p50_ms": float|None,
                     "p90_ms": float|None, "p99_ms": float|None,
                     "histogram": {"bounds_ms": [float, ...],
                                   "counts": [int, ...]},
                     "history": [
                         {"start": "<ISO time>", "calls": int,
                          "errors": int, "p50_ms": float|None,
                          "p90_ms": float|None, "p99_ms": float|None,
                          "max_ms": float|None}, ...]}},
                 "window": {"minutes": 5, "from": "<ISO time>",
                            "to": "<ISO time>",
                            "functions": {"<name>": {same keys}}},
                 "history": {"minutes": 60, "from": "<ISO time>",
                             "to": "<ISO time>"},
                 "since": "<ISO time>",
                 "coverage": "2 worker processes, since 12:01:07 UTC",
                 "processes": [{"pid": int, "alive": bool,
                                "since": "<ISO time>", "count": int,
                                "errors": int, "in_flight": int,
                                "functions": {"<name>": int},
                                "startup": {<the process's start-up record>},
                                "folded": int}],
                 "skipped_files": [{"file": str, "reason": str}],
                 "startup": {"process_starts": int, "ready": int,
                             "time_to_ready_ms": {"p50": float|None,
                                                  "max": float|None},
                             "first_calls": {"<name>": [{"pid": int,
                                             "duration_ms": float}]},
                             "slowest_imports": [{"module": str,
                                 "self_ms": float, "cumulative_ms": float,
                                 "processes": int}]}}

            ``enabled`` is False, with the ``reason``, while nothing is
            recorded: no worker hook ran in any process and no function is
            decorated with :meth:`timed`. ``mode`` says how invocations are
            recorded: ``hooks``, ``decorator``, ``hooks and decorator``.
            ``trigger`` is each function's trigger kind, OpenTelemetry's
            ``faas.trigger``, from the app's own metadata (see
            :mod:`.triggers`), the same as the Prometheus label.
            ``functions`` covers everything since the processes started;
            ``window`` the current wall-clock minute and the 5 before it
            (``from`` is the start of the oldest). Each function's
            ``history`` has one entry per wall-clock minute of the last
            ``history_minutes`` (the period is in the top-level ``history``)
            (see :meth:`configure`), oldest first, ending with the current
            one; each with its own percentiles, ``None`` in a minute
            without calls (listed with 0 calls). ``window`` is the sum of
            its last 6 entries. ``count`` is completed
            invocations; ``errors`` is responses with status >= 500 plus
            ``abandoned``. Durations are ``None`` while ``count`` is 0.
            Percentiles are within 1 % of the exact nearest-rank value.
            ``histogram`` lists the upper bound and count of each non-empty
            bucket in ascending order. ``processes`` lists every worker
            process whose statistics are included, with its invocations
            in all (``count``) and per function, and its ``startup``
            record (see :mod:`.startup`: when it started, when the timer was
            imported, when the app was loaded, each function's first (cold)
            call, the import profile); ``folded`` is 1, except in the one
            entry (pid 0, no start-up record) that adds up the exited
            processes older than the 16 most recent. ``startup`` sums the
            cold starts up across processes: a replaced worker process is a
            new process and a new cold start. ``skipped_files`` names the
            files of the shared directory that were not added, with why
            (another run's, not a regular file, a field out of range...).
            Times are UTC.
        """
        return cls.view().to_dict(cls.__name__, __version__)

    @classmethod
    def view(cls) -> MergedView:
        """The merged statistics as objects (what :meth:`stats` and the Prometheus exposition read)."""
        state = cls._state
        try:
            state.in_flight.sweep(state.active.clock())
        except Exception as exc:
            cls._problem("stats", exc)
        state.ensure_publishing(cls.__name__)
        return state.view()

    @classmethod
    def reset(cls) -> None:
        """Clear all statistics and forget the invocations in flight.

        Every known function (announced by ``post_function_load_app_level``
        or decorated with :meth:`timed`) stays listed with count 0, in every
        worker mode. Settings and the start-up record (a fact about the
        process, not a statistic) are kept.
        """
        cls._state.reset()

    @classmethod
    def settings(cls) -> Settings:
        """The configuration in force (an immutable :class:`Settings`)."""
        return cls._state.active.settings

    # --- internals ------------------------------------------------------

    @classmethod
    def _problem(cls, where: str, exc: BaseException) -> None:
        """Log a problem at WARNING, once per (place, exception type)."""
        recording.problem(cls, where, exc)

    @classmethod
    def _log_startup(cls, record: StartupRecord) -> None:
        """One line per process when start-up is over: where its time went, the slowest imports."""
        from .log_fields import flat_fields  # here: once per process, after its start-up

        try:
            # Each figure its own record attribute, so that exporters make each one a field (see .log_fields).
            fields = flat_fields(summary_attributes(record))
            cls._state.active.logger.info("%s", summary_line(record), extra=fields)
        except Exception as exc:
            cls._problem("startup", exc)


#: ``TimerExtension.timed``: see there. ``from python_worker_extension_timer import timed``.
timed = TimerExtension.timed

PROCESS.on_over(TimerExtension._log_startup)


def _check_untimed(module: str) -> None:
    """Once the app module is imported: warn if some of its functions would go untimed here."""
    if hooks_run():  # the hooks time every function: nothing to look for, nothing more to import
        return
    from .untimed import warn_if_untimed

    warn_if_untimed(module)


PROCESS.on_app_loaded(_check_untimed)
