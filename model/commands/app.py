"""``egovsim app``: start the what-if web app (Solara) on this computer.

Binds to 127.0.0.1 by default, so only this computer can open the page. Solara's usage
telemetry is switched off, its page assets are served from the installed ``solara-assets``
package, so the app works without internet, and a closed session's memory is released after
:data:`SESSION_TIMEOUT`.
"""

from __future__ import annotations

import argparse
import os
import sys

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
SESSION_TIMEOUT = "2m"
"""How long Solara keeps a session's state (its runs: a few MB each) after its last page has
closed, instead of Solara's default 24 hours; assumption: long enough to survive a reload, which
also restores the levers from the page's address."""


def port_arg(text: str) -> int:
    """Parse a TCP port (1-65535)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1-65535)")
    return port


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``egovsim app``."""
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this computer only)")
    p.add_argument("--port", type=port_arg, default=8765, help="port (default 8765)")


def solara_argv(host: str, port: int) -> list[str]:
    """The command that serves the page with Solara."""
    return [sys.executable, "-m", "solara", "run", "model.app.page", "--host", host,
            "--port", str(port), "--production", "--no-open", "--no-check-version",
            "--log-level", "warning"]


def main(args: argparse.Namespace) -> int:
    """Replace this process with the Solara server (so its id is the server's).

    The scenario folder the page offers is checked first, so a wrong ``EGOVSIM_ROOT`` is one
    error line here, not an empty list in the page.
    """
    from model.io import data_path
    data_path("scenarios")
    env = dict(os.environ, SOLARA_TELEMETRY_MIXPANEL_ENABLE="false",
               SOLARA_KERNEL_CULL_TIMEOUT=SESSION_TIMEOUT)
    if args.host not in LOCAL_HOSTS:
        print(f"egovsim: warning: serving on {args.host}: other computers can reach the app",
              file=sys.stderr)
    print(f"egovsim: app at http://{args.host}:{args.port}/ (Ctrl-C stops it)", file=sys.stderr)
    sys.stderr.flush()
    argv = solara_argv(args.host, args.port)
    os.execve(argv[0], argv, env)
    return 0  # not reached
