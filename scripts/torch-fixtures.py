#!/usr/bin/python3
"""PyTorch as a second reference for the convolution and pooling kernels: writes test/fixtures/torch/*.json.

Regenerate (Debian's PyTorch, CPU):
    apt-get install -y python3-torch python3-numpy
    /usr/bin/python3 scripts/torch-fixtures.py
test/torch-fixtures.test.ts reads the files; the fixtures are committed, so the tests never need PyTorch.

Each case is seeded. Inputs (x, w, bias, dy) are drawn in float32 and written with 9 significant digits, which
round-trips float32 exactly; PyTorch then computes in float64 from those very values, so the outputs carry no
float32 rounding (written with 12 significant digits). Images are NHWC in the files (PyTorch's NCHW transposed),
weights stay in PyTorch's Conv2d layout [OC, C, KH, KW]. Backward passes are autograd's gradients of
sum(y * dy). Options are written in Descent's vocabulary (padding 'valid' | 'same' | numbers, countIncludePad),
and `pads` [top, bottom, left, right] is the padding they resolve to: asymmetric padding, which PyTorch's
operators do not take, is applied with F.pad (zeros for convolution and average pooling, -inf for max pooling).
"""
import json
import math
import os

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'torch')


def pair(v):
    return list(v) if isinstance(v, (list, tuple)) else [v, v]


def same_pad(size, k, stride, dilation):
    """'same' as TensorFlow and PyTorch define it: out = ceil(in / stride), the odd pixel of padding at the end."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + (k - 1) * dilation + 1 - size, 0)
    return [total // 2, total - total // 2]


def resolve(padding, H, W, k, stride, dilation=(1, 1)):
    if padding == 'valid':
        return [0, 0, 0, 0]
    if padding == 'same':
        return same_pad(H, k[0], stride[0], dilation[0]) + same_pad(W, k[1], stride[1], dilation[1])
    if isinstance(padding, int):
        return [padding] * 4
    if len(padding) == 2:
        return [padding[0], padding[0], padding[1], padding[1]]
    return list(padding)


def f32(gen, shape, ties=False):
    """Seeded float32 values as float64: normal, or (ties) drawn from {-1, 0, 1}."""
    if ties:
        return torch.randint(-1, 2, shape, generator=gen).to(torch.float32).double()
    return torch.randn(shape, generator=gen, dtype=torch.float32).double()


def nhwc(t):
    return t.permute(0, 2, 3, 1).contiguous()


def nchw_from(values_nhwc, shape_nchw):
    n, c, h, w = shape_nchw
    return values_nhwc.reshape(n, h, w, c).permute(0, 3, 1, 2).contiguous()


def inputs(t):
    return [float('%.9g' % v) for v in t.flatten().tolist()]


def outputs(t):
    return [float('%.12g' % v) for v in t.flatten().tolist()]


def pad_input(x, pads, value):
    top, bottom, left, right = pads
    return F.pad(x, (left, right, top, bottom), value=value) if any(pads) else x


def conv_case(name, seed, N, C, H, W, OC, k, stride=1, padding='valid', dilation=1):
    gen = torch.Generator().manual_seed(seed)
    k, stride, dilation = pair(k), pair(stride), pair(dilation)
    pads = resolve(padding, H, W, k, stride, dilation)
    x = f32(gen, (N, C, H, W)).requires_grad_()
    w = (f32(gen, (OC, C, k[0], k[1])) * 0.5).requires_grad_()
    b = f32(gen, (OC,)).requires_grad_()
    y = F.conv2d(pad_input(x, pads, 0.0), w, b, stride=stride, dilation=dilation)
    dy = f32(gen, tuple(y.shape))
    (y * dy).sum().backward()
    return {
        'name': name, 'input': [N, H, W, C], 'kernel': k, 'OC': OC, 'stride': stride, 'padding': padding,
        'dilation': dilation, 'pads': pads, 'OH': y.shape[2], 'OW': y.shape[3],
        'x': inputs(nhwc(x.detach())), 'w': inputs(w.detach()), 'bias': inputs(b.detach()), 'dy': inputs(nhwc(dy)),
        'y': outputs(nhwc(y.detach())), 'dx': outputs(nhwc(x.grad)), 'dw': outputs(w.grad), 'db': outputs(b.grad),
    }


def pool_case(name, seed, op, N, C, H, W, k, stride=None, padding='valid', count_include_pad=False, ties=False):
    gen = torch.Generator().manual_seed(seed)
    k = pair(k)
    stride = pair(stride) if stride is not None else k
    pads = resolve(padding, H, W, k, stride)
    x = f32(gen, (N, C, H, W), ties).requires_grad_()
    top, bottom, left, right = pads
    symmetric = top == bottom and left == right
    if op == 'max':
        if symmetric and top <= k[0] // 2 and left <= k[1] // 2:
            y = F.max_pool2d(x, k, stride, padding=(top, left))
        else:
            y = F.max_pool2d(pad_input(x, pads, -math.inf), k, stride)
    elif count_include_pad or not any(pads):
        y = F.avg_pool2d(pad_input(x, pads, 0.0), k, stride, count_include_pad=True)
    elif symmetric and top <= k[0] // 2 and left <= k[1] // 2:
        y = F.avg_pool2d(x, k, stride, padding=(top, left), count_include_pad=False)
    else:
        # TensorFlow's 'same' average: the window sum over the count of in-image positions, both from avg_pool2d.
        ones = torch.ones_like(x)
        y = F.avg_pool2d(pad_input(x, pads, 0.0), k, stride) / F.avg_pool2d(pad_input(ones, pads, 0.0), k, stride)
    dy = f32(gen, tuple(y.shape))
    (y * dy).sum().backward()
    case = {'name': name, 'op': op, 'input': [N, H, W, C], 'kernel': k, 'stride': stride, 'padding': padding, 'pads': pads}
    if op == 'avg':
        case['countIncludePad'] = count_include_pad
    return {**case, 'OH': y.shape[2], 'OW': y.shape[3], 'x': inputs(nhwc(x.detach())), 'dy': inputs(nhwc(dy)),
            'y': outputs(nhwc(y.detach())), 'dx': outputs(nhwc(x.grad))}


def global_case(name, seed, N, C, H, W):
    gen = torch.Generator().manual_seed(seed)
    x = f32(gen, (N, C, H, W)).requires_grad_()
    y = F.adaptive_avg_pool2d(x, 1).reshape(N, C)
    dy = f32(gen, (N, C))
    (y * dy).sum().backward()
    return {'name': name, 'op': 'global', 'input': [N, H, W, C], 'x': inputs(nhwc(x.detach())), 'dy': inputs(dy),
            'y': outputs(y.detach()), 'dx': outputs(nhwc(x.grad))}


CONV = [
    conv_case('3x3 valid', 1, N=2, C=3, H=5, W=7, OC=4, k=3),
    conv_case("3x3 stride 2 'same' on 7x6 (asymmetric columns)", 2, N=2, C=3, H=7, W=6, OC=5, k=3, stride=2, padding='same'),
    conv_case("2x2 'same' (pad at the bottom and right)", 3, N=1, C=2, H=5, W=5, OC=3, k=2, padding='same'),
    conv_case('3x3 dilation 2, padding 2', 4, N=1, C=3, H=9, W=8, OC=2, k=3, padding=2, dilation=2),
    conv_case('2x3 stride [2, 1], padding [1, 0]', 5, N=2, C=5, H=6, W=5, OC=3, k=[2, 3], stride=[2, 1], padding=[1, 0]),
    conv_case('1x1 filter', 6, N=2, C=5, H=3, W=4, OC=7, k=1),
    conv_case("3x3 'same' on a 1x1 image", 7, N=3, C=2, H=1, W=1, OC=2, k=3, padding='same'),
]

POOL = [
    pool_case('max 2x2 valid on 5x7', 11, 'max', N=2, C=3, H=5, W=7, k=2),
    pool_case("max 3x3 stride 2 'same' on 7x6", 12, 'max', N=2, C=3, H=7, W=6, k=3, stride=2, padding='same'),
    pool_case("max 2x2 'same' on 5x5 (pad bottom and right)", 13, 'max', N=1, C=2, H=5, W=5, k=2, padding='same'),
    pool_case('max 2x3 stride 1, padding [1, 1]', 14, 'max', N=1, C=5, H=4, W=6, k=[2, 3], stride=1, padding=[1, 1]),
    pool_case("max 3x3 stride 2 'same' on 7x7, ties", 15, 'max', N=2, C=3, H=7, W=7, k=3, stride=2, padding='same', ties=True),
    pool_case('max 2x2 stride 1, ties', 16, 'max', N=1, C=2, H=4, W=5, k=2, stride=1, ties=True),
    pool_case("avg 3x3 stride 2 'same' on 7x6", 21, 'avg', N=2, C=3, H=7, W=6, k=3, stride=2, padding='same'),
    pool_case("avg 3x3 stride 2 'same' on 7x6, countIncludePad", 21, 'avg', N=2, C=3, H=7, W=6, k=3, stride=2,
              padding='same', count_include_pad=True),
    pool_case('avg 3x3 stride 2 padding 1 on 6x5', 22, 'avg', N=1, C=4, H=6, W=5, k=3, stride=2, padding=1),
    pool_case('avg 3x3 stride 2 padding 1 on 6x5, countIncludePad', 22, 'avg', N=1, C=4, H=6, W=5, k=3, stride=2,
              padding=1, count_include_pad=True),
    pool_case('avg 2x2 valid on 5x7', 23, 'avg', N=2, C=3, H=5, W=7, k=2),
    pool_case('avg 3x2 stride [1, 2], padding [0, 2, 1, 0]', 24, 'avg', N=1, C=3, H=4, W=5, k=[3, 2], stride=[1, 2],
              padding=[0, 2, 1, 0]),
    global_case('global average of 5x7', 31, N=2, C=3, H=5, W=7),
    global_case('global average of 1x1', 32, N=3, C=2, H=1, W=1),
]


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, cases in (('conv2d', CONV), ('pool2d', POOL)):
        doc = {'generator': 'scripts/torch-fixtures.py', 'torch': torch.__version__, 'cases': cases}
        path = os.path.join(OUT, name + '.json')
        with open(path, 'w') as f:
            json.dump(doc, f, separators=(',', ':'))
            f.write('\n')
        print(f'{path}: {len(cases)} cases, {os.path.getsize(path)} bytes')


if __name__ == '__main__':
    main()
