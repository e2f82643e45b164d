# ConvScope: the visualizer and its REST API, served by uvicorn on port 8000.
#   docker build -t convscope .
#   docker run --rm -p 8000:8000 -e CONVSCOPE_WORKERS=2 convscope
# Where there is no Docker: make container-check (podman; see scripts/container-check.sh).
FROM python:3.11-slim

# The app lives in a venv, not the system interpreter: the same steps then work on the
# official image and on Debian's python3 (externally managed, PEP 668), which
# scripts/build-base-image.sh stands in with where no registry is reachable.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    CONVSCOPE_WORKERS=1

WORKDIR /srv/convscope

# Dependencies first, read from pyproject.toml alone, so this layer is rebuilt only when
# pyproject.toml changes, not on every edit of the code or the README. Only the run-time
# dependencies: the test extra (pytest, playwright, mypy, ...) stays out of the image.
# A host behind a TLS-intercepting proxy passes its CA bundle as the build secret
# `pip_cert`: mounted for this step only, it is in no layer of the image.
COPY pyproject.toml ./
RUN --mount=type=secret,id=pip_cert \
    if [ -s /run/secrets/pip_cert ]; then export PIP_CERT=/run/secrets/pip_cert; fi \
    && python3 -m venv "$VIRTUAL_ENV" \
    && python -c 'import tomllib; deps = tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]; print("\n".join(deps))' > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt "setuptools>=68" \
    && rm /tmp/requirements.txt \
    && useradd --system --no-create-home --no-log-init --uid 10001 convscope

# Then the code, installed alone: no network (its dependencies and setuptools are there).
COPY README.md ./
COPY engine ./engine
COPY app ./app
RUN pip install --no-cache-dir --no-deps --no-build-isolation . \
    && rm -rf build ./*.egg-info

# Numeric, so a host or Kubernetes runAsNonRoot check can tell it is not root. The code and
# the venv stay owned by root: the server cannot rewrite itself.
USER 10001
EXPOSE 8000

# slim has no curl; the interpreter is there anyway. urlopen raises on any non-2xx answer.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/api/health', timeout=4)"]

# Workers come from CONVSCOPE_WORKERS (read by the CLI), so `docker run -e` changes them.
CMD ["convscope", "serve", "--host", "0.0.0.0"]
