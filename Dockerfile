# One image for every wastream process: `wastream gateway`, `wastream worker`, `wastream sandbox`.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    WASTREAM_CHROMIUM_PATH=/usr/bin/chromium WASTREAM_STATE_DIR=/var/lib/wastream
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium fonts-noto-color-emoji tini \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock
COPY pyproject.toml README.md ./
COPY wastream ./wastream
COPY schemas ./schemas
COPY gateway ./gateway
COPY streams ./streams
COPY connectors ./connectors
RUN pip install --no-cache-dir --no-deps . \
    && useradd --system --create-home --uid 10001 wastream \
    && mkdir -p /var/lib/wastream && chown wastream /var/lib/wastream
USER wastream
ENTRYPOINT ["tini", "--", "wastream"]
CMD ["gateway"]
