#!/usr/bin/python3
"""zerograd's tabular MLPs against scikit-learn's, on the same rows, with the same preprocessing.

For each data set and each of five seeds, `zerograd tabular train --seed S --json` splits the rows,
fits, and reports its test metric, its fit time and the test rows it held out; scikit-learn then fits
the same pipeline on the same training rows:
  numeric columns:      SimpleImputer(median) -> StandardScaler
  categorical columns:  SimpleImputer(constant 'missing') -> OneHotEncoder(handle_unknown='ignore')
  regression:           TransformedTargetRegressor(MLPRegressor, StandardScaler)   (zerograd standardizes too)
with scikit-learn's defaults on both sides (hidden (100,), relu, adam, alpha 1e-4, 200 iterations).
Which columns are numeric and which categorical is taken from zerograd's answer, so neither side wins
by preprocessing. Fit times are each side's fit call alone (zerograd: preprocessing + training, as
the scikit-learn pipeline's fit), measured in the same run, one after the other, as wall-clock time
and as CPU time of all the process's threads (less sensitive to other work on a shared machine).

Run from the repository root after `npm run build`:
    /usr/bin/python3 scripts/tabular-compare.py [--seeds 5] [--solver adam] [--backend auto]
Needs Debian's python3-sklearn and python3-pandas.
"""
import argparse
import json
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

DATA = 'src/tabular/data'
# (name, file, target, task, columns dropped on both sides)
TASKS = [
    ('penguins: body mass (regression)', 'penguins.csv', 'body_mass_g', 'regression', []),
    ('penguins_raw: body mass (regression)', 'penguins_raw.csv', 'Body Mass (g)', 'regression',
     ['Sample Number', 'Individual ID', 'Date Egg', 'Comments']),
    ('penguins: sex (classification)', 'penguins.csv', 'sex', 'classification', []),
]


def zerograd(csv, target, task, drop, seed, solver, backend):
    cmd = ['node', 'bin/zerograd.js', 'tabular', 'train', '--csv', csv, '--target', target, '--task', task,
           '--seed', str(seed), '--solver', solver, '--out', '/tmp/zerograd-compare.zg', '--json', '--backend', backend]
    if drop:
        cmd += ['--drop', ','.join(drop)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def sklearn(csv, target, task, drop, seed, solver, z):
    df = pd.read_csv(csv)  # pandas' default missing-value strings are zerograd's too
    df = df.drop(columns=drop)
    test_index = np.array(z['testRows']) - 1  # zerograd numbers data rows from 1
    df = df[df[target].notna()]
    test = df.loc[df.index.isin(test_index)]
    train = df.loc[~df.index.isin(test_index)]
    assert len(test) == z['test'] and len(train) == z['train'], (len(test), z['test'], len(train), z['train'])
    for c in z['categorical']:
        df[c] = df[c].astype(object)
    pre = ColumnTransformer([
        ('numeric', make_pipeline(SimpleImputer(strategy='median'), StandardScaler()), z['numeric']),
        ('categorical', make_pipeline(SimpleImputer(strategy='constant', fill_value='missing'),
                                      OneHotEncoder(handle_unknown='ignore')), z['categorical']),
    ])
    X_train, X_test = train.drop(columns=[target]), test.drop(columns=[target])
    if task == 'regression':
        model = make_pipeline(pre, TransformedTargetRegressor(MLPRegressor(solver=solver, random_state=seed),
                                                              transformer=StandardScaler()))
        y_train, y_test = train[target].to_numpy(float), test[target].to_numpy(float)
    else:
        model = make_pipeline(pre, MLPClassifier(solver=solver, random_state=seed))
        y_train, y_test = train[target].astype(str), test[target].astype(str)
    start, cpu_start = time.perf_counter(), time.process_time()
    model.fit(X_train, y_train)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    pred = model.predict(X_test)
    if task == 'regression':
        return float(np.sqrt(np.mean((pred - y_test) ** 2))), seconds, cpu
    return float(np.mean(pred == y_test)), seconds, cpu


def spread(values):
    return f'{statistics.mean(values):.4g} ± {statistics.stdev(values):.2g}' if len(values) > 1 else f'{values[0]:.4g}'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--seeds', type=int, default=5)
    ap.add_argument('--solver', default='adam', choices=['adam', 'sgd', 'lbfgs'])
    ap.add_argument('--backend', default='auto', choices=['auto', 'wasm', 'reference'])
    a = ap.parse_args()
    warnings.filterwarnings('ignore', category=ConvergenceWarning)  # both sides stop at 200 iterations alike
    rows = []
    for name, file, target, task, drop in TASKS:
        z_metric, s_metric, z_time, s_time, z_cpu, s_cpu = [], [], [], [], [], []
        for seed in range(1, a.seeds + 1):
            z = zerograd(f'{DATA}/{file}', target, task, drop, seed, a.solver, a.backend)
            m, t, cpu = sklearn(f'{DATA}/{file}', target, task, drop, seed, a.solver, z)
            z_metric.append(z['metrics']['rmse' if task == 'regression' else 'accuracy'])
            z_time.append(z['fitSeconds'])
            s_metric.append(m)
            s_time.append(t)
            z_cpu.append(z['fitCpuSeconds'])
            s_cpu.append(cpu)
            print(f'{name} seed {seed}: zerograd {z_metric[-1]:.4g} in {z_time[-1]:.2f}s (CPU {z_cpu[-1]:.2f}s, {z["backend"]}), '
                  f'scikit-learn {m:.4g} in {t:.2f}s (CPU {cpu:.2f}s)', file=sys.stderr)
        metric = 'RMSE (g)' if task == 'regression' else 'accuracy'
        # Times as medians: on a shared machine a few runs are slowed by other work, and a mean follows them.
        med = statistics.median
        rows.append((name, metric, spread(z_metric), spread(s_metric), f'{med(z_time):.2f} / {med(z_cpu):.2f}',
                     f'{med(s_time):.2f} / {med(s_cpu):.2f}', f'{med(z_time) / med(s_time):.2f}', f'{med(z_cpu) / med(s_cpu):.2f}'))
    print(f'\nsolver {a.solver}, {a.seeds} seeded splits (test 20%), scikit-learn defaults on both sides; metrics as mean ± standard '
          'deviation, fit times as the median wall / CPU seconds\n')
    print('| data set | metric | zerograd | scikit-learn | fit s, zerograd | fit s, scikit-learn | wall-time ratio | CPU-time ratio |')
    print('|---|---|---|---|---|---|---|---|')
    for r in rows:
        print('| ' + ' | '.join(r) + ' |')


if __name__ == '__main__':
    main()
