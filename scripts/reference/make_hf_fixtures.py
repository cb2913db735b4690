#!/usr/bin/env python3
"""Hugging Face's own outputs for tiny random SigLIP models, as test fixtures for clipscope.

usage: python3 scripts/reference/make_hf_fixtures.py [OUT_DIR]   (default test/fixtures/models)

Needs torch, transformers (5.x), onnx, onnxruntime, sentencepiece, tokenizers, numpy and PIL —
only to REGENERATE the fixtures; the tests (and CI) read the committed files and run no Python.

For each model it
  (a) builds a small random model with transformers' own classes (fixed seed, hidden 32, 2 layers,
      32 px images, patch 8) and a small tokenizer trained on a few English and German sentences;
  (b) exports the towers to ONNX as the Xenova / onnx-community repositories are laid out
      (onnx/vision_model.onnx: pixel_values -> pooler_output; onnx/text_model.onnx: input_ids ->
      pooler_output; opset 14; dynamic batch axis; plus the combined onnx/model.onnx, which holds
      the logit_scale / logit_bias initialisers) and writes config.json, preprocessor_config.json
      and the tokenizer files with save_pretrained, and model.safetensors;
  (c) writes reference.json: the token ids from Hugging Face's tokenizer, the pixel tensors and
      embeddings from Hugging Face's image processor and model (PyTorch, not ONNX), logits_per_image,
      softmax over all phrases and sigmoid probabilities, for the images in OUT_DIR/images.

Models:
  siglip-tiny    SiglipModel, SiglipTokenizer (SentencePiece unigram without NFKC table: lower case, punctuation
                 removed, "</s>" appended, padded with "</s>" to 64), PIL BILINEAR resize (2).
  siglip2-tiny   SiglipModel as the fixed-resolution SigLIP 2 checkpoints are (model_type "siglip"),
                 with SigLIP 2's Gemma-style byte-fallback BPE tokenizer (Siglip2Tokenizer:
                 lower case, "<eos>" appended, padded with "<pad>" to 64), BICUBIC resize (3).
  clip-tiny      the control: CLIPModel (model_type "clip") with a CLIPTokenizer over a small
                 byte-level BPE, CLIPImageProcessor (shortest edge 32, centre crop 32, BICUBIC),
                 towers exported as Xenova's: pixel_values -> image_embeds, input_ids -> text_embeds.
"""
import json
import math
import os
import shutil
import sys
import tempfile

# One thread for the tokenizers' trainers, whose ties otherwise break differently from run to run.
os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np
import torch
from PIL import Image

import sentencepiece as spm
from tokenizers import Regex, Tokenizer, normalizers, pre_tokenizers, processors, decoders
from tokenizers.models import BPE
from tokenizers.trainers import BpeTrainer
from transformers import (
    SiglipConfig,
    SiglipImageProcessorPil,
    SiglipModel,
    SiglipTokenizer,
    PreTrainedTokenizerFast,
)
from transformers.convert_slow_tokenizer import SpmConverter

OUT = sys.argv[1] if len(sys.argv) > 1 else "test/fixtures/models"
IMAGES = os.path.join(OUT, "images")
SEED = 20240611
MAX_LENGTH = 64

# Training text for the tokenizers: English and German phrases of the kind clipscope classifies.
CORPUS = [
    "A large assembly of supporters at an open-air political rally.",
    "Prominent figures or speakers on stage addressing a political audience.",
    "A politician talking with individuals or small groups in the street.",
    "A close-up or selfie of one person with a campaign poster.",
    "Microphone or recording equipment in front of a speaker indoors.",
    "A screenshot with text, graphics and images combined.",
    "A photo of a red square on a blue background.",
    "A black and white picture of a crowd.",
    "Eine große Versammlung von Anhängern bei einer politischen Kundgebung unter freiem Himmel.",
    "Bekannte Persönlichkeiten oder Redner auf der Bühne sprechen zu einem politischen Publikum.",
    "Ein Politiker im Gespräch mit einzelnen Menschen oder kleinen Gruppen auf der Straße.",
    "Ein Wahlplakat für eine politische Veranstaltung oder Kampagne.",
    "Ein Mikrofon oder Aufnahmegeräte vor einem Sprecher in einem Studio.",
    "Ein Foto eines roten Quadrats auf blauem Hintergrund.",
    "Ein Schwarzweißbild einer Menschenmenge.",
    "Essen, Getränke oder allgemeine Aufnahmen.",
]

# The phrases the fixtures score: punctuation, capitals, umlauts, ß, a word outside the training
# text, repeated spaces, and one phrase longer than 64 tokens (cut).
PHRASES = [
    "A photo of a red square on a blue background.",
    "A black and white picture of a crowd.",
    "Prominent figures or speakers on stage addressing a political audience.",
    "Ein Foto eines roten Quadrats auf blauem Hintergrund.",
    "Eine große Versammlung von Anhängern bei einer politischen Kundgebung!",
    "Straße, Bühne  und   Gespräch (Zürich)",
    "Xylophone quartz jukebox",
    " ".join(["politische Kundgebung unter freiem Himmel"] * 12),
]
# Category of each phrase (for the scoring fixtures).
CATEGORIES = ["Colours", "Colours", "Events", "Colours", "Events", "Events", "Other", "Events"]


def write_images():
    """Small deterministic test images whose resize to 32 px is well-defined: exact size (32×32),
    integer-factor downscales (64×64 → ½, 96×96 → ⅓) and one JPEG. Smooth patterns, so the two
    resamplers (PIL, libvips) meet on the same values."""
    os.makedirs(IMAGES, exist_ok=True)
    rng = np.random.default_rng(SEED)
    specs = [("gradient-32.png", 32), ("rings-32.png", 32), ("gradient-64.png", 64), ("blobs-64.png", 64),
             ("rings-96.png", 96), ("blobs-64.jpg", 64)]
    for name, n in specs:
        y, x = np.mgrid[0:n, 0:n].astype(np.float64) / n
        if name.startswith("gradient"):
            rgb = np.stack([x, y, 1 - (x + y) / 2], -1)
        elif name.startswith("rings"):
            r = np.hypot(x - 0.4, y - 0.55)
            rgb = np.stack([0.5 + 0.5 * np.cos(r * 18), 0.5 + 0.5 * np.sin(r * 11), 0.5 + 0.4 * np.cos(x * 7)], -1)
        else:
            rgb = np.zeros((n, n, 3))
            for _ in range(5):
                cx, cy, s = rng.random(), rng.random(), 0.08 + 0.15 * rng.random()
                colour = rng.random(3)
                w = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * s * s))[..., None]
                rgb = rgb * (1 - w) + colour * w
        img = Image.fromarray(np.clip(np.round(rgb * 255), 0, 255).astype(np.uint8), "RGB")
        path = os.path.join(IMAGES, name)
        if name.endswith(".jpg"):
            img.save(path, quality=95, subsampling=0)
        else:
            img.save(path, optimize=False, compress_level=9)
    return [name for name, _ in specs]


def siglip_config(vocab_size, pad_id, eos_id):
    return SiglipConfig(
        text_config=dict(vocab_size=vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, max_position_embeddings=MAX_LENGTH, pad_token_id=pad_id,
                         eos_token_id=eos_id, bos_token_id=None, projection_size=32),
        vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                           image_size=32, patch_size=8),
    )


def build_model(config, logit_scale, logit_bias):
    torch.manual_seed(SEED)
    model = SiglipModel(config).eval()
    with torch.no_grad():
        # Trained models carry their own values; these are distinctive and give probabilities that
        # are neither all 0 nor all 1 for random towers.
        model.logit_scale.fill_(math.log(logit_scale))
        model.logit_bias.fill_(logit_bias)
    return model


# ---------------------------------------------------------------------------------------------
# Tokenizers


def siglip_tokenizer(tmp):
    """A SentencePiece unigram model like SigLIP's, loaded by transformers' SiglipTokenizer (the
    reference), and a tokenizer.json that reproduces it for tokenizers-based runtimes."""
    prefix = os.path.join(tmp, "spiece")
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter([s.lower() for s in CORPUS] * 4), model_prefix=prefix, vocab_size=160,
        model_type="unigram", character_coverage=1.0, pad_id=0, eos_id=1, unk_id=2, bos_id=-1,
        hard_vocab_limit=False, add_dummy_prefix=False, normalization_rule_name="identity",
        minloglevel=2,
    )
    slow = SiglipTokenizer(vocab_file=prefix + ".model", model_max_length=MAX_LENGTH)

    # tokenizer.json: transformers' SentencePiece converter (Precompiled normaliser, Metaspace,
    # Unigram), with SigLIP's canonicalisation in front (lower case, ASCII punctuation removed,
    # whitespace collapsed and stripped) and "</s>" appended, padded to 64 and truncated at 64.
    fast = SpmConverter(slow).converted()
    import string
    punct = "[" + "".join("\\" + c for c in string.punctuation) + "]"
    fast.normalizer = normalizers.Sequence([
        normalizers.Lowercase(),
        normalizers.Replace(Regex(punct), ""),
        normalizers.Replace(Regex(r"\s+"), " "),
        normalizers.Strip(),
        fast.normalizer if fast.normalizer is not None else normalizers.Sequence([]),
        normalizers.Replace(" ", "▁"),
    ])
    fast.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    eos = slow.eos_token_id
    fast.post_processor = processors.TemplateProcessing(single="$A </s>", pair="$A </s> $B </s>",
                                                         special_tokens=[("</s>", eos)])
    fast.enable_truncation(MAX_LENGTH)
    fast.enable_padding(length=MAX_LENGTH, pad_id=slow.pad_token_id, pad_token=slow.pad_token)
    return slow, fast


def siglip2_tokenizer(tmp):
    """SigLIP 2's tokenizer kind (Gemma: byte-fallback BPE, lower case) trained on the corpus,
    loaded by transformers' Siglip2Tokenizer (the reference)."""
    from transformers import Siglip2Tokenizer

    specials = ["<pad>", "<eos>", "<bos>", "<unk>", "<mask>"]
    tok = Tokenizer(BPE(unk_token="<unk>", fuse_unk=True, byte_fallback=True))
    tok.normalizer = normalizers.Sequence([normalizers.Lowercase(), normalizers.Replace(" ", "▁")])
    tok.pre_tokenizer = pre_tokenizers.Split(pattern="▁", behavior="merged_with_previous")
    byte_tokens = [f"<0x{i:02X}>" for i in range(256)]
    trainer = BpeTrainer(vocab_size=600, special_tokens=specials + byte_tokens, show_progress=False)
    tok.train_from_iterator(CORPUS * 4, trainer)
    vocab = tok.get_vocab()
    merges = json.loads(tok.to_str())["model"]["merges"]
    slow = Siglip2Tokenizer(vocab=vocab, merges=[tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in merges],
                            model_max_length=MAX_LENGTH)
    # What Gemma's tokenizer.json holds for SigLIP 2: "<eos>" appended (no "<bos>"), padded to 64.
    fast = Tokenizer.from_str(slow.backend_tokenizer.to_str())
    eos = slow.convert_tokens_to_ids("<eos>")
    fast.post_processor = processors.TemplateProcessing(single="$A <eos>", pair="$A <eos> $B <eos>",
                                                         special_tokens=[("<eos>", eos)])
    fast.enable_truncation(MAX_LENGTH)
    fast.enable_padding(length=MAX_LENGTH, pad_id=slow.pad_token_id, pad_token="<pad>")
    reference = PreTrainedTokenizerFast(tokenizer_object=fast, model_max_length=MAX_LENGTH, eos_token="<eos>",
                                        pad_token="<pad>", unk_token="<unk>", bos_token="<bos>")
    return reference, fast


# ---------------------------------------------------------------------------------------------
# ONNX export, Xenova / onnx-community style


class Tower(torch.nn.Module):
    def __init__(self, inner, input_name):
        super().__init__()
        self.inner = inner
        self.input_name = input_name

    def forward(self, x):
        out = self.inner(**{self.input_name: x})
        return out.last_hidden_state, out.pooler_output


class Combined(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, pixel_values):
        out = self.model(input_ids=input_ids, pixel_values=pixel_values)
        return out.logits_per_image, out.logits_per_text, out.text_embeds, out.image_embeds


def export(model, folder, image_size):
    onnx_dir = os.path.join(folder, "onnx")
    os.makedirs(onnx_dir, exist_ok=True)
    ids = torch.ones((2, MAX_LENGTH), dtype=torch.int64)
    pixels = torch.zeros((2, 3, image_size, image_size), dtype=torch.float32)
    common = dict(dynamo=False, opset_version=14, do_constant_folding=True)
    torch.onnx.export(Tower(model.vision_model, "pixel_values"), (pixels,), os.path.join(onnx_dir, "vision_model.onnx"),
                      input_names=["pixel_values"], output_names=["last_hidden_state", "pooler_output"],
                      dynamic_axes={"pixel_values": {0: "batch_size"}, "last_hidden_state": {0: "batch_size"},
                                    "pooler_output": {0: "batch_size"}}, **common)
    torch.onnx.export(Tower(model.text_model, "input_ids"), (ids,), os.path.join(onnx_dir, "text_model.onnx"),
                      input_names=["input_ids"], output_names=["last_hidden_state", "pooler_output"],
                      dynamic_axes={"input_ids": {0: "batch_size", 1: "sequence_length"},
                                    "last_hidden_state": {0: "batch_size", 1: "sequence_length"},
                                    "pooler_output": {0: "batch_size"}}, **common)
    torch.onnx.export(Combined(model), (ids, pixels), os.path.join(onnx_dir, "model.onnx"),
                      input_names=["input_ids", "pixel_values"],
                      output_names=["logits_per_image", "logits_per_text", "text_embeds", "image_embeds"],
                      dynamic_axes={"input_ids": {0: "text_batch_size", 1: "sequence_length"},
                                    "pixel_values": {0: "image_batch_size"},
                                    "logits_per_image": {0: "image_batch_size", 1: "text_batch_size"},
                                    "logits_per_text": {0: "text_batch_size", 1: "image_batch_size"},
                                    "text_embeds": {0: "text_batch_size"}, "image_embeds": {0: "image_batch_size"}},
                      **common)
    # Inline everything (the exporter writes no external data at this size) and drop doc strings.
    import onnx
    for name in ("vision_model.onnx", "text_model.onnx", "model.onnx"):
        path = os.path.join(onnx_dir, name)
        m = onnx.load(path)
        m.producer_name = "clipscope scripts/reference/make_hf_fixtures.py (torch.onnx.export)"
        for node in m.graph.node:
            node.doc_string = ""
        onnx.save(m, path)


def round_list(a, digits=7):
    return [round(float(v), digits) for v in np.asarray(a).ravel()]


def make_model(name, make_tokenizer, resample, logit_scale, logit_bias, keep, image_names):
    folder = os.path.join(OUT, name)
    if os.path.exists(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    with tempfile.TemporaryDirectory() as tmp:
        reference_tok, fast = make_tokenizer(tmp)
        vocab_size = fast.get_vocab_size()
        pad_id = reference_tok.pad_token_id
        eos_id = reference_tok.eos_token_id
        config = siglip_config(vocab_size, pad_id, eos_id)
        model = build_model(config, logit_scale, logit_bias)
        model.save_pretrained(folder)  # config.json + model.safetensors
        processor = SiglipImageProcessorPil(size={"height": 32, "width": 32}, resample=resample)
        processor.save_pretrained(folder)
        # The tokenizer files as the onnx-community repositories have them.
        fast.save(os.path.join(folder, "tokenizer.json"))
        special = {"eos_token": reference_tok.eos_token, "pad_token": reference_tok.pad_token,
                   "unk_token": reference_tok.unk_token}
        if getattr(reference_tok, "bos_token", None):
            special["bos_token"] = reference_tok.bos_token
        with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
            json.dump({**special, "model_max_length": MAX_LENGTH, "padding_side": "right",
                       "tokenizer_class": type(reference_tok).__name__, "do_lower_case": True}, f, indent=2)
        with open(os.path.join(folder, "special_tokens_map.json"), "w") as f:
            json.dump(special, f, indent=2)
        export(model, folder, 32)

        # Hugging Face's own outputs.
        enc = reference_tok(PHRASES, padding="max_length", max_length=MAX_LENGTH, truncation=True)
        ids = torch.tensor(enc["input_ids"], dtype=torch.int64)
        fast_ids = [e.ids for e in fast.encode_batch(PHRASES)]
        assert fast_ids == enc["input_ids"], f"{name}: tokenizer.json differs from {type(reference_tok).__name__}"
        images = [Image.open(os.path.join(IMAGES, n)) for n in image_names]
        pixel_values = processor(images=images, return_tensors="pt")["pixel_values"]
        with torch.no_grad():
            out = model(input_ids=ids, pixel_values=pixel_values)
            # The same phrases padded on the left (tokenizer_config.json padding_side "left", the
            # class default of transformers 5's Siglip2Tokenizer), for the loader's padLeft.
            reference_tok.padding_side = "left"
            left = reference_tok(PHRASES, padding="max_length", max_length=MAX_LENGTH, truncation=True)["input_ids"]
            reference_tok.padding_side = "right"
            left_embeds = model.get_text_features(input_ids=torch.tensor(left, dtype=torch.int64))
            left_embeds = getattr(left_embeds, "pooler_output", left_embeds)
        img = out.image_embeds.numpy()
        txt = out.text_embeds.numpy()
        lpi = out.logits_per_image.numpy()
        scale = float(model.logit_scale.exp())
        bias = float(model.logit_bias)
        # clipscope's "seed" softmax: over all phrases of scale × cos (the bias cancels out).
        soft = torch.softmax(out.logits_per_image, dim=1).numpy()
        sig = torch.sigmoid(out.logits_per_image).numpy()

    # One source of logit_scale / logit_bias per folder (keeps each under 1 MB): siglip-tiny keeps the
    # combined onnx/model.onnx, siglip2-tiny the original model.safetensors.
    if keep == "onnx":
        os.remove(os.path.join(folder, "model.safetensors"))
    else:
        os.remove(os.path.join(folder, "onnx", "model.onnx"))
    ref = {
        "generator": "scripts/reference/make_hf_fixtures.py",
        "transformers": __import__("transformers").__version__,
        "torch": torch.__version__,
        "model": name,
        "logit_scale": scale,
        "logit_bias": bias,
        "max_length": MAX_LENGTH,
        "phrases": PHRASES,
        "categories": CATEGORIES,
        "input_ids": enc["input_ids"],
        "images": image_names,
        "pixel_values_mean": round_list(pixel_values.mean(dim=(1, 2, 3)).numpy()),
        "image_embeds": [round_list(r) for r in img],
        "text_embeds": [round_list(r) for r in txt],
        "input_ids_padded_left": left,
        "text_embeds_padded_left": [round_list(r) for r in left_embeds.numpy()],
        "logits_per_image": [round_list(r, 6) for r in lpi],
        "softmax": [round_list(r) for r in soft],
        "sigmoid": [round_list(r) for r in sig],
    }
    with open(os.path.join(folder, "reference.json"), "w") as f:
        json.dump(ref, f, indent=1, ensure_ascii=False)
        f.write("\n")
    return ref


def clip_tokenizer():
    """A CLIP-style byte-level BPE loaded by transformers' CLIPTokenizer (the reference): CLIP's
    normaliser and pre-tokeniser, every byte with and without "</w>" (as in CLIP's vocabulary, so no
    character is unknown), and 300 merges learnt from the corpus by a plain deterministic BPE (most
    frequent pair, ties to the smaller pair; the tokenizers trainer breaks ties differently per run)."""
    from collections import Counter
    from transformers import CLIPTokenizer

    backend = CLIPTokenizer().backend_tokenizer  # CLIP's pipeline, three-token vocabulary
    words = Counter()
    for line in CORPUS:
        for piece, _ in backend.pre_tokenizer.pre_tokenize_str(backend.normalizer.normalize_str(line)):
            words[tuple(piece[:-1]) + (piece[-1] + "</w>",)] += 1
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    alphabet.sort()
    vocab_list = ["<|startoftext|>", "<|endoftext|>"] + alphabet + [c + "</w>" for c in alphabet]
    merges = []
    for _ in range(300):
        pairs = Counter()
        for word, n in words.items():
            for pair in zip(word, word[1:]):
                pairs[pair] += n
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        vocab_list.append(best[0] + best[1])
        merged = Counter()
        for word, n in words.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged[tuple(out)] += n
        words = merged
    vocab = {}
    for token in vocab_list:
        vocab.setdefault(token, len(vocab))
    return CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=77)


def make_clip(image_names):
    from transformers import CLIPConfig, CLIPImageProcessorPil, CLIPModel

    name = "clip-tiny"
    folder = os.path.join(OUT, name)
    if os.path.exists(folder):
        shutil.rmtree(folder)
    os.makedirs(os.path.join(folder, "onnx"))
    tok = clip_tokenizer()
    config = CLIPConfig(
        text_config=dict(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, max_position_embeddings=77, bos_token_id=tok.bos_token_id,
                         eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id),
        vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                           image_size=32, patch_size=8),
        projection_dim=32,
    )
    torch.manual_seed(SEED)
    model = CLIPModel(config).eval()
    with torch.no_grad():
        model.logit_scale.fill_(math.log(100.0))  # OpenAI CLIP's trained value, clipscope's default
    model.save_pretrained(folder)
    os.remove(os.path.join(folder, "model.safetensors"))
    processor = CLIPImageProcessorPil(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}, resample=3)
    processor.save_pretrained(folder)
    tok.save_pretrained(folder)
    for extra in ("vocab.json", "merges.txt"):
        if os.path.exists(os.path.join(folder, extra)):
            os.remove(os.path.join(folder, extra))

    class Vision(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.m = model

        def forward(self, pixel_values):
            out = self.m.vision_model(pixel_values=pixel_values)
            return self.m.visual_projection(out.pooler_output), out.last_hidden_state

    class Text(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.m = model

        def forward(self, input_ids):
            out = self.m.text_model(input_ids=input_ids)
            return self.m.text_projection(out.pooler_output), out.last_hidden_state

    common = dict(dynamo=False, opset_version=14, do_constant_folding=True)
    torch.onnx.export(Vision(), (torch.zeros((2, 3, 32, 32)),), os.path.join(folder, "onnx", "vision_model.onnx"),
                      input_names=["pixel_values"], output_names=["image_embeds", "last_hidden_state"],
                      dynamic_axes={"pixel_values": {0: "batch_size"}, "image_embeds": {0: "batch_size"},
                                    "last_hidden_state": {0: "batch_size"}}, **common)
    ids_example = torch.tensor([[tok.bos_token_id, 5, 6, tok.eos_token_id]] * 2, dtype=torch.int64)
    torch.onnx.export(Text(), (ids_example,), os.path.join(folder, "onnx", "text_model.onnx"),
                      input_names=["input_ids"], output_names=["text_embeds", "last_hidden_state"],
                      dynamic_axes={"input_ids": {0: "batch_size", 1: "sequence_length"}, "text_embeds": {0: "batch_size"},
                                    "last_hidden_state": {0: "batch_size", 1: "sequence_length"}}, **common)

    enc = tok(PHRASES, padding="max_length", max_length=77, truncation=True)
    ids = torch.tensor(enc["input_ids"], dtype=torch.int64)
    images = [Image.open(os.path.join(IMAGES, n)) for n in image_names]
    pixel_values = processor(images=images, return_tensors="pt")["pixel_values"]
    with torch.no_grad():
        out = model(input_ids=ids, pixel_values=pixel_values)
    # Padded to 77 with the pad token (CLIP's is the end token).
    ref = {
        "generator": "scripts/reference/make_hf_fixtures.py",
        "transformers": __import__("transformers").__version__,
        "torch": torch.__version__,
        "model": name,
        "logit_scale": float(model.logit_scale.exp()),
        "logit_bias": 0.0,
        "max_length": 77,
        "phrases": PHRASES,
        "categories": CATEGORIES,
        "input_ids": enc["input_ids"],
        "images": image_names,
        "pixel_values_mean": round_list(pixel_values.mean(dim=(1, 2, 3)).numpy()),
        "image_embeds": [round_list(r) for r in out.image_embeds.numpy()],
        "text_embeds": [round_list(r) for r in out.text_embeds.numpy()],
        "logits_per_image": [round_list(r, 6) for r in out.logits_per_image.numpy()],
        "softmax": [round_list(r) for r in torch.softmax(out.logits_per_image, dim=1).numpy()],
        "sigmoid": [round_list(r) for r in torch.sigmoid(out.logits_per_image).numpy()],
    }
    with open(os.path.join(folder, "reference.json"), "w") as f:
        json.dump(ref, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(name, "files:", sorted(os.listdir(folder)))


def main():
    torch.set_num_threads(1)
    image_names = write_images()
    for name, make_tok, resample, scale, bias, keep in [
        ("siglip-tiny", siglip_tokenizer, 2, 30.0, -2.5, "onnx"),
        ("siglip2-tiny", siglip2_tokenizer, 3, 20.0, -4.0, "safetensors"),
    ]:
        ref = make_model(name, make_tok, resample, scale, bias, keep, image_names)
        sig = np.array(ref["sigmoid"])
        print(name, "sigmoid range", sig.min().round(3), sig.max().round(3), "files:",
              sorted(os.listdir(os.path.join(OUT, name))))
    make_clip(image_names)


if __name__ == "__main__":
    main()
