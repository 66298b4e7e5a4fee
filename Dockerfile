# crisisdesk: one image for the front ends (`crisisdesk serve`) and the workers (`crisisdesk worker`)
# of the distributed mode, and for the embedded mode. Build: docker build -t crisisdesk .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Pango for the PDF export of reviews and press releases (WeasyPrint).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/crisisdesk
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install ".[postgres,pdf]"

RUN useradd --system --uid 10001 --home-dir /workspace crisisdesk \
    && mkdir -p /workspace /attachments \
    && chown crisisdesk /workspace /attachments
USER crisisdesk
WORKDIR /workspace
ENV CRISISDESK_CONFIG=/workspace/crisisdesk.yaml \
    CRISISDESK_ATTACHMENTS_DIR=/attachments

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)" || exit 1
CMD ["crisisdesk", "serve", "--host", "0.0.0.0", "--port", "8000"]
