# Lead Router: `leadrouter run` on PostgreSQL, built from the lock file.
#   docker build -t lead-router .
# Two stages: the build stage has pip's caches and the source; the runtime stage only the
# virtualenv, so the image carries no compiler, cache or test code.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/leadrouter
COPY requirements/runtime.txt /tmp/runtime.txt
RUN /opt/leadrouter/bin/pip install -r /tmp/runtime.txt
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY bot bot
COPY lifecycle lifecycle
COPY routing routing
COPY storage storage
COPY slack_emulator slack_emulator
# --no-deps: everything it needs came from the lock above, nothing newer sneaks in.
RUN /opt/leadrouter/bin/pip install --no-deps . && /opt/leadrouter/bin/pip check

FROM python:3.11-slim
RUN useradd --system --uid 10001 --user-group --home-dir /app --create-home leadrouter
COPY --from=build /opt/leadrouter /opt/leadrouter
ENV PATH=/opt/leadrouter/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    LEADROUTER_CONFIG=/config/routing.yml \
    LEADROUTER_LOG_FORMAT=json \
    PORT=3000
USER leadrouter
WORKDIR /app
EXPOSE 3000
# Ready means the database answers and migrations are at head (GET /readyz).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"3000\")}/readyz', timeout=2)"
ENTRYPOINT ["leadrouter"]
CMD ["run"]
