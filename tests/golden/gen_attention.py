#!/usr/bin/python3
"""Golden data for the attention modules (tests/test_attention.c, build/attention).

For each configuration: PyTorch's MultiHeadAttention (the raw-PyTorch module of the notebook in
shared/reference), seeded; its state dict as safetensors (qkv.weight, qkv.bias, proj.weight,
proj.bias), an input, the output, the gradient of sum(output) with respect to the input, and the
parameter gradients of sum(output) as safetensors with the same names.

Run with Debian's interpreter: /usr/bin/python3 tests/golden/gen_attention.py
(needs python3-torch and python3-numpy; the safetensors files are written by hand, as the format
specifies: 8-byte little-endian header length, JSON header, raw little-endian data).
"""
import json
import os
import struct

import numpy as np
import torch

from torch_attention import MultiHeadAttention_torch

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "attention")
os.makedirs(HERE, exist_ok=True)


def save_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        a = np.ascontiguousarray(t.detach().cpu().numpy().astype(np.float32))
        raw = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


CONFIGS = [
    # name, B, C, heads, H, W, seed
    ("notebook", 2, 16, 4, 8, 8, 0),
    ("h3", 2, 12, 3, 6, 6, 1),
    ("heads8_hw", 1, 32, 8, 4, 6, 2),
]

for name, B, C, heads, H, W, seed in CONFIGS:
    torch.manual_seed(seed)
    m = MultiHeadAttention_torch(C, num_heads=heads)
    x = torch.randn(B, C, H, W, requires_grad=True)
    y = m(x)
    y.sum().backward()
    save_safetensors(os.path.join(HERE, f"{name}.weights.safetensors"), m.state_dict())
    save_safetensors(os.path.join(HERE, f"{name}.grads.safetensors"), {n: p.grad for n, p in m.named_parameters()})
    np.save(os.path.join(HERE, f"{name}.x.npy"), x.detach().numpy())
    np.save(os.path.join(HERE, f"{name}.y.npy"), y.detach().numpy())
    np.save(os.path.join(HERE, f"{name}.gx.npy"), x.grad.numpy())
    with open(os.path.join(HERE, f"{name}.config"), "w") as f:
        f.write(f"{B} {C} {heads} {H} {W}\n")
print("wrote", len(CONFIGS), "configurations to", HERE)
