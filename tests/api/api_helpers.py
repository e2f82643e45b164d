"""Spec builders and reference computations shared by the API tests."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
from fastapi.testclient import TestClient


def square(
    size: int, depth: int, count: int, f: int, stride: int = 1, padding: int = 0, **rest: Any
) -> dict[str, Any]:
    """The notes' W x W x D input with K filters of F x F, as a request spec."""
    spec: dict[str, Any] = {
        "input": {"shape": [size, size, depth]},
        "filters": {"count": count, "size": f},
        "stride": stride,
        "padding": padding,
    }
    spec.update(rest)
    return spec


ALEXNET = square(227, 3, 96, 11, stride=4)


def answered(client: TestClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """The JSON of ``POST path`` with ``body``, which must be a 200 (a refusal shows its text)."""
    response = client.post(path, json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def compact_to_array(obj: dict[str, Any]) -> np.ndarray:
    """Decode the compact form by its definition: base64 of little-endian bytes."""
    dtype = {"float32": "<f4", "float64": "<f8"}[obj["dtype"]]
    raw = base64.b64decode(obj["data"])
    return np.frombuffer(raw, dtype=dtype).reshape(obj["shape"])


def compact(array: np.ndarray, dtype: str = "float64") -> dict[str, Any]:
    code = {"float32": "<f4", "float64": "<f8"}[dtype]
    data = np.ascontiguousarray(array, dtype=code).tobytes()
    return {"dtype": dtype, "shape": list(array.shape), "data": base64.b64encode(data).decode()}


def naive_conv(xp: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int) -> np.ndarray:
    """The notes' loops: V[i,j,d] = sum(Xp[i*S:i*S+F, j*S:j*S+F, :] * W[d]) + b[d]."""
    k, f, _, _ = w.shape
    h2 = (xp.shape[0] - f) // stride + 1
    w2 = (xp.shape[1] - f) // stride + 1
    out = np.zeros((h2, w2, k))
    for i in range(h2):
        for j in range(w2):
            for d in range(k):
                field = xp[i * stride : i * stride + f, j * stride : j * stride + f, :]
                out[i, j, d] = np.sum(field * w[d]) + b[d]
    return out
