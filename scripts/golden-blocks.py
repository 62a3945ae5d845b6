#!/usr/bin/python3
"""Reference numbers for zerograd's batch norm and residual blocks, computed by PyTorch itself.

Writes src/nn/blocks.fixture.json, which src/nn/blocks.test.ts compares zerograd against
(<= 1e-5 relative, in float32). Run once, by hand, when a case is added (the output is committed):

    /usr/bin/python3 scripts/golden-blocks.py      # Debian: apt-get install python3-torch

Each case is a small network in PyTorch's own modules, with every tensor of its state_dict()
(parameters and buffers, under the names zerograd gives them too) set from a seeded generator:
non-default scales, shifts and running statistics, so that a formula that ignores one of them, or
updates the running variance with the biased variance, gives other numbers. One training step
(forward in train() mode, backward of sum(y * r) for a random r) gives the outputs, the gradients
of the input and of every parameter, and the buffers after the step; then an eval() forward (and
backward) on a second input uses the updated running statistics.
The computation is in float64, so the fixture is exact to far below float32's precision.
"""
import json
import os

import torch
from torch import nn

torch.manual_seed(16)
DTYPE = torch.float64


class Residual(nn.Module):
    """zerograd's Residual: y = body(x) + shortcut(x), the shortcut the identity when None."""

    def __init__(self, body, shortcut=None):
        super().__init__()
        self.body = body
        self.shortcut = shortcut

    def forward(self, x):
        return self.body(x) + (x if self.shortcut is None else self.shortcut(x))


def conv(cin, cout, k, stride=1):
    return nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False)


def basic_block(cin, cout, stride):
    """ResNet's basic block: conv-bn-relu-conv-bn plus the shortcut, then ReLU."""
    body = nn.Sequential(conv(cin, cout, 3, stride), nn.BatchNorm2d(cout), nn.ReLU(), conv(cout, cout, 3), nn.BatchNorm2d(cout))
    shortcut = None if stride == 1 and cin == cout else nn.Sequential(conv(cin, cout, 1, stride), nn.BatchNorm2d(cout))
    return nn.Sequential(Residual(body, shortcut), nn.ReLU())


# name -> (module, input shape, zerograd spec the test builds)
CASES = {
    'batchnorm1d': (nn.Sequential(nn.BatchNorm1d(5)), [6, 5],
                    {'type': 'Sequential', 'layers': [{'type': 'BatchNorm1d', 'numFeatures': 5}]}),
    'batchnorm2d': (nn.Sequential(nn.BatchNorm2d(3, eps=1e-3, momentum=0.2)), [4, 3, 5, 5],
                    {'type': 'Sequential', 'layers': [{'type': 'BatchNorm2d', 'numFeatures': 3, 'eps': 1e-3, 'momentum': 0.2}]}),
    'residual': (basic_block(4, 4, 1), [2, 4, 6, 6], None),
    'residual-downsample': (basic_block(4, 6, 2), [2, 4, 7, 7], None),
}


def flat(t):
    return [float('%.10g' % v) for v in t.detach().reshape(-1).tolist()]  # far below float32's precision


def state(module):
    return {k: {'shape': list(v.shape), 'data': flat(v.to(DTYPE))} for k, v in module.state_dict().items()}


def case(module, shape):
    module = module.to(DTYPE)
    with torch.no_grad():
        for name, t in module.state_dict().items():
            if name.endswith('num_batches_tracked'):
                continue
            if name.endswith('running_var'):
                t.copy_(torch.rand(t.shape, dtype=DTYPE) + 0.5)  # positive
            elif name.endswith('weight') and t.dim() == 1:
                t.copy_(torch.rand(t.shape, dtype=DTYPE) + 0.5)  # batch norm's scale γ
            else:
                t.copy_(torch.randn(t.shape, dtype=DTYPE) * (0.3 if t.dim() == 4 else 0.5))
    before = state(module)
    x = (torch.randn(shape, dtype=DTYPE) * 1.5 + 0.7).requires_grad_(True)
    module.train()
    y = module(x)
    r = torch.rand(y.shape, dtype=DTYPE) * 2 - 1
    (y * r).sum().backward()
    after = state(module)
    grads = {n: flat(p.grad) for n, p in module.named_parameters()}
    x2 = (torch.randn(shape, dtype=DTYPE) + 0.3).requires_grad_(True)
    module.eval()
    y2 = module(x2)
    r2 = torch.rand(y2.shape, dtype=DTYPE) * 2 - 1
    (y2 * r2).sum().backward()
    return {
        'inputShape': list(shape), 'outputShape': list(y.shape),
        'state': before, 'x': flat(x), 'r': flat(r),
        'y': flat(y), 'dx': flat(x.grad),
        'grads': grads,
        'stateAfter': after,
        'eval': {'x': flat(x2), 'r': flat(r2), 'y': flat(y2), 'dx': flat(x2.grad)},
    }


fixture = {'torch': torch.__version__}
for name, (module, shape, spec) in CASES.items():
    fixture[name] = case(module, shape)
    if spec is not None:
        fixture[name]['spec'] = spec
path = os.path.join(os.path.dirname(__file__), '..', 'src', 'nn', 'blocks.fixture.json')
with open(path, 'w') as f:
    json.dump(fixture, f)
    f.write('\n')
print(f'wrote {os.path.normpath(path)}')
