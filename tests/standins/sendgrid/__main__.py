"""`python -m tests.standins.sendgrid --port 8025 [--host H] [--api-key KEY]`.

main   run the stand-in as a process until SIGTERM or Ctrl-C; it prints
       "SendGrid stand-in listening on http://127.0.0.1:8025" once it accepts connections.
"""

from __future__ import annotations

import argparse
import signal
from types import FrameType

from tests.standins.sendgrid.standin import API_KEY, SendGridStandIn


def main(argv: list[str] | None = None) -> None:
    """Run the stand-in as a process until SIGTERM or Ctrl-C."""
    parser = argparse.ArgumentParser(description="SendGrid v3 Mail Send stand-in")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--api-key", default=API_KEY, help="the only key accepted")
    args = parser.parse_args(argv)

    def leave(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, leave)
    with SendGridStandIn(api_key=args.api_key, port=args.port, host=args.host) as standin:
        print(f"SendGrid stand-in listening on {standin.url}", flush=True)
        try:
            while True:
                signal.pause()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
