"""The wheel built from the project is the service: installed in a fresh virtual environment,
away from the checkout, it migrates a database, loads the demo and renders an email."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from email import message_from_binary_file, policy
from pathlib import Path

import pytest

from tests.servers import ROOT


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(arg) for arg in args], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the wheel; its dependencies are this environment's, reached by a
    .pth file (the checkout itself never is: neither on the path nor as an editable install)."""
    where = tmp_path_factory.mktemp("wheel")
    # Built from a copy of what a source tree holds, so that the build leaves nothing here.
    source = where / "source"
    for name in ("service", "tasks", "contacts"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--wheel-dir", where / "dist", source, cwd=where)  # fmt: skip
    [wheel] = (where / "dist").glob("convier-*.whl")
    venv.EnvBuilder(with_pip=False).create(where / "venv")
    python = where / "venv" / "bin" / "python"
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))",
                     cwd=where).strip())  # fmt: skip
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    _run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
         "--quiet", wheel, cwd=where)  # fmt: skip
    return where


def test_the_installed_wheel_migrates_loads_the_demo_and_renders_an_email(installed):
    bin_dir = installed / "venv" / "bin"
    home = installed / "home"
    home.mkdir()
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "HOME": str(home),
        "CONVIER_VAR_DIR": str(home / "var"),
        "DATABASE_URL": f"sqlite:///{home / 'convier.sqlite'}",
        "SECRET_KEY": "wheel-test-secret-0123456789abcdef",
    }
    where = _run(bin_dir / "python", "-c", "import service; print(service.__file__)", cwd=home,
                 env=env)  # fmt: skip
    assert where.startswith(str(installed / "venv")), where
    assert _run(bin_dir / "convier", "--version", cwd=home, env=env) == "convier 0.1.0\n"
    assert "up to date" in _run(bin_dir / "convier", "db", "upgrade", cwd=home, env=env)
    assert "created event 1: " in _run(bin_dir / "convier", "demo", cwd=home, env=env)
    wrote = _run(bin_dir / "convier", "mail", "preview", "invitation", "--event", "1",
                 "--lang", "en", cwd=home, env=env)  # fmt: skip
    eml = Path(wrote.removeprefix("wrote ").strip())
    with eml.open("rb") as file:
        message = message_from_binary_file(file, policy=policy.default)
    html = message.get_body(("html",)).get_content()
    assert "/r/" in html  # the personal link, rendered from the packaged templates
    assert "Register" in html  # in English: the compiled catalogue shipped inside the wheel
