# Convier: one image for the web (gunicorn, the default command), the Celery worker
# (`celery -A tasks worker`), beat (`celery -A tasks beat`) and the migration (`convier db upgrade`).
# See docker-compose.yml for the stack and the environment each process needs.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CONVIER_VAR_DIR=/var/lib/convier

# An unprivileged system user. Its writable places: CONVIER_VAR_DIR, made here owned by it so that a
# new named volume mounted on it starts with the same owner; and its HOME, which stays inside the
# container (gunicorn >= 25.1 puts its control socket in $HOME/.gunicorn: not on a shared volume).
RUN groupadd --system --gid 10001 convier \
 && useradd --system --uid 10001 --gid convier --create-home --home-dir /home/convier \
        --shell /usr/sbin/nologin convier \
 && install -d -o convier -g convier -m 0750 /var/lib/convier

WORKDIR /app

# Dependencies first, read from pyproject.toml: this layer is rebuilt only when pyproject.toml changes.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

# The code, by name, so that a work tree's .venv/, .env, var/ (SQLite files, secret_key) and .git/
# never reach the image. The code stays owned by root: the app user can read it, not change it.
COPY contacts ./contacts
COPY tasks ./tasks
COPY service ./service
COPY README.md ./

# Catalogues are compiled before the package is installed (pybabel comes with Babel, a dependency
# of flask-babel): the compiled .mo ships inside it, with the templates, static files and
# migrations, all found with importlib.resources. Then the work tree is removed.
RUN pybabel compile -d service/translations \
 && pip install --no-deps . \
 && pip check \
 && rm -rf /app/*

USER 10001:10001
ENV HOME=/home/convier

EXPOSE 8000

# service/gunicorn_conf.py sets the worker class and an access log that writes personal links
# as /r/… (the path of a link is its credential). /dev/shm keeps gunicorn's worker heartbeat
# files off the container's overlay filesystem.
CMD ["gunicorn", "service.wsgi:app", "--config", "python:service.gunicorn_conf", \
     "--bind", "0.0.0.0:8000", "--workers", "2", "--threads", "8", \
     "--worker-tmp-dir", "/dev/shm"]
