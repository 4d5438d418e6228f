# leadrouter: one image for every process (`web`, `worker`, `db upgrade`, any CLI command).
#   docker build -t leadrouter .
#   docker run --rm leadrouter --help
# docker-compose.yml runs it with PostgreSQL; docs/production.md explains the settings.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LEADROUTER_VAR_DIR=/app/var

WORKDIR /app

# The pinned runtime dependencies first, so a code change does not reinstall them.
COPY requirements.txt ./
RUN pip install -r requirements.txt

# The code (.dockerignore keeps out the venv, var/, tests, secrets and caches), owned by root and
# read-only to the app; var/ (generated keys, artifacts) is the one folder it writes.
COPY . .
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home --shell /usr/sbin/nologin leadrouter \
    && mkdir -p /app/var \
    && chown leadrouter:leadrouter /app/var

USER leadrouter
EXPOSE 8000
VOLUME ["/app/var"]

ENTRYPOINT ["python", "app.py"]
CMD ["web", "--host", "0.0.0.0", "--port", "8000"]
