#!/usr/bin/env python3
"""A speed twin of one listed model: its real vision tower (architecture and shapes from the
published config) with random weights, as a clipscope model folder, for measuring images/s.

usage: python3 scripts/reference/make_speed_twin.py TWIN OUT_DIR [--quantized]
       python3 scripts/reference/make_speed_twin.py --list

Run by scripts/measure-model-speeds.ts, which loads the folder with clipscope's engine and times
the vision tower; the folder is deleted afterwards (an L/14 twin is ~1.2 GB).

The vision tower is built by transformers' own classes (CLIPVisionModelWithProjection,
SiglipVisionModel) from a config written out here with the values of the published config.json —
no download, random init — or, for MobileCLIP, by timm's MobileCLIP image encoders (fastvit_mci0/1/2,
vit_base_mci_224, reparameterised for inference as Apple's export does), and exported to ONNX as
the Xenova / onnx-community repositories are laid out (onnx/vision_model.onnx, pixel_values ->
image_embeds or pooler_output, opset 14, dynamic batch). --quantized adds
onnx/vision_model_quantized.onnx made with onnxruntime's dynamic quantisation (uint8 weights), as
the repositories' *_quantized.onnx files are.

The text tower is NOT the model's: a tiny graph with the right output width (input_ids ->
Cast -> ReduceSum -> MatMul), since only the vision tower is timed. The tokenizer files are copied
from the committed test fixtures. Needs torch, transformers, onnx, onnxruntime (and timm for
MobileCLIP).
"""
import importlib.abc
import importlib.machinery
import json
import os
import shutil
import sys
import types

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "test", "fixtures", "models")
SEED = 20240611

# Published vision configs (config.json of the original checkpoints).
CLIP_B = dict(hidden_size=768, intermediate_size=3072, num_attention_heads=12, num_hidden_layers=12, hidden_act="quick_gelu")
CLIP_L = dict(hidden_size=1024, intermediate_size=4096, num_attention_heads=16, num_hidden_layers=24, hidden_act="quick_gelu")
SIGLIP_B = dict(hidden_size=768, intermediate_size=3072, num_attention_heads=12, num_hidden_layers=12,
                hidden_act="gelu_pytorch_tanh", patch_size=16, layer_norm_eps=1e-6)

CLIP_PREPROCESS = dict(image_mean=[0.48145466, 0.4578275, 0.40821073], image_std=[0.26862954, 0.26130258, 0.27577711], resample=3)

TWINS = {
    "clip-vit-base-patch32": dict(kind="clip", vision=dict(CLIP_B, patch_size=32, image_size=224), projection=512),
    "clip-vit-base-patch16": dict(kind="clip", vision=dict(CLIP_B, patch_size=16, image_size=224), projection=512),
    "clip-vit-large-patch14": dict(kind="clip", vision=dict(CLIP_L, patch_size=14, image_size=224), projection=768),
    "clip-vit-large-patch14-336": dict(kind="clip", vision=dict(CLIP_L, patch_size=14, image_size=336), projection=768),
    # LAION's OpenCLIP ViT-B/32 (laion2B-s34B-b79K) as transformers converts it: GELU, not QuickGELU.
    "laion-clip-vit-b-32": dict(kind="clip", vision=dict(CLIP_B, patch_size=32, image_size=224, hidden_act="gelu"), projection=512),
    "siglip-base-patch16-224": dict(kind="siglip", vision=dict(SIGLIP_B, image_size=224)),
    "siglip2-base-patch16-224": dict(kind="siglip", vision=dict(SIGLIP_B, image_size=224)),
    "mobileclip_s0": dict(kind="mobileclip", timm="fastvit_mci0", image_size=256, projection=512),
    "mobileclip_s1": dict(kind="mobileclip", timm="fastvit_mci1", image_size=256, projection=512),
    "mobileclip_s2": dict(kind="mobileclip", timm="fastvit_mci2", image_size=256, projection=512),
    "mobileclip_b": dict(kind="mobileclip", timm="vit_base_mci_224", image_size=224, projection=512),
}


def stub_torchvision():
    """timm imports torchvision at import time, for data loading and a few layers the MobileCLIP
    encoders do not use; the torchvision wheel available here is a CUDA build that cannot load on
    this machine. A stand-in module answers those imports."""
    try:
        import torchvision  # noqa: F401
        return
    except Exception:
        for name in [n for n in sys.modules if n == "torchvision" or n.startswith("torchvision.")]:
            del sys.modules[name]

    class Any(type):
        def __getattr__(cls, name):
            if name.startswith("__"):
                raise AttributeError(name)
            return f"{cls.__name__}.{name}"

    class Stub(types.ModuleType):
        def __getattr__(self, name):
            if name.startswith("__"):
                raise AttributeError(name)
            return Any(name, (torch.nn.Module,), {})

    class Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
        def find_spec(self, fullname, path, target=None):
            if fullname == "torchvision" or fullname.startswith("torchvision."):
                return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
            return None

        def create_module(self, spec):
            module = Stub(spec.name)
            module.__path__ = []
            return module

        def exec_module(self, module):
            pass

    sys.meta_path.insert(0, Finder())


def vision_tower(spec):
    """(module, output name, image size, embedding width)."""
    torch.manual_seed(SEED)
    if spec["kind"] == "clip":
        from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection
        config = CLIPVisionConfig(**spec["vision"], projection_dim=spec["projection"])
        model = CLIPVisionModelWithProjection(config).eval()

        class Vision(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.m = model

            def forward(self, pixel_values):
                out = self.m(pixel_values=pixel_values)
                return out.image_embeds, out.last_hidden_state

        return Vision(), ["image_embeds", "last_hidden_state"], spec["vision"]["image_size"], spec["projection"]
    if spec["kind"] == "siglip":
        from transformers import SiglipVisionConfig, SiglipVisionModel
        config = SiglipVisionConfig(**spec["vision"])
        model = SiglipVisionModel(config).eval()

        class Vision(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.m = model

            def forward(self, pixel_values):
                out = self.m(pixel_values=pixel_values)
                return out.pooler_output, out.last_hidden_state

        return Vision(), ["pooler_output", "last_hidden_state"], spec["vision"]["image_size"], spec["vision"]["hidden_size"]
    stub_torchvision()
    import timm
    from timm.utils.model import reparameterize_model
    model = reparameterize_model(timm.create_model(spec["timm"], num_classes=spec["projection"]).eval())

    class Vision(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.m = model

        def forward(self, pixel_values):
            return self.m(pixel_values)

    return Vision(), ["image_embeds"], spec["image_size"], spec["projection"]


def text_tower(path, dim, output):
    """input_ids [batch, seq] -> output [batch, dim]: not a text model, only the width."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    w = numpy_helper.from_array(np.linspace(-1, 1, dim, dtype=np.float32).reshape(1, dim), "w")
    axes = numpy_helper.from_array(np.array([1], dtype=np.int64), "axes")
    graph = helper.make_graph(
        [
            helper.make_node("Cast", ["input_ids"], ["f"], to=TensorProto.FLOAT),
            helper.make_node("ReduceSum", ["f", "axes"], ["s"], keepdims=1),
            helper.make_node("MatMul", ["s", "w"], [output]),
        ],
        "text_width_only",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"])],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, ["batch_size", dim])],
        [w, axes],
    )
    # IR version 8 (onnxruntime-node reads up to the version its release knows; the onnx package
    # here writes a newer one by default).
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)], ir_version=8), path)


def write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f, indent=2)
        f.write("\n")


def main():
    if sys.argv[1:] == ["--list"]:
        print("\n".join(TWINS))
        return
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    quantized = "--quantized" in sys.argv
    if len(args) != 2 or args[0] not in TWINS:
        sys.exit(f"usage: make_speed_twin.py <{'|'.join(TWINS)}> OUT_DIR [--quantized]")
    name, out = args
    spec = TWINS[name]
    torch.set_num_threads(2)
    os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
    vision, outputs, size, dim = vision_tower(spec)
    vision_file = os.path.join(out, "onnx", "vision_model.onnx")
    with torch.no_grad():
        torch.onnx.export(vision, (torch.zeros((1, 3, size, size)),), vision_file, dynamo=False, opset_version=14,
                          do_constant_folding=True, input_names=["pixel_values"], output_names=outputs,
                          dynamic_axes={"pixel_values": {0: "batch_size"}, **{o: {0: "batch_size"} for o in outputs}})
    siglip = spec["kind"] == "siglip"
    text_tower(os.path.join(out, "onnx", "text_model.onnx"), dim, "pooler_output" if siglip else "text_embeds")
    if quantized:
        from onnxruntime.quantization import QuantType, quantize_dynamic
        quantize_dynamic(vision_file, os.path.join(out, "onnx", "vision_model_quantized.onnx"), weight_type=QuantType.QUInt8)
        shutil.copy(os.path.join(out, "onnx", "text_model.onnx"), os.path.join(out, "onnx", "text_model_quantized.onnx"))

    tokenizer_from = os.path.join(FIXTURES, "siglip-tiny" if siglip else "clip-tiny")
    for file in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(tokenizer_from, file), os.path.join(out, file))
    twin = {"clipscope_generated": "synthetic", "speed_twin": name}
    if siglip:
        write_json(os.path.join(out, "config.json"), {"model_type": "siglip", **twin})
        write_json(os.path.join(out, "preprocessor_config.json"),
                   {"do_resize": True, "size": {"height": size, "width": size}, "resample": 3 if "siglip2" in name else 2,
                    "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]})
        # The twin's logit scale and bias (the real ones live in the weights; any pair does here).
        write_json(os.path.join(out, "clipscope.json"), {"logit": {"scale": 10.0, "bias": -10.0, "source": "speed twin"}})
    elif spec["kind"] == "mobileclip":
        write_json(os.path.join(out, "config.json"), {"model_type": "clip", **twin})
        write_json(os.path.join(out, "preprocessor_config.json"),
                   {"size": {"shortest_edge": size}, "crop_size": {"height": size, "width": size}, "resample": 2, "do_normalize": False})
    else:
        write_json(os.path.join(out, "config.json"), {"model_type": "clip", "projection_dim": dim, **twin})
        write_json(os.path.join(out, "preprocessor_config.json"),
                   {"size": {"shortest_edge": size}, "crop_size": {"height": size, "width": size}, **CLIP_PREPROCESS})
    params = sum(p.numel() for p in vision.parameters())
    print(json.dumps({"twin": name, "image_size": size, "dim": dim, "vision_parameters": params}))


if __name__ == "__main__":
    main()
