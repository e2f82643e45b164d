# ConvScope: the visualizer and its REST API, served by uvicorn on port 8000.
#   docker build -t convscope .
#   docker run --rm -p 8000:8000 -e CONVSCOPE_WORKERS=2 convscope
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CONVSCOPE_WORKERS=1

WORKDIR /srv/convscope

# Dependencies first, from pyproject.toml and an empty package skeleton, so this layer is
# rebuilt only when the dependencies change, not on every edit of the code.
COPY pyproject.toml README.md ./
RUN mkdir -p engine app \
    && touch engine/__init__.py app/__init__.py \
    && pip install --no-cache-dir . \
    && useradd --system --no-create-home --uid 10001 convscope

# Then the code: re-install the package alone (its dependencies are already there).
COPY engine ./engine
COPY app ./app
RUN pip install --no-cache-dir --no-deps --force-reinstall .

# Numeric, so a host or Kubernetes runAsNonRoot check can tell it is not root.
USER 10001
EXPOSE 8000

# slim has no curl; the interpreter is there anyway. urlopen raises on any non-2xx answer.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/api/health', timeout=4)"]

# Workers come from CONVSCOPE_WORKERS (read by the CLI), so `docker run -e` changes them.
CMD ["convscope", "serve", "--host", "0.0.0.0"]
