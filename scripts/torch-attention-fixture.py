#!/usr/bin/python3
"""PyTorch as a second reference for multi-head attention: writes test/fixtures/torch/attention.json.

Regenerate (Debian's PyTorch, CPU):
    /usr/bin/python3 scripts/torch-attention-fixture.py
test/attention-torch.test.ts reads the file; the fixture is committed, so the tests never need PyTorch.

Each case is seeded. q, k, v and dout are drawn in float32 and written with 9 significant digits (which round-trips
float32 exactly); PyTorch then computes in float64 from those very values: scores = scale * q k^T per head, future
keys set to -inf when causal, F.softmax, times v; lse is torch.logsumexp of the masked scores; dq, dk, dv are
autograd's gradients of sum(out * dout). Layout as in Descent: [B, T, C] rows with C = H * D, head h owning
columns h*D .. h*D+D-1; lse is [B, H, T].
"""
import json
import math
import os

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'torch')

CASES = [
    dict(B=1, T=1, H=1, D=1, causal=True),
    dict(B=2, T=7, H=3, D=3, causal=True),
    dict(B=2, T=7, H=3, D=3, causal=False),
    dict(B=1, T=9, H=2, D=16, causal=True, scale=0.5),
    dict(B=2, T=13, H=4, D=6, causal=False),
    dict(B=1, T=33, H=1, D=24, causal=True),
]


def f32(t):
    return [float('%.9g' % v) for v in t.flatten().tolist()]


def f64(t):
    return [float('%.12g' % v) for v in t.flatten().tolist()]


def attention(q, k, v, c):
    """q, k, v [B, T, C] -> out [B, T, C], lse [B, H, T]."""
    B, T, H, D = c['B'], c['T'], c['H'], c['D']
    scale = c.get('scale', 1 / math.sqrt(D))
    heads = lambda x: x.view(B, T, H, D).transpose(1, 2)  # [B, H, T, D]
    s = scale * heads(q) @ heads(k).transpose(-1, -2)
    if c['causal']:
        future = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
        s = s.masked_fill(future, float('-inf'))
    out = F.softmax(s, dim=-1) @ heads(v)
    return out.transpose(1, 2).reshape(B, T, H * D), torch.logsumexp(s, dim=-1)


def case(seed, c):
    gen = torch.Generator().manual_seed(seed)
    C = c['H'] * c['D']
    shape = (c['B'], c['T'], C)
    draw = lambda: torch.randn(shape, generator=gen, dtype=torch.float32).double()
    q, k, v, dout = (draw() for _ in range(4))
    for t in (q, k, v):
        t.requires_grad_(True)
    out, lse = attention(q, k, v, c)
    (out * dout).sum().backward()
    name = 'B{B} T{T} H{H} D{D}'.format(**c) + (' causal' if c['causal'] else '')
    doc = dict(name=name, **c, q=f32(q), k=f32(k), v=f32(v), dout=f32(dout))
    doc.update(out=f64(out.detach()), lse=f64(lse.detach()), dq=f64(q.grad), dk=f64(k.grad), dv=f64(v.grad))
    return doc


def main():
    os.makedirs(OUT, exist_ok=True)
    docs = [case(1000 + i, c) for i, c in enumerate(CASES)]
    with open(os.path.join(OUT, 'attention.json'), 'w') as f:
        json.dump(dict(generator='scripts/torch-attention-fixture.py', torch=torch.__version__, cases=docs), f, separators=(',', ':'))


if __name__ == '__main__':
    main()
