#!/usr/bin/python3
"""PyTorch's side of bench_attention: the notebook's module on the same shapes.

Prints one line per configuration: "B C heads H W forward_us forward_backward_us" (best of N).
usage: attention_torch.py THREADS REPS [module|sdpa]
  module  the notebook's raw-PyTorch module (tests/golden/torch_attention.py), any PyTorch;
  sdpa    the same module with torch.nn.functional.scaled_dot_product_attention (PyTorch >= 2.0).
bench_attention runs it with Debian's /usr/bin/python3 (PyTorch 1.13) both as the environment is
set and in the best configuration, and with the python3 on PATH for sdpa when that has torch 2.
Large shapes (N = H W >= 2048) take at most 2 calls after the warm-up: they run for seconds.
"""
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden"))
from torch_attention import MultiHeadAttention_torch  # noqa: E402


def best(fn, reps):
    fn()
    t = 1e30
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        t = min(t, time.perf_counter() - t0)
    return t * 1e6


class SdpaAttention(torch.nn.Module):
    """The notebook's module with the three attention lines replaced by the fused SDPA call."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = torch.nn.Conv2d(dim, dim * 3, 1)
        self.proj = torch.nn.Conv2d(dim, dim, 1)

    def forward(self, x):
        B, C, H, W = x.shape
        qkv = self.qkv(x).reshape(B, 3, self.heads, C // self.heads, H * W).permute(1, 0, 2, 4, 3)
        out = torch.nn.functional.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2])
        return self.proj(out.permute(0, 1, 3, 2).reshape(B, C, H, W))


threads, reps = int(sys.argv[1]), int(sys.argv[2])
mode = sys.argv[3] if len(sys.argv) > 3 else "module"
if mode == "sdpa" and not hasattr(torch.nn.functional, "scaled_dot_product_attention"):
    sys.exit(2)
torch.set_num_threads(threads)
for line in sys.stdin:
    B, C, heads, H, W = map(int, line.split())
    torch.manual_seed(0)
    m = SdpaAttention(C, heads) if mode == "sdpa" else MultiHeadAttention_torch(C, heads)
    x = torch.randn(B, C, H, W)
    # calls of tens of microseconds need hundreds of repetitions to reach their warm best (as einc's)
    n = reps if H * W < 2048 else min(reps, 2)
    n = 40 * reps if H * W <= 64 else n

    def fwd():
        with torch.no_grad():
            m(x)

    def fwd_bwd():
        m.zero_grad()
        m(x).sum().backward()

    print(B, C, heads, H, W, f"{best(fwd, n):.1f}", f"{best(fwd_bwd, n):.1f}", flush=True)
