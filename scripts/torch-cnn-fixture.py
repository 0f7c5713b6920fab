#!/usr/bin/python3
"""One SGD step of a small CNN in PyTorch: writes test/fixtures/torch-models/cnn-step.json.

Regenerate (Debian's PyTorch, CPU):
    apt-get install -y python3-torch python3-numpy
    /usr/bin/python3 scripts/torch-cnn-fixture.py
test/cnn-torch.test.ts loads the parameters into Descent by their torch.nn.Sequential names, takes the same step
on the GPU and compares; the fixture is committed, so the test never needs PyTorch.

The model, torch.nn.Sequential(Conv2d(1, 4, 3, padding='same'), ReLU(), MaxPool2d(2), Conv2d(4, 8, 3),
BatchNorm2d(8), ReLU(), MaxPool2d(4), Flatten(), Linear(8, 10)), is Descent's
sequential([12, 12, 1], [conv2d(4, 3, { padding: 'same', activation: 'relu' }), maxPool2d(2), conv2d(8, 3),
batchNorm(), relu(), maxPool2d(4), flatten(), dense(10)]) module for module, so the names agree; the image is
1x1 before the flatten, so both flatten orders (NCHW, NHWC) agree too. Parameters and inputs are drawn in
float32 and written with 9 significant digits (exact round trip); the step is computed in float64 from those
values. Images are NHWC in the file; weights keep PyTorch's layouts. BatchNorm's num_batches_tracked is left out.
"""
import json
import os

import torch
import torch.nn as nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'torch-models')
LR = 0.1
B = 4


def floats(t, digits):
    return [float(f'{v:.{digits}g}') for v in t.detach().reshape(-1).tolist()]


def main():
    torch.manual_seed(11)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding='same'), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(4),
        nn.Flatten(), nn.Linear(8, 10),
    )
    with torch.no_grad():
        model[4].weight.uniform_(0.5, 1.5)  # gains and shifts away from 1 and 0, so a swap would show
        model[4].bias.uniform_(-0.5, 0.5)
    x = torch.rand(B, 12, 12, 1) * 2 - 1  # NHWC, float32
    y = torch.randint(0, 10, (B,))
    params = {k: v.clone() for k, v in model.state_dict().items() if not k.endswith('num_batches_tracked')}
    model = model.double()
    model.train()
    out = model(x.double().permute(0, 3, 1, 2))
    loss = nn.functional.cross_entropy(out, y)
    loss.backward()
    grads = {k: p.grad for k, p in model.named_parameters()}
    with torch.no_grad():
        for p in model.parameters():
            p -= LR * p.grad
    after = {k: v for k, v in model.state_dict().items() if not k.endswith('num_batches_tracked')}
    fixture = {
        'lr': LR,
        'batch': B,
        'x': floats(x, 9),
        'y': y.tolist(),
        'params': {k: {'shape': list(v.shape), 'data': floats(v, 9)} for k, v in params.items()},
        'loss': float(f'{loss.item():.12g}'),
        'grads': {k: floats(g, 12) for k, g in grads.items()},
        'after': {k: floats(v, 12) for k, v in after.items()},
    }
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, 'cnn-step.json'), 'w') as f:
        json.dump(fixture, f)
        f.write('\n')


if __name__ == '__main__':
    main()
