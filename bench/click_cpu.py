"""CPU of one registration click in process: the page, the POST, the page again, through Flask's
test client on a fresh SQLite file (no network, no other process), after 50 clicks of warm-up.

    cd <tree> && PYTHONPATH=$PWD /work/main/.venv/bin/python bench/click_cpu.py --clicks 600

Prints the CPU milliseconds per click of this process (its threads included: the confirmation's
hand-off). Run it alternately on two trees to compare them (bench/RESULTS.md).
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from registration_rush import CSRF_FIELD, populate

from service import create_app
from service.config import load_settings
from service.db import Database
from service.migrate import upgrade

WARM_UP = 50


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clicks", type=int, default=600)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="click-cpu-"))
    url = f"sqlite:///{work / 'click.sqlite'}"
    upgrade(url)
    env = {"DATABASE_URL": url, "SECRET_KEY": secrets.token_urlsafe(32),
           "CONVIER_VAR_DIR": str(work), "BASE_URL": "http://127.0.0.1:5000",
           "RATE_LIMIT_PER_ADDRESS": "1000000 per minute"}  # fmt: skip
    tokens = populate(Database(url), load_settings(env), args.clicks + WARM_UP, 30)
    app = create_app(env)

    def click(token: str) -> None:
        client = app.test_client()
        page = client.get(f"/r/{token}")
        match = CSRF_FIELD.search(page.text)
        assert page.status_code == 200
        assert match is not None
        answer = client.post(f"/r/{token}/register", data={"csrf_token": match.group(1)})
        assert answer.status_code == 303
        assert client.get(answer.headers["Location"]).status_code == 200

    for token in tokens[:WARM_UP]:
        click(token)
    started = time.process_time()
    for token in tokens[WARM_UP:]:
        click(token)
    print(f"{(time.process_time() - started) * 1000 / args.clicks:.2f} ms of CPU per click")


if __name__ == "__main__":
    main()
