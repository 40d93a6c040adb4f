"""Issue embeddings: providers (local ONNX model or an OpenAI-compatible API), storage and the worker path."""
