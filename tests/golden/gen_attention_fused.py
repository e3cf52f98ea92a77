#!/usr/bin/python3
"""Golden data for einc_attention (tests/test_attention_fused.c): PyTorch's attention math.

For each case: float32 q, k, v, a bias and an output gradient (seeded); PyTorch computes
softmax(q k^T / sqrt(d) + bias + causal mask) v and its gradients in float64 from those float32
values (the truth the float32 kernel is held to), written as float64 .npy files. Sizes are not
multiples of the kernel's blocks (96 queries, 256 keys): N = 101, M = 259, d = 12, e = 20,
batch (1, 2).

Run with Debian's interpreter: /usr/bin/python3 tests/golden/gen_attention_fused.py
(needs python3-torch and python3-numpy).
"""
import os

import numpy as np
import torch

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "attention_fused")
os.makedirs(HERE, exist_ok=True)

B, H, N, M, D, E = 1, 2, 101, 259, 12, 20


def case(name, causal, with_bias, seed):
    g = torch.Generator().manual_seed(seed)
    q, k = torch.randn(B, H, N, D, generator=g), torch.randn(B, H, M, D, generator=g)
    v, dout = torch.randn(B, H, M, E, generator=g), torch.randn(B, H, N, E, generator=g)
    bias = torch.randn(N, M, generator=g)
    leaves = [t.double().requires_grad_() for t in (q, k, v, bias)]
    q64, k64, v64, b64 = leaves
    s = q64 @ k64.transpose(-1, -2) / D**0.5
    if with_bias:
        s = s + b64
    if causal:
        s = s.masked_fill(torch.ones(N, M, dtype=torch.bool).triu(1), float("-inf"))
    out = torch.softmax(s, dim=-1) @ v64
    out.backward(dout.double())
    arrays = {"q": q, "k": k, "v": v, "dout": dout, "out": out, "dq": q64.grad, "dk": k64.grad,
              "dv": v64.grad}
    if with_bias:
        arrays["bias"], arrays["dbias"] = bias, b64.grad
    for part, t in arrays.items():
        a = t.detach().numpy()
        np.save(os.path.join(HERE, f"{name}.{part}.npy"), a.astype(np.float32 if a.dtype == np.float32 else np.float64))


case("plain", False, False, 1)
case("causal", True, False, 2)
case("bias", False, True, 3)
