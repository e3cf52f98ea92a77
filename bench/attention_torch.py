#!/usr/bin/python3
"""PyTorch's side of bench_attention: the notebook's raw-PyTorch module on the same shapes.

Prints one line per configuration: "B C heads H W forward_us forward_backward_us" (best of N).
Run by build/bench_attention when /usr/bin/python3 has torch; usage: attention_torch.py THREADS REPS
"""
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class MultiHeadAttention_torch(nn.Module):
    def __init__(self, channels, num_heads=8):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = channels // num_heads
        self.scale = self.head_dim ** -0.5
        self.qkv = nn.Conv2d(channels, channels * 3, kernel_size=1)
        self.proj = nn.Conv2d(channels, channels, kernel_size=1)

    def forward(self, x):
        B, C, H, W = x.shape
        N = H * W
        qkv = self.qkv(x)
        qkv = qkv.view(B, 3, self.num_heads, self.head_dim, N)
        qkv = qkv.permute(1, 0, 2, 4, 3).contiguous()
        q, k, v = qkv[0], qkv[1], qkv[2]
        bh = B * self.num_heads
        q = q.view(bh, N, self.head_dim)
        k = k.view(bh, N, self.head_dim)
        v = v.view(bh, N, self.head_dim)
        scores = torch.bmm(q, k.transpose(1, 2)) * self.scale
        attn = F.softmax(scores, dim=-1)
        out = torch.bmm(attn, v)
        out = out.view(B, self.num_heads, N, self.head_dim)
        out = out.permute(0, 1, 3, 2).contiguous().view(B, self.num_heads * self.head_dim, H, W)
        return self.proj(out)


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
