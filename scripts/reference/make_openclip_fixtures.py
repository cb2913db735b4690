#!/usr/bin/env python3
"""Tiny random models in the layouts of two OpenCLIP-trained families, as test fixtures for clipscope.

usage: python3 scripts/reference/make_openclip_fixtures.py [OUT_DIR]   (default test/fixtures/models)

Reads OUT_DIR/clip-tiny's tokenizer files and OUT_DIR/images (both from make_hf_fixtures.py).
Needs torch, transformers (5.x), onnx, numpy and PIL — only to REGENERATE the fixtures; the tests
read the committed files and run no Python.

  mobileclip-tiny  Apple's MobileCLIP as the Xenova/mobileclip_* repositories lay it out:
                   config.json is only {"model_type": "clip"}; preprocessor_config.json resizes the
                   shortest edge with BILINEAR (2), centre-crops, rescales to 0..1 and does NOT
                   normalise (do_normalize false, no mean/std: MobileCLIP's image encoder takes
                   ToTensor() values); tokenizer_config.json pads with "!" (OpenCLIP pads with id 0,
                   which is "!" in CLIP's vocabulary) to 77. The towers are a small random conv net
                   (pixel_values -> image_embeds) and a NON-causal transformer (as MobileCLIP-S0's
                   text encoder) pooled at the first end token (input_ids -> text_embeds), so the
                   padding is part of what the text tower sees. transformers has no MobileCLIP: the
                   reference is these PyTorch modules on MobileCLIP's own preprocessing (PIL resize
                   of the shorter side, centre crop, ToTensor) and ids padded to 77.
  laion-tiny       An OpenCLIP (LAION) checkpoint as transformers converts it (CLIPModel, GELU), with
                   a non-OpenAI mean/std (ImageNet's) and BILINEAR resize in
                   preprocessor_config.json, and a text tower exported the way optimum exports it:
                   input_ids AND attention_mask -> text_embeds. The reference is transformers'
                   CLIPImageProcessor and CLIPModel with the attention mask, ids padded to 77.
"""
import json
import math
import os
import shutil
import sys

import numpy as np
import torch
from PIL import Image

OUT = sys.argv[1] if len(sys.argv) > 1 else "test/fixtures/models"
IMAGES = os.path.join(OUT, "images")
CLIP_TINY = os.path.join(OUT, "clip-tiny")
SEED = 20240611
SIZE = 32
CONTEXT = 77
IMAGE_NAMES = ["gradient-32.png", "rings-32.png", "gradient-64.png", "blobs-64.png", "rings-96.png", "blobs-64.jpg"]
PHRASES = [
    "A photo of a red square on a blue background.",
    "A black and white picture of a crowd.",
    "Prominent figures or speakers on stage addressing a political audience.",
    "Xylophone quartz jukebox",
    " ".join(["politische Kundgebung unter freiem Himmel"] * 12),
]
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


def round_list(values, digits=7):
    return [round(float(v), digits) for v in np.asarray(values).ravel()]


def write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f, indent=2, ensure_ascii=False)
        f.write("\n")


def copy_tokenizer(folder, pad_token):
    shutil.copy(os.path.join(CLIP_TINY, "tokenizer.json"), os.path.join(folder, "tokenizer.json"))
    with open(os.path.join(CLIP_TINY, "tokenizer_config.json")) as f:
        config = json.load(f)
    config["pad_token"] = pad_token
    write_json(os.path.join(folder, "tokenizer_config.json"), config)
    from transformers import CLIPTokenizer
    return CLIPTokenizer.from_pretrained(folder)


def fresh(name):
    folder = os.path.join(OUT, name)
    if os.path.exists(folder):
        shutil.rmtree(folder)
    os.makedirs(os.path.join(folder, "onnx"))
    return folder


def mobileclip_pixels(path):
    """MobileCLIP's preprocessing (Resize(size, BILINEAR) of the shorter side, CenterCrop, ToTensor)."""
    img = Image.open(path).convert("RGB")
    w, h = img.size
    if w <= h:
        nw, nh = SIZE, int(SIZE * h / w)
    else:
        nw, nh = int(SIZE * w / h), SIZE
    img = img.resize((nw, nh), Image.BILINEAR)
    left, top = int(round((nw - SIZE) / 2.0)), int(round((nh - SIZE) / 2.0))
    img = img.crop((left, top, left + SIZE, top + SIZE))
    return torch.tensor(np.asarray(img, dtype=np.float32) / 255.0).permute(2, 0, 1)


class MobileVision(torch.nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.stem = torch.nn.Conv2d(3, 16, 3, stride=2, padding=1)
        self.block = torch.nn.Conv2d(16, 32, 3, stride=2, padding=1, groups=1)
        self.head = torch.nn.Linear(32, dim)

    def forward(self, pixel_values):
        x = torch.nn.functional.gelu(self.stem(pixel_values))
        x = torch.nn.functional.gelu(self.block(x))
        return self.head(x.mean(dim=(2, 3)))


class Layer(torch.nn.Module):
    """Pre-norm transformer layer with full (non-causal) self-attention, written out so the legacy
    ONNX exporter sees plain operators."""

    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.norm1 = torch.nn.LayerNorm(width)
        self.qkv = torch.nn.Linear(width, 3 * width)
        self.out = torch.nn.Linear(width, width)
        self.norm2 = torch.nn.LayerNorm(width)
        self.fc1 = torch.nn.Linear(width, 2 * width)
        self.fc2 = torch.nn.Linear(2 * width, width)

    def forward(self, x):
        b, n, w = x.shape
        q, k, v = self.qkv(self.norm1(x)).reshape(b, n, 3, self.heads, w // self.heads).permute(2, 0, 3, 1, 4)
        attn = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(w // self.heads), dim=-1)
        x = x + self.out((attn @ v).transpose(1, 2).reshape(b, n, w))
        return x + self.fc2(torch.nn.functional.gelu(self.fc1(self.norm2(x))))


class MobileText(torch.nn.Module):
    """Token and position embeddings, one non-causal transformer layer, final norm, the state at the
    first end token, projection."""

    def __init__(self, vocab, dim, eos_id):
        super().__init__()
        self.eos_id = eos_id
        self.tokens = torch.nn.Embedding(vocab, 32)
        self.positions = torch.nn.Parameter(torch.randn(CONTEXT, 32) * 0.5)
        self.layer = Layer(32, 2)
        self.norm = torch.nn.LayerNorm(32)
        self.projection = torch.nn.Parameter(torch.randn(32, dim) / math.sqrt(32))

    def forward(self, input_ids):
        x = self.tokens(input_ids) + self.positions[: input_ids.shape[1]]
        x = self.norm(self.layer(x))
        at = (input_ids == self.eos_id).to(torch.int64).argmax(dim=-1)
        return x[torch.arange(x.shape[0]), at] @ self.projection


def export(module, args, path, inputs, outputs, axes):
    with torch.no_grad():
        torch.onnx.export(module, args, path, dynamo=False, opset_version=14, do_constant_folding=True,
                          input_names=inputs, output_names=outputs, dynamic_axes=axes)


def make_mobileclip():
    name = "mobileclip-tiny"
    folder = fresh(name)
    tok = copy_tokenizer(folder, "!")
    torch.manual_seed(SEED)
    vision = MobileVision(16).eval()
    text = MobileText(len(tok), 16, tok.eos_token_id).eval()
    write_json(os.path.join(folder, "config.json"), {"model_type": "clip"})
    write_json(os.path.join(folder, "preprocessor_config.json"), {
        "crop_size": {"height": SIZE, "width": SIZE}, "do_center_crop": True, "do_convert_rgb": True,
        "do_normalize": False, "do_rescale": True, "do_resize": True,
        "feature_extractor_type": "CLIPFeatureExtractor", "image_processor_type": "CLIPFeatureExtractor",
        "resample": 2, "rescale_factor": 1 / 255, "size": {"shortest_edge": SIZE}})
    export(vision, (torch.zeros((2, 3, SIZE, SIZE)),), os.path.join(folder, "onnx", "vision_model.onnx"),
           ["pixel_values"], ["image_embeds"], {"pixel_values": {0: "batch_size"}, "image_embeds": {0: "batch_size"}})
    example = torch.tensor([[tok.bos_token_id, 5, 6, tok.eos_token_id] + [tok.pad_token_id] * 3] * 2)
    export(text, (example,), os.path.join(folder, "onnx", "text_model.onnx"), ["input_ids"], ["text_embeds"],
           {"input_ids": {0: "batch_size", 1: "sequence_length"}, "text_embeds": {0: "batch_size"}})

    enc = tok(PHRASES, padding="max_length", max_length=CONTEXT, truncation=True)
    ids = torch.tensor(enc["input_ids"], dtype=torch.int64)
    pixels = torch.stack([mobileclip_pixels(os.path.join(IMAGES, n)) for n in IMAGE_NAMES])
    with torch.no_grad():
        image_embeds = vision(pixels)
        text_embeds = text(ids)
        # Each phrase without padding: another embedding, since the non-causal layer attends to the
        # padding too.
        lengths = [len(tok(p, truncation=True, max_length=CONTEXT)["input_ids"]) for p in PHRASES]
        unpadded = torch.cat([text(ids[i:i + 1, :n]) for i, n in enumerate(lengths)])
    write_json(os.path.join(folder, "reference.json"), {
        "generator": "scripts/reference/make_openclip_fixtures.py",
        "model": name,
        "max_length": CONTEXT,
        "phrases": PHRASES,
        "input_ids": enc["input_ids"],
        "images": IMAGE_NAMES,
        "pixel_values_mean": round_list(pixels.mean(dim=(1, 2, 3)).numpy()),
        "image_embeds": [round_list(r) for r in image_embeds.numpy()],
        "text_embeds": [round_list(r) for r in text_embeds.numpy()],
        "text_embeds_unpadded": [round_list(r) for r in unpadded.numpy()],
    })
    print(name, sorted(os.listdir(folder)))


def make_laion():
    from transformers import CLIPConfig, CLIPImageProcessorPil, CLIPModel

    name = "laion-tiny"
    folder = fresh(name)
    tok = copy_tokenizer(folder, "<|endoftext|>")
    config = CLIPConfig(
        text_config=dict(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, max_position_embeddings=CONTEXT, hidden_act="gelu",
                         bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id),
        vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                           image_size=SIZE, patch_size=8, hidden_act="gelu"),
        projection_dim=24,
    )
    config._attn_implementation = "eager"
    torch.manual_seed(SEED)
    model = CLIPModel(config).eval()
    with torch.no_grad():
        model.logit_scale.fill_(math.log(100.0))
    model.config.save_pretrained(folder)
    processor = CLIPImageProcessorPil(size={"shortest_edge": SIZE}, crop_size={"height": SIZE, "width": SIZE},
                                      resample=2, image_mean=IMAGENET_MEAN, image_std=IMAGENET_STD)
    processor.save_pretrained(folder)

    class Vision(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.m = model

        def forward(self, pixel_values):
            return self.m.visual_projection(self.m.vision_model(pixel_values=pixel_values).pooler_output)

    class Text(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.m = model

        def forward(self, input_ids, attention_mask):
            out = self.m.text_model(input_ids=input_ids, attention_mask=attention_mask)
            return self.m.text_projection(out.pooler_output)

    export(Vision(), (torch.zeros((2, 3, SIZE, SIZE)),), os.path.join(folder, "onnx", "vision_model.onnx"),
           ["pixel_values"], ["image_embeds"], {"pixel_values": {0: "batch_size"}, "image_embeds": {0: "batch_size"}})
    example = tok(["a photo", "a red square"], padding=True, return_tensors="pt")
    export(Text(), (example["input_ids"], example["attention_mask"]), os.path.join(folder, "onnx", "text_model.onnx"),
           ["input_ids", "attention_mask"], ["text_embeds"],
           {"input_ids": {0: "batch_size", 1: "sequence_length"}, "attention_mask": {0: "batch_size", 1: "sequence_length"},
            "text_embeds": {0: "batch_size"}})

    enc = tok(PHRASES, padding="max_length", max_length=CONTEXT, truncation=True, return_tensors="pt")
    images = [Image.open(os.path.join(IMAGES, n)) for n in IMAGE_NAMES]
    pixels = processor(images=images, return_tensors="pt")["pixel_values"]
    with torch.no_grad():
        out = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"], pixel_values=pixels)
    write_json(os.path.join(folder, "reference.json"), {
        "generator": "scripts/reference/make_openclip_fixtures.py",
        "transformers": __import__("transformers").__version__,
        "model": name,
        "max_length": CONTEXT,
        "phrases": PHRASES,
        "input_ids": enc["input_ids"].tolist(),
        "images": IMAGE_NAMES,
        "pixel_values_mean": round_list(pixels.mean(dim=(1, 2, 3)).numpy()),
        "image_embeds": [round_list(r) for r in out.image_embeds.numpy()],
        "text_embeds": [round_list(r) for r in out.text_embeds.numpy()],
    })
    print(name, sorted(os.listdir(folder)))


def main():
    torch.set_num_threads(1)
    make_mobileclip()
    make_laion()


if __name__ == "__main__":
    main()
