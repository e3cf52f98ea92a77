#!/usr/bin/python3
"""PyTorch's side of bench_attention: the notebook's raw-PyTorch module on the same shapes.

Prints one line per configuration: "B C heads H W forward_us forward_backward_us" (best of N).
Run by build/bench_attention when /usr/bin/python3 has torch; usage: attention_torch.py THREADS REPS
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


threads, reps = int(sys.argv[1]), int(sys.argv[2])
torch.set_num_threads(threads)
for line in sys.stdin:
    B, C, heads, H, W = map(int, line.split())
    torch.manual_seed(0)
    m = MultiHeadAttention_torch(C, heads)
    x = torch.randn(B, C, H, W)

    def fwd():
        with torch.no_grad():
            m(x)

    def fwd_bwd():
        m.zero_grad()
        m(x).sum().backward()

    print(B, C, heads, H, W, f"{best(fwd, reps):.1f}", f"{best(fwd_bwd, reps):.1f}", flush=True)
