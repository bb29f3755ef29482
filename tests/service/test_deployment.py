"""What deploys Convier: the compose file follows the compose specification, and `.env.example`
lists every setting."""

from __future__ import annotations

import subprocess
import sys

from service.config import VARIABLES, env_example
from tests.servers import ROOT


def test_the_compose_file_follows_the_compose_specification():
    checked = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec",
         str(ROOT / "docker-compose.yml")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_env_example_lists_every_setting():
    written = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert written == env_example(), "write service.config.env_example() into .env.example"
    for variable in VARIABLES:
        assert f"\n# {variable.name}=\n" in written
