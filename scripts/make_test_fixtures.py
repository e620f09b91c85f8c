#!/usr/bin/env python3
"""Rebuilds tests/fixtures/ from the project's shared fixture folder (../shared).

Copies only the files the tests read, and trims the two large real tokenizers to the
vocabulary and merges that the llama.cpp golden texts can reach (see trim_tokenizer), so a
clone carries a few MB instead of ~25 MB. Provenance and licences: tests/fixtures/README.md.

    python3 scripts/make_test_fixtures.py [SHARED_DIR]     (default: ../shared)
"""
import hashlib
import json
import math
import pathlib
import shutil
import struct
import sys
import unicodedata

REPO = pathlib.Path(__file__).resolve().parent.parent
OUT = REPO / "tests" / "fixtures"

# Whole files or folders copied unchanged (relative to the shared folder).
COPIED = [
    "models/stories260k/config.json",
    "models/stories260k/generation_config.json",
    "models/stories260k/model.safetensors",
    "models/stories260k/model.safetensors.index.json",
    "models/stories260k/special_tokens_map.json",
    "models/stories260k/tokenizer.model",
    "models/stories260k/tokenizer_config.json",
    "models/stories260k-bf16/config.json",
    "models/stories260k-bf16/generation_config.json",
    "models/stories260k-bf16/model.safetensors",
    "models/stories260k-bf16/model.safetensors.index.json",
    "models/stories260k-bf16/special_tokens_map.json",
    "models/stories260k-bf16/tokenizer.model",
    "models/stories260k-bf16/tokenizer_config.json",
    "models/swan-edge-cases/model-00001-of-00002.safetensors",
    "models/swan-edge-cases/model-00002-of-00002.safetensors",
    "models/swan-edge-cases/model.safetensors.index.json",
    "golden/mlx",
    "golden/mlx_lm",
    "golden/qwen3-tiny-5.8m/logits.safetensors",
    "golden/swan-reference/stories260k-bf16_manifest_seed0.json",
    "golden/swan-reference/stories260k-bf16_metrics.json",
    "golden/swan-reference/stories260k_manifest.json",
    "golden/swan-reference/stories260k_manifest_config-thresholds_seed0.json",
    "golden/swan-reference/stories260k_manifest_seed0.json",
    "golden/swan-reference/stories260k_metrics.json",
    "golden/swan-reference/swan-edge-cases_manifest_seed0.json",
    "golden/swan-reference/swan-edge-cases_metrics.json",
    "golden/llamacpp-tokenizer/qwen2.inp",
    "golden/llamacpp-tokenizer/qwen2.out",
    "golden/llamacpp-tokenizer/llama-bpe.inp",
    "golden/llamacpp-tokenizer/llama-bpe.out",
    "golden/tokenizer/qwen3-tiny-5.8m_cases.json",
    "models/moe-tiny-qwen3",
    "models/moe-tiny-mixtral",
    "golden/moe",
    "golden/generate/qwen3-tiny-5.8m.json",
]
# Left out on purpose: golden/mlx/generation-log.txt (no test reads it), the READMEs (their
# content is summarised in tests/fixtures/README.md).
SKIPPED_IN_FOLDERS = {"generation-log.txt"}

# Real tokenizers, trimmed to what the texts of a llama.cpp golden file can reach.
TRIMMED_TOKENIZERS = {
    "tokenizers/qwen3/tokenizer.json": "golden/llamacpp-tokenizer/qwen2.inp",
    "tokenizers/llama3/tokenizer.json": "golden/llamacpp-tokenizer/llama-bpe.inp",
}


def byte_level_alphabet():
    """GPT-2's bytes_to_unicode: the character byte-level BPE uses for each byte."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    chars = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return {b: chr(c) for b, c in zip(printable, chars)}


def trim_tokenizer(tokenizer, texts):
    """Keeps the vocabulary entries and merges that occur inside the byte-level form of a text.

    BPE applies, at each step, the lowest-ranked merge among adjacent pairs; every merge it
    applies while encoding a word yields a substring of that word. Dropping merges that are
    never applied therefore changes no encoding of these texts (the minimum at each step is
    unchanged), and ids are kept as they are. Every single-byte token stays, so any other
    text still encodes and decodes, just into shorter tokens.
    """
    alphabet = byte_level_alphabet()
    encoded = []
    for text in texts:
        for variant in {text, unicodedata.normalize("NFC", text)}:
            for prefixed in (variant, " " + variant):
                encoded.append("".join(alphabet[b] for b in prefixed.encode("utf-8")))
    corpus = "\n".join(encoded)  # "\n" is not a byte-level character, so nothing spans texts

    def reachable(piece):
        return piece in corpus

    model = tokenizer["model"]
    byte_tokens = set(alphabet.values())
    model["vocab"] = {token: i for token, i in model["vocab"].items()
                      if token in byte_tokens or reachable(token)}
    kept = []
    for merge in model["merges"]:
        left, right = merge if isinstance(merge, list) else merge.split(" ", 1)
        if reachable(left + right):
            kept.append(merge)
    model["merges"] = kept
    return tokenizer


def read_safetensors(path):
    raw = path.read_bytes()
    size = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + size])
    metadata = header.pop("__metadata__", {})
    body = raw[8 + size:]
    tensors = {name: (info["dtype"], info["shape"], body[info["data_offsets"][0]:info["data_offsets"][1]])
               for name, info in header.items()}
    return metadata, tensors


def write_safetensors(path, metadata, tensors):
    header, offset, blobs = {"__metadata__": metadata}, 0, []
    for name in sorted(tensors):
        dtype, shape, data = tensors[name]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def top64(logits_bytes, positions, vocab):
    """The top-64 form of golden/mlx_lm-logits (its README): per position, the 64 ids with the
    largest log-softmax (descending, ties by ascending id), their log-softmax in float64, and
    log-sum-exp, from float32 logits."""
    values = struct.unpack(f"<{positions * vocab}f", logits_bytes)
    ids, logprobs, lses = [], [], []
    for p in range(positions):
        row = values[p * vocab:(p + 1) * vocab]
        peak = max(row)
        lse = peak + math.log(math.fsum(math.exp(v - peak) for v in row))
        order = sorted(range(vocab), key=lambda i: (-row[i], i))[:64]
        ids += order
        logprobs += [row[i] - lse for i in order]
        lses.append(lse)
    return (struct.pack(f"<{len(ids)}i", *ids), struct.pack(f"<{len(logprobs)}f", *logprobs),
            struct.pack(f"<{len(lses)}f", *lses))


def trim_mlx_lm_logits(shared):
    """golden/mlx_lm-logits without what a float32 engine cannot be compared with: the `f32`
    variant only (no bf16 `native`), in the top-64 form for both models (stories260k's full
    [64, 512] logits are reduced to it here), no full-logit rows, no stored mixed_3_6 model."""
    source = shared / "golden/mlx_lm-logits"
    for model_dir in sorted(p for p in source.iterdir() if p.is_dir()):
        for file in sorted(model_dir.glob("*.safetensors")):
            metadata, tensors = read_safetensors(file)
            kept = {}
            for seq in ("text", "random"):
                kept[f"{seq}.tokens"] = tensors[f"{seq}.tokens"]
                full = tensors.get(f"{seq}.f32.logits")
                if full is not None:
                    positions, vocab = full[1]
                    ids, logprobs, lses = top64(full[2], positions, vocab)
                    kept[f"{seq}.f32.top64_ids"] = ("I32", [positions, 64], ids)
                    kept[f"{seq}.f32.top64_logprobs"] = ("F32", [positions, 64], logprobs)
                    kept[f"{seq}.f32.logsumexp"] = ("F32", [positions], lses)
                else:
                    for part in ("top64_ids", "top64_logprobs", "logsumexp"):
                        kept[f"{seq}.f32.{part}"] = tensors[f"{seq}.f32.{part}"]
            write_safetensors(OUT / "golden/mlx_lm-logits" / model_dir.name / file.name, metadata, kept)


def derive_all_sparse_qwen3_moe(shared):
    """models/moe-tiny-qwen3-all-sparse: moe-tiny-qwen3 without its dense layer 1 (layer 2
    becomes layer 1, mlp_only_layers empty), the same weights otherwise. llama.cpp's qwen3moe
    has an MoE block in every layer, so this is the tiny Qwen3-MoE that llama.cpp can load."""
    source = shared / "models/moe-tiny-qwen3"
    target = OUT / "models/moe-tiny-qwen3-all-sparse"
    config = json.loads((source / "config.json").read_text(encoding="utf-8"))
    config["num_hidden_layers"] = 2
    config["mlp_only_layers"] = []
    config["max_window_layers"] = 2
    target.mkdir(parents=True, exist_ok=True)
    (target / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    for name in ("tokenizer.json", "tokenizer_config.json", "generation_config.json"):
        shutil.copyfile(source / name, target / name)
    metadata, tensors = read_safetensors(source / "model.safetensors")
    kept = {}
    for name, tensor in tensors.items():
        if name.startswith("model.layers.1."):
            continue
        kept[name.replace("model.layers.2.", "model.layers.1.")] = tensor
    write_safetensors(target / "model.safetensors", metadata, kept)


def read_texts(inp):
    separator = "\n__ggml_vocab_test__\n"
    return inp.read_text(encoding="utf-8").split(separator)[:-1]


# Fixtures made in this repository, not copies of the shared folder: kept as they are.
MADE_HERE = ["golden/gguf-moe"]


def main():
    shared = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else REPO.parent / "shared").resolve()
    kept = {path: path.read_bytes() for folder in MADE_HERE if (OUT / folder).is_dir()
            for path in (OUT / folder).rglob("*") if path.is_file()}
    if OUT.exists():
        for child in OUT.iterdir():
            if child.name != "README.md":
                shutil.rmtree(child) if child.is_dir() else child.unlink()
    for relative in COPIED:
        source = shared / relative
        target = OUT / relative
        if source.is_dir():
            shutil.copytree(source, target, ignore=lambda _, names: [n for n in names if n in SKIPPED_IN_FOLDERS])
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    for relative, inp in TRIMMED_TOKENIZERS.items():
        tokenizer = json.loads((shared / relative).read_text(encoding="utf-8"))
        trimmed = trim_tokenizer(tokenizer, read_texts(shared / inp))
        target = OUT / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(trimmed, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    trim_mlx_lm_logits(shared)
    derive_all_sparse_qwen3_moe(shared)
    for path, data in kept.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    for path in sorted(p for p in OUT.rglob("*") if p.is_file() and p.name != "README.md"):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        print(f"{path.relative_to(OUT)}  {path.stat().st_size}  sha256:{digest}")


if __name__ == "__main__":
    main()
