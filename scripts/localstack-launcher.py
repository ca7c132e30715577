"""Runs LocalStack (the pinned `localstack-core` in .venv-localstack) as `python -m
localstack.runtime.main` would, with its SIGINT shutdown fixed. scripts/localstack.sh runs it with
the virtualenv's python and LocalStack's settings in the environment; nothing here edits the
installed packages.

The fix: on SIGINT LocalStack's `HypercornRuntimeServer.shutdown` calls `loop.stop()` from its
"Runtime-Shutdown" thread, which does not wake the event loop, so the process sometimes never
ended. After the original shutdown we also schedule `loop.stop` with `call_soon_threadsafe`, which
wakes the loop (measured: every stop then ended in 1-6 s).
"""

import signal
import sys

# A background job of a non-interactive shell starts with SIGINT ignored: give SIGINT its default
# meaning back until LocalStack installs its own handler (SIGINT is how LocalStack stops).
signal.signal(signal.SIGINT, signal.default_int_handler)


def patch_hypercorn_shutdown() -> None:
    try:
        from localstack.runtime.server.hypercorn import HypercornRuntimeServer

        original = HypercornRuntimeServer.shutdown
    except (ImportError, AttributeError) as error:
        sys.exit(
            "localstack-launcher.py: error: cannot fix LocalStack's shutdown, "
            f"localstack.runtime.server.hypercorn.HypercornRuntimeServer.shutdown not found ({error}); "
            "scripts/localstack-requirements.txt changed? Update scripts/localstack-launcher.py."
        )

    def shutdown(self) -> None:
        try:
            original(self)
        finally:
            loop = getattr(self, "loop", None)
            if loop is not None and not loop.is_closed():
                try:
                    loop.call_soon_threadsafe(loop.stop)
                except RuntimeError:  # closed meanwhile: it has stopped already
                    pass

    HypercornRuntimeServer.shutdown = shutdown


patch_hypercorn_shutdown()

from localstack.runtime.main import main  # noqa: E402  (after the patch, as documented above)

main()
