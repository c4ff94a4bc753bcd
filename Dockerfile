# The claims ledger's HTTP API. Build: docker build -t claims-ledger .
# Run:  docker run -p 8000:8000 -e LEDGER_API_TOKENS=name:read+write:<sha256 of your token> claims-ledger
# On start it migrates the database (SQLite under /app/var by default; set LEDGER_DATABASE_URL
# for PostgreSQL), then serves on 0.0.0.0:8000. Seed the demo story with: docker exec <id> ledger seed
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LEDGER_ENVIRONMENT=production \
    LEDGER_DATABASE_URL=sqlite:////app/var/ledger.db

WORKDIR /app

RUN groupadd --system --gid 10001 ledger \
    && useradd --system --uid 10001 --gid ledger --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin ledger

# Dependencies first, pinned in pyproject.toml: editing the source does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
    && pip install --no-cache-dir --requirement requirements.txt

COPY README.md alembic.ini ./
COPY migrations ./migrations
COPY ledger ./ledger
COPY ledger_cli ./ledger_cli
COPY api ./api
COPY seeds ./seeds
RUN pip install --no-cache-dir --no-deps . \
    && mkdir -p /app/var \
    && chown ledger:ledger /app/var

USER 10001:10001
EXPOSE 8000
VOLUME ["/app/var"]

HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4)"]

CMD ["sh", "-c", "ledger db upgrade && exec ledger serve --host 0.0.0.0 --port 8000"]
