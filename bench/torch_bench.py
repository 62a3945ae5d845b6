"""The zerograd benchmark workloads (../shared/WORKLOADS.md) on PyTorch, for `npm run bench`.

Run by src/bench/main.ts only when `python3 -c "import torch"` works. Prints one JSON list of
measurements in the same format as the JavaScript ones.
    python3 bench/torch_bench.py MNIST_DIR WORKLOAD SECONDS [THREADS]
THREADS (default: PyTorch's own choice) goes to torch.set_num_threads; the caller also sets
OMP_NUM_THREADS and OPENBLAS_NUM_THREADS, so the BLAS under it uses no more threads either.
"""
import json
import resource
import struct
import sys
import time

import torch
import torch.nn as nn


def idx(path):
    with open(path, "rb") as f:
        data = f.read()
    rank = data[3]
    shape = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    return torch.frombuffer(bytearray(data[4 + 4 * rank:]), dtype=torch.uint8).reshape(shape)


def peak_rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


STEP_WARMUP_SECONDS = 2.0  # as STEP_WARMUP_SECONDS in src/bench/common.ts


def timed(batches, size, seconds, step):
    warm, w = time.perf_counter(), 0
    while True:  # untimed steps first (at least one), as timeBatches does
        step(w % batches)
        w += 1
        if time.perf_counter() - warm >= STEP_WARMUP_SECONDS:
            break
    start, samples = time.perf_counter(), 0
    for b in range(batches):
        step(b)
        samples += size(b)
        if time.perf_counter() - start > seconds:
            break
    return samples / (time.perf_counter() - start), samples


def best_rate(step, seconds, warmup=1.0, window=0.5):
    """Calls per second: the best window after a warm-up, as bestRate in src/bench/common.ts."""
    warm = time.perf_counter()
    while True:
        step()
        if time.perf_counter() - warm >= warmup:
            break
    start, best = time.perf_counter(), 0.0
    while time.perf_counter() - start < seconds:
        t0, calls = time.perf_counter(), 0
        while True:
            step()
            calls += 1
            if time.perf_counter() - t0 >= window:
                break
        best = max(best, calls / (time.perf_counter() - t0))
    return best


def main():
    mnist, workload, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    if len(sys.argv) > 4:
        torch.set_num_threads(int(sys.argv[4]))
    threads = torch.get_num_threads()
    torch.manual_seed(1)
    lib = f"PyTorch {torch.__version__.split('+')[0]}"
    if workload == "W4":
        out = []
        for name, m, k, n in [("1024×1024×1024", 1024, 1024, 1024), ("W1 dense 64×784·784×128", 64, 784, 128),
                              ("W2 dense 100×4320·4320×100", 100, 4320, 100), ("W2 conv 30×25·25×576", 30, 25, 576)]:
            a, b = torch.randn(m, k), torch.randn(k, n)
            rate = best_rate(lambda: a @ b, min(seconds, 3))
            out.append({"lib": lib, "workload": f"W4 {name}", "value": rate * 2 * m * n * k / 1e9, "unit": "GFLOP/s", "threads": threads, "peakRss": peak_rss()})
        print(json.dumps(out))
        return
    train_x = idx(f"{mnist}/train-images-idx3-ubyte")
    train_y = idx(f"{mnist}/train-labels-idx1-ubyte").long()
    test_x = idx(f"{mnist}/t10k-images-idx3-ubyte")
    cnn = nn.Sequential(nn.Conv2d(1, 30, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4320, 100), nn.ReLU(), nn.Linear(100, 10))
    if workload == "W3":
        cnn.eval()

        def infer(b):
            with torch.no_grad():
                x = test_x[b * 1000:(b + 1) * 1000].float().div_(255).unsqueeze(1)
                cnn(x).softmax(1)
        rate, samples = timed(10, lambda b: 1000, seconds, infer)
        print(json.dumps([{"lib": lib, "workload": "W3", "value": rate, "unit": "samples/s", "samples": samples, "threads": threads, "peakRss": peak_rss()}]))
        return
    w1 = workload == "W1"
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10)) if w1 else cnn
    opt = torch.optim.SGD(net.parameters(), lr=0.1) if w1 else torch.optim.Adam(net.parameters(), lr=0.001)
    bs = 64 if w1 else 100
    order = torch.randperm(60000)
    loss_fn = nn.CrossEntropyLoss()

    def step(b):
        i = order[b * bs:(b + 1) * bs]
        x = train_x[i].float().div_(255).unsqueeze(1)
        opt.zero_grad()
        loss = loss_fn(net(x), train_y[i])
        loss.backward()
        opt.step()
    batches = (60000 + bs - 1) // bs
    rate, samples = timed(batches, lambda b: min(bs, 60000 - b * bs), seconds, step)
    print(json.dumps([{"lib": lib, "workload": workload, "value": rate, "unit": "samples/s", "samples": samples, "threads": threads, "peakRss": peak_rss()}]))


if __name__ == "__main__":
    main()
