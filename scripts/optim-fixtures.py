#!/usr/bin/python3
"""Reference numbers for zerograd's optimizers, computed by PyTorch's own SGD, Adam and AdamW.

Writes src/optim/optim.fixture.json, which src/optim/optim.test.ts compares both zerograd
backends against. Run once, by hand, when a case is added (the output is committed):

    /usr/bin/python3 scripts/optim-fixtures.py      # Debian: apt-get install python3-torch

The computation is in float64, so the fixture is exact to far below zerograd's float32 tolerance.
The gradients change from step to step (and one is zero at the first step), so a rule that
mixes up steps, drops a running average or forgets bias correction gives different numbers.
"""
import json
import os

import torch

# One parameter of 7 elements: more than one 4-lane SIMD vector plus a scalar tail of 3,
# so the wasm kernel runs both its vector loop and its tail loop.
PARAM = [0.5, -1.25, 2.0, 0.0, -0.3, 1.7, -2.2]
GRADS = [
    [0.1, -0.4, 1.5, 0.0, -2.0, 0.05, 0.7],
    [-0.3, -0.2, 0.9, 0.6, -1.1, 0.4, -0.5],
    [0.25, 0.8, -1.2, 0.3, 0.2, -0.6, 1.3],
]

# name -> (PyTorch class, PyTorch options, zerograd class, zerograd options).
# zerograd's SGD weight decay is coupled (added to the gradient), as in torch.optim.SGD;
# zerograd's Adam weight decay is decoupled, as in torch.optim.AdamW.
CASES = {
    'sgd': (torch.optim.SGD, {'lr': 0.1}, 'SGD', {'lr': 0.1}),
    'sgd-momentum': (torch.optim.SGD, {'lr': 0.1, 'momentum': 0.9}, 'SGD', {'lr': 0.1, 'momentum': 0.9}),
    'sgd-momentum-weight-decay': (torch.optim.SGD, {'lr': 0.05, 'momentum': 0.8, 'weight_decay': 0.1},
                                  'SGD', {'lr': 0.05, 'momentum': 0.8, 'weightDecay': 0.1}),
    'sgd-weight-decay': (torch.optim.SGD, {'lr': 0.1, 'weight_decay': 0.2}, 'SGD', {'lr': 0.1, 'weightDecay': 0.2}),
    'adam': (torch.optim.Adam, {'lr': 0.01}, 'Adam', {'lr': 0.01}),
    'adam-betas-eps': (torch.optim.Adam, {'lr': 0.02, 'betas': (0.8, 0.95), 'eps': 1e-3},
                       'Adam', {'lr': 0.02, 'beta1': 0.8, 'beta2': 0.95, 'eps': 1e-3}),
    'adamw': (torch.optim.AdamW, {'lr': 0.01, 'weight_decay': 0.1}, 'Adam', {'lr': 0.01, 'weightDecay': 0.1}),
}


def run(cls, options):
    """The parameter after each of the three steps."""
    p = torch.nn.Parameter(torch.tensor(PARAM, dtype=torch.float64))
    opt = cls([p], **options)
    after = []
    for g in GRADS:
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        after.append(p.detach().tolist())
    return after


def main():
    cases = []
    for name, (cls, options, zg_class, zg_options) in CASES.items():
        cases.append({'name': name, 'torch': f'{cls.__name__} {options}', 'optimizer': zg_class,
                      'options': zg_options, 'after': run(cls, options)})
    fixture = {'generator': f'scripts/optim-fixtures.py, PyTorch {torch.__version__}, float64',
               'param': PARAM, 'grads': GRADS, 'cases': cases}
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'src', 'optim', 'optim.fixture.json')
    # One line per case: the file stays short enough to read.
    lines = [f' {json.dumps(k)}: {json.dumps(v)}' for k, v in fixture.items() if k != 'cases']
    lines.append(' "cases": [\n' + ',\n'.join(f'  {json.dumps(c)}' for c in cases) + '\n ]')
    with open(out, 'w') as f:
        f.write('{\n' + ',\n'.join(lines) + '\n}\n')
    print(f'{len(cases)} cases -> {os.path.relpath(out)}')


if __name__ == '__main__':
    main()
