# spokesync as a service: `serve` with the dashboard, probes and metrics on port 8470.
# Build: docker build -t spokesync .   Run: see README.md "Running it as a service".
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install '.[postgres]' && rm -rf /src

# A user of its own; state (the SQLite database, when no PostgreSQL URL is given) on a volume.
RUN useradd --system --uid 10001 --home-dir /var/lib/spokesync --create-home spokesync
USER spokesync
WORKDIR /var/lib/spokesync
VOLUME ["/var/lib/spokesync"]

EXPOSE 8470
# slim has no curl: ask /healthz with the standard library.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8470/healthz', timeout=4).status == 200 else 1)"]

# Listening beyond loopback needs [serve] token (give it as "${SPOKESYNC_SERVE_TOKEN}").
ENTRYPOINT ["spokesync", "--config", "/etc/spokesync/spokesync.toml"]
CMD ["serve", "--http", "0.0.0.0:8470"]
