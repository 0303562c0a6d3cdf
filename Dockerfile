# The production image: gunicorn serving the portal, or a Celery worker (same image).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    VAR_DIR=/var/lib/coo

# pg_dump and pg_restore for bin/backup and bin/restore (the same major version as PostgreSQL);
# openssl for the staging TSA (deploy/staging_tsa.py) and the runbook's key commands.
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client openssl \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system coo && useradd --system --gid coo --home-dir /app --shell /usr/sbin/nologin coo

# Fonts the certificate PDF embeds: Noto (Latin, Devanagari, Arabic, Hebrew) and Droid Sans
# Fallback (Chinese, Japanese, Korean). certificates/pdf.py refuses to render without them.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-noto-core fonts-droid-fallback \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml ./
RUN pip install --upgrade pip && pip install .
COPY --chown=coo:coo . .
# Static files are built into the image with the production storage (hashed names and the
# manifest that /readyz looks for), never kept in a volume that would outlive an upgrade. The
# build needs no secret: a throwaway key that exists only in this layer's command.
RUN mkdir -p /var/lib/coo && chown coo:coo /var/lib/coo \
    && DEBUG=0 SECRET_KEY=collectstatic-at-build-only-not-a-secret-0123456789abcdef \
       ALLOWED_HOSTS=build python manage.py collectstatic --noinput \
    && chown -R coo:coo /var/lib/coo

USER coo
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"
CMD ["gunicorn", "coo_portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-", "--forwarded-allow-ips", "*"]
