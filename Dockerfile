# The portal's image: web (gunicorn), Celery worker and beat all run from it (see docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# WeasyPrint (certificate PDFs) needs Pango and HarfBuzz's subsetter; the fonts ship in the repository.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

RUN groupadd --system app && useradd --system --gid app --home-dir /app --no-create-home app
# The code stays root's; the app user may write only under var/ (media, beat's schedule).
COPY . .

# Static files are collected into the image. Settings refuse to load with DEBUG off and no
# SECRET_KEY, so this one step gets a throw-away key that lives only in this RUN (not in the image).
RUN mkdir -p var/static var/media var/beat \
    && DEBUG=false SECRET_KEY=collectstatic-only-not-a-secret python manage.py collectstatic --noinput \
    && chown app:app var/media var/beat

USER app
EXPOSE 8000
# gunicorn.conf.py (read from /app) logs as the portal does and shares /metrics among the workers;
# each request is logged once, by the portal, as a JSON line with its request id.
CMD ["gunicorn", "kamusm_portal.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
