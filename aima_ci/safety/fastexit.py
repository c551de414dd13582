"""Ending a process as a normal exit would, minus the interpreter's teardown.

Both the collector worker and the command line end this way. After a command's last output
nothing of the process's state is needed, but a normal exit still frees every object and module
one by one: after evidently (3,000 modules) about a second in the worker, and a measurable part
of a ``score`` or ``gate`` whose whole budget is a few bare Python starts.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from typing import NoReturn


def exit_without_teardown(code: int) -> NoReturn:
    """Exit with ``code`` as a normal exit would, without freeing the interpreter's state.

    What a normal exit does that can matter is kept, in its order: wait
    for the threads that are not daemons, run the ``atexit`` functions (temporary folders of
    ``weakref.finalize``, logging's flush, multiprocessing's clean-up), flush the standard
    streams; then ``os._exit``, as multiprocessing ends its own child processes. What is
    skipped is only the freeing, and with it the ``__del__`` of objects still alive, which
    Python never promises to run at exit: a file a collector left open and unflushed is not
    written out by it (close what you write; aima-ci and the first-party collectors do).
    """
    import atexit

    if sys.getprofile() is not None or sys.gettrace() is not None:
        # A profiler or a coverage tracer (``python -m cProfile -m aima_ci.evidence._worker``)
        # writes its results after the program returns: it gets the normal exit.
        sys.exit(code)
    main_thread = threading.main_thread()
    for thread in threading.enumerate():
        if thread is not main_thread and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        with contextlib.suppress(Exception):
            if stream is not None:
                stream.flush()
    os._exit(code)
