# Production image: a builder stage installs the pinned dependencies into a virtualenv,
# the runtime stage copies only that and the application, and runs as an unprivileged user.
FROM python:3.11-slim AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY requirements.lock pyproject.toml ./
RUN pip install -r requirements.lock
COPY atrium ./atrium
RUN pip install --no-deps .

FROM python:3.11-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ATRIUM_ENV=production
# git: repositories are cloned and worktrees made with the git command line.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system atrium && useradd --system --gid atrium --home /app atrium
WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
COPY alembic.ini ./
COPY migrations ./migrations
COPY atrium ./atrium
RUN mkdir -p /app/data && chown atrium:atrium /app/data
USER atrium
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health')" || exit 1
# Migrations run as their own step (`atrium migrate`, the compose `migrate` service).
CMD ["atrium", "serve", "--host", "0.0.0.0", "--port", "8000"]
