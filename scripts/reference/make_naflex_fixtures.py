#!/usr/bin/env python3
"""Hugging Face's own outputs for a tiny random SigLIP 2 NaFlex model (model_type "siglip2").

usage: python3 scripts/reference/make_naflex_fixtures.py [OUT_DIR]   (default test/fixtures/models)

Needs what make_hf_fixtures.py needs (torch, transformers 5.x, onnx, onnxruntime, tokenizers, numpy,
PIL) and torchvision — only to REGENERATE the fixtures; the tests read the committed files.

It
  (a) builds a random Siglip2Model (fixed seed; hidden 32, 2 layers; patch 4, a 4×4 grid of learnt
      position embeddings) with SigLIP 2's Gemma-style tokenizer trained on the same English and
      German sentences as make_hf_fixtures.py's siglip2-tiny, and Siglip2ImageProcessor with
      patch_size 4, max_num_patches 24 (so images become at most 24 patches of 4×4 px);
  (b) exports the towers to ONNX with the input and output names of the onnx-community NaFlex
      exports and of transformers.js' SigLIP 2 inputs:
        onnx/vision_model.onnx  pixel_values float32 [batch, num_patches, 3·patch²],
                                pixel_attention_mask int64 [batch, num_patches],
                                spatial_shapes int64 [batch, 2]  ->  last_hidden_state, pooler_output
        onnx/text_model.onnx    input_ids int64 [batch, sequence]  ->  last_hidden_state, pooler_output
      (batch and num_patches dynamic). The position embeddings' per-image bilinear resize
      (antialiased) is written as tensor arithmetic for the export — HF's loop over the batch with
      Python ints cannot be traced; the exported graph is checked against the PyTorch model below;
  (c) writes config.json, model.safetensors (the trained logit_scale and logit_bias live there),
      preprocessor_config.json and the tokenizer files with save_pretrained, and reference.json:
      for images of many shapes (very wide, very tall, tiny, RGBA, greyscale, palette, JPEG) loaded
      the way HF's pipelines load them (transformers.image_utils.load_image: EXIF orientation
      applied, converted to RGB), the processor's patches, pixel_attention_mask and spatial_shapes,
      the PyTorch model's image and text embeddings, logits, softmax and sigmoid probabilities.

The processor is AutoImageProcessor's choice (Siglip2ImageProcessor: torchvision, uint8 tensors,
bilinear with antialias); the script asserts that Siglip2ImageProcessorPil (PIL's BILINEAR) gives
patches within one 8-bit level (it rounds differently on some pixels) and stores them as levels.
"""
import json
import math
import os
import shutil
import sys
import tempfile

os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np
import torch


def import_torchvision():
    """Import torchvision, also where its compiled operators cannot load (a CUDA build of torchvision
    beside a CPU-only torch: it then fails registering fake kernels for nms & co.). The image
    functions transformers uses (resize, normalize on tensors) are plain torch and need none of them."""
    try:
        import torchvision  # noqa: F401
        return
    except RuntimeError:
        for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
            del sys.modules[name]
    import torch.library as tl
    register = tl.register_fake
    tl.register_fake = lambda *a, **k: (lambda f: f)
    try:
        import torchvision  # noqa: F401
    finally:
        tl.register_fake = register


import_torchvision()

from PIL import Image  # noqa: E402
from transformers import AutoImageProcessor, Siglip2Config, Siglip2ImageProcessor, Siglip2ImageProcessorPil, Siglip2Model  # noqa: E402
from transformers.image_utils import load_image  # noqa: E402
from transformers.models.siglip2 import modeling_siglip2  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_hf_fixtures import CATEGORIES, MAX_LENGTH, PHRASES, SEED, round_list, siglip2_tokenizer  # noqa: E402

OUT = sys.argv[1] if len(sys.argv) > 1 else "test/fixtures/models"
IMAGES = os.path.join(OUT, "images")
NAME = "siglip2-naflex-tiny"
PATCH = 4
MAX_PATCHES = 24
POSITION_GRID = 4  # vision_config.num_patches = 16: a 4×4 grid of learnt position embeddings
LOGIT_SCALE, LOGIT_BIAS = 30.0, -0.5


def write_images():
    """Images whose NaFlex sizes differ: the resize goes down and up, by whole and odd factors, to
    grids of 1×24 … 4×4 patches (some padded)."""
    os.makedirs(IMAGES, exist_ok=True)
    rng = np.random.default_rng(SEED + 2)

    def pattern(w, h, kind):
        y, x = np.mgrid[0:h, 0:w].astype(np.float64)
        y, x = y / max(h, w), x / max(h, w)
        if kind == "rings":
            r = np.hypot(x - 0.3, y - 0.6)
            return np.stack([0.5 + 0.5 * np.cos(r * 23), 0.5 + 0.5 * np.sin(r * 13), 0.5 + 0.4 * np.cos(x * 9)], -1)
        if kind == "waves":
            return np.stack([0.5 + 0.5 * np.sin(x * 31), 0.5 + 0.5 * np.cos(y * 17 + x * 5), x], -1)
        return rng.random((h, w, 3))

    def to8(a):
        return np.clip(np.round(a * 255), 0, 255).astype(np.uint8)

    specs = []

    def save(name, img, **kw):
        img.save(os.path.join(IMAGES, name), **kw)
        specs.append(name)

    save("naflex-wide-200x20.png", Image.fromarray(to8(pattern(200, 20, "waves"))), optimize=False, compress_level=9)
    save("naflex-tall-18x150.png", Image.fromarray(to8(pattern(18, 150, "rings"))), optimize=False, compress_level=9)
    save("naflex-tiny-5x3.png", Image.fromarray(to8(pattern(5, 3, "noise"))), optimize=False, compress_level=9)
    save("naflex-square-16.png", Image.fromarray(to8(pattern(16, 16, "rings"))), optimize=False, compress_level=9)
    save("naflex-photo-77x51.jpg", Image.fromarray(to8(pattern(77, 51, "rings"))), quality=92, subsampling=0)
    rgba = np.concatenate([to8(pattern(40, 30, "waves")), to8(pattern(40, 30, "rings"))[..., :1]], -1)
    save("naflex-alpha-40x30.png", Image.fromarray(rgba), optimize=False, compress_level=9)
    save("naflex-grey-30x45.png", Image.fromarray(to8(pattern(30, 45, "rings"))[..., 1]), optimize=False, compress_level=9)
    palette = Image.fromarray(to8(pattern(50, 20, "waves"))).quantize(colors=16, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    save("naflex-palette-50x20.png", palette, optimize=False, compress_level=9)
    return specs


# ---------------------------------------------------------------------------------------------
# The position embeddings' resize, as tensor arithmetic


def aa_bilinear_weights(index, out_size, in_size):
    """Weights of torch's antialiased bilinear resize (F.interpolate(mode="bilinear",
    align_corners=False, antialias=True)) for output positions `index` ([B, L] int64) of a side
    resized from in_size (an int) to out_size ([B, 1] int64): [B, L, in_size]. A triangle filter widened by
    the reduction factor when shrinking, normalised over the input positions it covers."""
    scale = float(in_size) / out_size.to(torch.float32)  # [B, 1]
    support = torch.clamp(scale, min=1.0)
    center = scale * (index.to(torch.float32) + 0.5)  # [B, L]
    j = torch.arange(in_size, dtype=torch.float32)  # [in]
    x = (j + 0.5 - center.unsqueeze(-1)) / support.unsqueeze(-1)
    w = torch.clamp(1.0 - torch.abs(x), min=0.0)
    return w / w.sum(-1, keepdim=True)


def resized_positions(grid, spatial_shapes, pixel_values):
    """HF's resize_positional_embeddings without the loop: grid [n, n, D] → [B, L, D]; position k of
    an image with an h×w patch grid gets the resized grid's (k // w, k % w); padding positions get
    (0, 0), as in HF."""
    ones = torch.ones_like(pixel_values[:, :, 0], dtype=torch.int64)
    k = ones.cumsum(1) - 1  # [B, L]
    h = spatial_shapes[:, 0:1]
    w = spatial_shapes[:, 1:2]
    valid = k < h * w
    zero = torch.zeros_like(k)
    row = torch.where(valid, torch.div(k, w, rounding_mode="floor"), zero)
    col = torch.where(valid, k - torch.div(k, w, rounding_mode="floor") * w, zero)
    wy = aa_bilinear_weights(row, h, grid.shape[0])
    wx = aa_bilinear_weights(col, w, grid.shape[1])
    return torch.einsum("bli,blj,ijd->bld", wy, wx, grid.to(torch.float32))


def traceable_embeddings_forward(self, pixel_values, spatial_shapes):
    patch_embeds = self.patch_embedding(pixel_values.to(dtype=self.patch_embedding.weight.dtype))
    grid = self.position_embedding.weight.reshape(self.position_embedding_size, self.position_embedding_size, -1)
    return patch_embeds + resized_positions(grid, spatial_shapes, pixel_values).to(patch_embeds.dtype)


class VisionTower(torch.nn.Module):
    def __init__(self, vision):
        super().__init__()
        self.vision = vision

    def forward(self, pixel_values, pixel_attention_mask, spatial_shapes):
        out = self.vision(pixel_values=pixel_values, pixel_attention_mask=pixel_attention_mask, spatial_shapes=spatial_shapes)
        return out.last_hidden_state, out.pooler_output


class TextTower(torch.nn.Module):
    def __init__(self, text):
        super().__init__()
        self.text = text

    def forward(self, input_ids):
        out = self.text(input_ids=input_ids)
        return out.last_hidden_state, out.pooler_output


def export(model, folder, example):
    import onnx
    import onnxruntime as ort

    onnx_dir = os.path.join(folder, "onnx")
    os.makedirs(onnx_dir, exist_ok=True)
    common = dict(dynamo=False, opset_version=14, do_constant_folding=True)
    original = modeling_siglip2.Siglip2VisionEmbeddings.forward
    modeling_siglip2.Siglip2VisionEmbeddings.forward = traceable_embeddings_forward
    try:
        torch.onnx.export(
            VisionTower(model.vision_model),
            (example["pixel_values"], example["pixel_attention_mask"].to(torch.int64), example["spatial_shapes"].to(torch.int64)),
            os.path.join(onnx_dir, "vision_model.onnx"),
            input_names=["pixel_values", "pixel_attention_mask", "spatial_shapes"],
            output_names=["last_hidden_state", "pooler_output"],
            dynamic_axes={"pixel_values": {0: "batch_size", 1: "num_patches"},
                          "pixel_attention_mask": {0: "batch_size", 1: "num_patches"},
                          "spatial_shapes": {0: "batch_size"},
                          "last_hidden_state": {0: "batch_size", 1: "num_patches"},
                          "pooler_output": {0: "batch_size"}},
            **common)
    finally:
        modeling_siglip2.Siglip2VisionEmbeddings.forward = original
    ids = torch.ones((2, MAX_LENGTH), dtype=torch.int64)
    torch.onnx.export(TextTower(model.text_model), (ids,), os.path.join(onnx_dir, "text_model.onnx"),
                      input_names=["input_ids"], output_names=["last_hidden_state", "pooler_output"],
                      dynamic_axes={"input_ids": {0: "batch_size", 1: "sequence_length"},
                                    "last_hidden_state": {0: "batch_size", 1: "sequence_length"},
                                    "pooler_output": {0: "batch_size"}}, **common)
    for name in ("vision_model.onnx", "text_model.onnx"):
        path = os.path.join(onnx_dir, name)
        m = onnx.load(path)
        m.producer_name = "clipscope scripts/reference/make_naflex_fixtures.py (torch.onnx.export)"
        for node in m.graph.node:
            node.doc_string = ""
        onnx.save(m, path)
    return ort.InferenceSession(os.path.join(onnx_dir, "vision_model.onnx"), providers=["CPUExecutionProvider"])


def main():
    torch.set_num_threads(1)
    names = write_images()
    folder = os.path.join(OUT, NAME)
    if os.path.exists(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    with tempfile.TemporaryDirectory() as tmp:
        reference_tok, fast = siglip2_tokenizer(tmp)
    config = Siglip2Config(
        text_config=dict(vocab_size=fast.get_vocab_size(), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, max_position_embeddings=MAX_LENGTH, pad_token_id=reference_tok.pad_token_id,
                         eos_token_id=reference_tok.eos_token_id, bos_token_id=None, projection_size=32),
        vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                           patch_size=PATCH, num_patches=POSITION_GRID * POSITION_GRID),
    )
    config._attn_implementation = "eager"
    torch.manual_seed(SEED)
    model = Siglip2Model(config).eval()
    with torch.no_grad():
        model.logit_scale.fill_(math.log(LOGIT_SCALE))
        model.logit_bias.fill_(LOGIT_BIAS)
    model.save_pretrained(folder)  # config.json + model.safetensors
    Siglip2ImageProcessor(patch_size=PATCH, max_num_patches=MAX_PATCHES).save_pretrained(folder)
    processor = AutoImageProcessor.from_pretrained(folder)
    assert type(processor) is Siglip2ImageProcessor, type(processor)
    fast.save(os.path.join(folder, "tokenizer.json"))
    special = {"eos_token": "<eos>", "pad_token": "<pad>", "unk_token": "<unk>", "bos_token": "<bos>"}
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump({**special, "model_max_length": MAX_LENGTH, "padding_side": "right",
                   "tokenizer_class": "Siglip2Tokenizer", "do_lower_case": True}, f, indent=2)
    with open(os.path.join(folder, "special_tokens_map.json"), "w") as f:
        json.dump(special, f, indent=2)

    images = [load_image(os.path.join(IMAGES, n)) for n in names]
    inputs = processor(images=images, return_tensors="pt")
    pil = Siglip2ImageProcessorPil(patch_size=PATCH, max_num_patches=MAX_PATCHES)(images=images, return_tensors="pt")
    # torchvision's uint8 resize and PIL's BILINEAR round differently: at most one 8-bit level.
    level = 2 / 255  # one level after rescale 1/255 and normalise with std 0.5
    per_image = (inputs["pixel_values"] - pil["pixel_values"]).abs().amax(dim=(1, 2))
    backend_levels = {n: round(float(d) / level, 3) for n, d in zip(names, per_image)}
    backend_diff = float(per_image.max())
    assert backend_diff <= level * 1.0001 and torch.equal(inputs["spatial_shapes"], pil["spatial_shapes"]), backend_levels

    enc = reference_tok(PHRASES, padding="max_length", max_length=MAX_LENGTH, truncation=True)
    assert [e.ids for e in fast.encode_batch(PHRASES)] == enc["input_ids"]
    ids = torch.tensor(enc["input_ids"], dtype=torch.int64)
    with torch.no_grad():
        # Text as clipscope feeds it (and as the SigLIP towers were trained): input_ids alone.
        out = model(input_ids=ids, pixel_values=inputs["pixel_values"], pixel_attention_mask=inputs["pixel_attention_mask"],
                    spatial_shapes=inputs["spatial_shapes"])
        # The traceable position resize against HF's loop, on every shape used here and more.
        emb = model.vision_model.embeddings
        grid = emb.position_embedding.weight.reshape(POSITION_GRID, POSITION_GRID, -1)
        # Grids one patch wide are left out: torch's CPU antialiased resize to a width of 1 (from
        # another height) gives every row the same, wrong, values (measured with torch 2.13); the
        # images here get none such.
        assert all(w > 1 for _, w in inputs["spatial_shapes"].tolist())
        shapes = torch.tensor([[h, w] for h in range(1, MAX_PATCHES + 1) for w in range(2, MAX_PATCHES + 1) if h * w <= MAX_PATCHES])
        dummy = torch.zeros((len(shapes), MAX_PATCHES, 3 * PATCH * PATCH))
        mine = resized_positions(grid, shapes, dummy)
        theirs = emb.resize_positional_embeddings(grid, shapes, MAX_PATCHES)
        position_diff = float((mine - theirs).abs().max())
        assert position_diff < 1e-5, position_diff

    session = export(model, folder, inputs)
    onnx_out = session.run(["pooler_output"], {
        "pixel_values": inputs["pixel_values"].numpy(),
        "pixel_attention_mask": inputs["pixel_attention_mask"].numpy().astype(np.int64),
        "spatial_shapes": inputs["spatial_shapes"].numpy().astype(np.int64),
    })[0]
    hf_pooled = out.vision_model_output.pooler_output.numpy()
    onnx_diff = float(np.abs(onnx_out - hf_pooled).max())
    assert onnx_diff < 1e-4, onnx_diff

    scale = float(model.logit_scale.exp())
    bias = float(model.logit_bias)
    lpi = out.logits_per_image
    ref = {
        "generator": "scripts/reference/make_naflex_fixtures.py",
        "transformers": __import__("transformers").__version__,
        "torch": torch.__version__,
        "model": NAME,
        "processor": type(processor).__name__,
        "patch_size": PATCH,
        "max_num_patches": MAX_PATCHES,
        "checks": {"pil_vs_torchvision_patches_max_abs": backend_diff, "pil_vs_torchvision_levels": backend_levels, "position_resize_max_abs": position_diff,
                   "onnx_vs_pytorch_pooler_max_abs": onnx_diff},
        "logit_scale": scale,
        "logit_bias": bias,
        "max_length": MAX_LENGTH,
        "phrases": PHRASES,
        "categories": CATEGORIES,
        "input_ids": enc["input_ids"],
        "images": names,
        "spatial_shapes": inputs["spatial_shapes"].tolist(),
        "pixel_attention_mask": inputs["pixel_attention_mask"].tolist(),
        # Only the real patches (the padding is zeros): spatial_shapes h·w rows of 3·patch² values.
        "pixel_values": [round_list(pv[: int(m.sum())]) for pv, m in zip(inputs["pixel_values"], inputs["pixel_attention_mask"])],
        # The same patches from Siglip2ImageProcessorPil, as the 8-bit levels PIL's resize gave
        # (value = level / 255 · 2 − 1), to check a PIL-exact resize bit for bit.
        "pixel_levels_pil": [[int(v) for v in np.round((pv[: int(m.sum())].numpy().ravel() + 1) * 127.5)]
                             for pv, m in zip(pil["pixel_values"], pil["pixel_attention_mask"])],
        "image_embeds": [round_list(r) for r in out.image_embeds.numpy()],
        "text_embeds": [round_list(r) for r in out.text_embeds.numpy()],
        "logits_per_image": [round_list(r, 6) for r in lpi.numpy()],
        "softmax": [round_list(r) for r in torch.softmax(lpi, dim=1).numpy()],
        "sigmoid": [round_list(r) for r in torch.sigmoid(lpi).numpy()],
    }
    with open(os.path.join(folder, "reference.json"), "w") as f:
        json.dump(ref, f, indent=1, ensure_ascii=False)
        f.write("\n")
    sig = np.array(ref["sigmoid"])
    print(NAME, "shapes", ref["spatial_shapes"], "sigmoid range", sig.min().round(3), sig.max().round(3))
    print("checks", ref["checks"], "files:", sorted(os.listdir(folder)))


if __name__ == "__main__":
    main()
