// zerograd ⇄ PyTorch, checked in PyTorch itself (Debian's /usr/bin/python3 with python3-torch):
// `export --pytorch` folders loaded through their own model.py reproduce zerograd's outputs, and
// weights PyTorch initialized and wrote are imported (`import --safetensors --arch`) into a zerograd
// model that reproduces PyTorch's, both from a seeded nn.Sequential written by hand and from an
// export trained further in PyTorch and written by its model.py's save(). All the Python work runs in one process: importing torch alone
// takes seconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../io/node.js';
import { useBackend } from '../backends/wasm/node.js';
import { tempDir } from '../testing/helpers.js';
import { runCli } from '../testing/cli.js';
import { findPython, requirePython, runPython } from '../testing/python.js';
import { assertSameOutputs, exportableModels, outputs, readFloat32, testImages, writeFloat32 } from '../testing/exports.js';

const py = findPython(['torch']);
const dir = tempDir('export-pytorch');
const IMAGES = 1000;
// zerograd's side on the fast backend, one thread (the machine is shared): the CNN on 1,000 images
// takes a second there, ten on the reference backend. Both backends agree (src/backends/parity.test.ts).
await useBackend({ backend: 'wasm', threads: 1 });

/** Architectures PyTorch builds for the import direction: the flags, and the same nn.Sequential in PyTorch. */
const IMPORTS: Record<string, { flags: string[]; torch: string }> = {
  mlp: {
    flags: ['--arch', 'mlp', '--hidden', '64', '--dropout', '0'],
    torch: 'nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))',
  },
  cnn: {
    flags: ['--arch', 'cnn', '--kernels', '8', '--kernel-size', '5', '--hidden', '32', '--dropout', '0'],
    torch: 'nn.Sequential(nn.Conv2d(1, 8, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 12 * 12, 32), nn.ReLU(), nn.Linear(32, 10))',
  },
};

// argv[1]: a JSON job. Writes each export's logits to DIR/torch-logits.f32, and for each import
// the state_dict of a seeded nn.Sequential as safetensors (by hand: no safetensors module) and its
// logits; prints what each model.py's __main__ printed.
const SCRIPT = String.raw`
import contextlib, importlib.util, io, json, os, runpy, struct, sys
import torch
from torch import nn
torch.set_num_threads(1)
job = json.loads(sys.argv[1])

def read_f32(path):
    return torch.frombuffer(bytearray(open(path, "rb").read()), dtype=torch.float32)

def write_f32(path, t):
    values = t.detach().float().flatten().tolist()
    with open(path, "wb") as f:
        f.write(struct.pack("<%df" % len(values), *values))

def write_safetensors(path, state):
    header, data = {}, b""
    for name, t in state.items():
        values = t.detach().float().contiguous().flatten().tolist()
        blob = struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [len(data), len(data) + len(blob)]}
        data += blob
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)

x = read_f32(job["images"]).reshape(-1, 1, 28, 28)
printed = {}
for name, d in job["exports"].items():
    path = os.path.join(d, "model.py")
    spec = importlib.util.spec_from_file_location("export_" + name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    net = module.load()
    assert not net.training, name + ": load() did not return the model in eval mode"
    with torch.no_grad():
        write_f32(os.path.join(d, "torch-logits.f32"), net(x))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        runpy.run_path(path, run_name="__main__")
    printed[name] = out.getvalue()
    if name == job["roundTrip"]:
        # Training continues in PyTorch (one SGD step), and save() writes the weights for zerograd import.
        net.train()
        opt = torch.optim.SGD(net.parameters(), lr=0.5)
        nn.functional.cross_entropy(net(x[:64]), torch.arange(64) % 10).backward()
        opt.step()
        net.eval()
        with torch.no_grad():
            write_f32(os.path.join(d, "trained.logits.f32"), net(x))
        module.save(net, os.path.join(d, "trained.safetensors"))

for name, m in job["imports"].items():
    torch.manual_seed(m["seed"])
    net = eval(m["torch"]).eval()
    write_safetensors(m["weights"], net.state_dict())
    with torch.no_grad():
        write_f32(m["weights"] + ".logits.f32", net(x))

print(json.dumps(printed))
`;

test('PyTorch runs the exports of MLP, DNN, CNN and every layer as zerograd does; zerograd imports what PyTorch trained and wrote', { skip: py.skip, timeout: 300_000 }, async () => {
  requirePython(py);
  const files = exportableModels(dir);
  const { x, raw } = testImages(IMAGES);
  const images = join(dir, 'images.f32');
  writeFloat32(images, raw);

  const exports: Record<string, string> = {};
  await Promise.all(Object.entries(files).map(async ([name, file]) => {
    exports[name] = join(dir, `${name}-pytorch`);
    const r = await runCli(['export', '--model', file, '--pytorch', exports[name], '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).pytorch, exports[name]);
  }));
  const imports = Object.fromEntries(Object.entries(IMPORTS).map(([name, a], i) => [name, { torch: a.torch, seed: 10 + i, weights: join(dir, `torch-${name}.safetensors`) }]));

  const printed = JSON.parse(runPython(py, SCRIPT, [JSON.stringify({ images, exports, imports, roundTrip: 'every' })], 240_000)) as Record<string, string>;

  for (const [name, file] of Object.entries(files)) {
    const ours = outputs(loadModel(file).model, x);
    const theirs = readFloat32(readFileSync(join(exports[name], 'torch-logits.f32')));
    assertSameOutputs(theirs, ours, 10, `export ${name}: PyTorch vs zerograd`);
    assert.match(printed[name], /^Sequential\(\n {2}\(0\): /, `${name}: model.py's main prints the model`);
  }
  assert.match(printed.every, /\(3\): Sequential\(\n {4}\(0\): Conv2d\(4, 6, kernel_size=\(3, 3\), stride=\(1, 1\), padding=\(1, 1\)\)/);

  // Trained further in PyTorch, saved by model.py's save(), imported with no --arch (the file says it).
  const back = join(dir, 'every-trained.zg');
  const r = await runCli(['import', '--safetensors', join(exports.every, 'trained.safetensors'), '--out', back]);
  assert.equal(r.code, 0, r.stderr);
  const trained = readFloat32(readFileSync(join(exports.every, 'trained.logits.f32')));
  assertSameOutputs(outputs(loadModel(back).model, x), trained, 10, 'every, trained in PyTorch and imported: zerograd vs PyTorch');
  assert.throws(() => assertSameOutputs(trained, outputs(loadModel(files.every).model, x), 10, 'before and after'), /max abs difference/, 'the PyTorch step changed the weights');

  await Promise.all(Object.entries(IMPORTS).map(async ([name, a]) => {
    const out = join(dir, `imported-${name}.zg`);
    const r = await runCli(['import', '--safetensors', imports[name].weights, ...a.flags, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const theirs = readFloat32(readFileSync(`${imports[name].weights}.logits.f32`));
    assertSameOutputs(outputs(loadModel(out).model, x), theirs, 10, `import ${name}: zerograd vs PyTorch`);
  }));
  assert.ok(existsSync(join(exports.cnn, 'model.safetensors')));
});
