"""The notebook's raw-PyTorch multi-head self-attention module (shared/reference), used by the
golden generator (tests/golden/gen_attention.py) and the benchmark (bench/attention_torch.py)."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class MultiHeadAttention_torch(nn.Module):
    """Multi-head self-attention using torch.bmm (the notebook's raw module)."""

    def __init__(self, channels, num_heads=8):
        super().__init__()
        assert channels % num_heads == 0
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
