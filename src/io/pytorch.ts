// PyTorch export: a zerograd network written out as a small, readable model.py — the same
// nn.Sequential, layer by layer, and a load() that reads the safetensors weights beside it.
// Browser-safe (a spec in, a string out); the CLI writes the files.
//
// The names match because the structure does: layer i of zerograd's Sequential is layer i of
// PyTorch's, so state_dict() names ("1.weight", nested "2.0.bias") and layouts (Linear (OUT,IN),
// Conv2d (OC,IC,KH,KW)) are exactly those modelToSafetensors writes, and load_state_dict(strict=True)
// takes them with no renaming.
import type { LayerSpec } from '../nn/module.js';

/** How one layer type is written in PyTorch: its constructor call, from its spec. */
type PytorchLayer = (spec: LayerSpec, arg: SpecReader) => string;

/**
 * One entry per layer type zerograd has; a new layer (BatchNorm2d, …) is one more line here.
 * Each writes PyTorch's own keyword names, so model.py reads like the PyTorch documentation.
 */
export const PYTORCH_LAYERS: Readonly<Record<string, PytorchLayer>> = {
  Linear: (_, a) => `nn.Linear(${a.int('inFeatures')}, ${a.int('outFeatures')}${a.bias()})`,
  Conv2d: (_, a) => `nn.Conv2d(${a.int('inChannels')}, ${a.int('outChannels')}, kernel_size=${a.int('kernelSize')}` +
    `, stride=${a.int('stride', 1)}, padding=${a.int('padding', 0)}${a.bias()})`,
  MaxPool2d: (_, a) => `nn.MaxPool2d(kernel_size=${a.int('kernelSize', 2)}, stride=${a.int('stride', a.int('kernelSize', 2))})`,
  AvgPool2d: (_, a) => `nn.AvgPool2d(kernel_size=${a.int('kernelSize', 2)}, stride=${a.int('stride', a.int('kernelSize', 2))})`,
  Flatten: () => 'nn.Flatten()', // PyTorch's default start_dim=1 is zerograd's: (N,C,H,W) -> (N,C·H·W)
  ReLU: () => 'nn.ReLU()',
  Sigmoid: () => 'nn.Sigmoid()',
  Tanh: () => 'nn.Tanh()',
  Softmax: () => 'nn.Softmax(dim=-1)', // zerograd's softmax runs over the last axis
  Dropout: (_, a) => `nn.Dropout(p=${a.probability('p', 0.5)})`,
  BatchNorm1d: (_, a) => `nn.BatchNorm1d(${a.int('numFeatures')}, eps=${a.positive('eps', 1e-5)}, momentum=${a.probability('momentum', 0.1, true)}${a.affine()})`,
  BatchNorm2d: (_, a) => `nn.BatchNorm2d(${a.int('numFeatures')}, eps=${a.positive('eps', 1e-5)}, momentum=${a.probability('momentum', 0.1, true)}${a.affine()})`,
  AdaptiveAvgPool2d: (_, a) => `nn.AdaptiveAvgPool2d(${a.one('outputSize')})`,
  // Written by layerCode (it nests a body and a shortcut); listed here so the table names every layer.
  Residual: () => { throw new Error('Residual is written by layerCode'); },
};

/** The Residual module model.py defines when a network has one: its names are zerograd's ("body.0.weight"). */
const RESIDUAL_CLASS = `class Residual(nn.Module):
    """A residual block: body(x) + shortcut(x), the shortcut being the identity when it is None."""

    def __init__(self, body, shortcut=None):
        super().__init__()
        self.body = body
        self.shortcut = shortcut

    def forward(self, x):
        return self.body(x) + (x if self.shortcut is None else self.shortcut(x))


`;

/**
 * Reads a layer spec's options, checked: only numbers that pass these checks reach model.py or an
 * ONNX graph — a model file is data, and nothing in it may become code.
 */
export class SpecReader {
  constructor(private readonly spec: LayerSpec, private readonly where: string) {}
  int(key: string, fallback?: number): number {
    const v = this.spec[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      throw new Error(`${this.where} (${this.spec.type}): option ${key} is ${JSON.stringify(v)}, expected a non-negative integer`);
    }
    return v;
  }
  /** Written into Python as JavaScript's shortest round-trip form, which is a valid Python float (0.5, 1e-7). */
  probability(key: string, fallback: number, closed = false): number {
    const v = this.spec[key] ?? fallback;
    if (typeof v !== 'number' || !(v >= 0 && (closed ? v <= 1 : v < 1))) {
      throw new Error(`${this.where} (${this.spec.type}): option ${key} is ${JSON.stringify(v)}, expected a probability in [0, 1${closed ? ']' : ')'}`);
    }
    return v;
  }
  /** A positive finite number (batch norm's eps). */
  positive(key: string, fallback: number): number {
    const v = this.spec[key] ?? fallback;
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) {
      throw new Error(`${this.where} (${this.spec.type}): option ${key} is ${JSON.stringify(v)}, expected a positive number`);
    }
    return v;
  }
  /** 1: the only output size global average pooling has. */
  one(key: string): 1 {
    if (this.spec[key] !== 1) throw new Error(`${this.where} (${this.spec.type}): option ${key} is ${JSON.stringify(this.spec[key])}, expected 1`);
    return 1;
  }
  hasAffine(): boolean {
    return this.spec.affine !== false;
  }
  /** ', affine=False' for a batch norm without scale and shift. */
  affine(): string {
    return this.hasAffine() ? '' : ', affine=False';
  }
  hasBias(): boolean {
    return this.spec.bias !== false;
  }
  /** ', bias=False' when the layer has none (PyTorch's default is a bias). */
  bias(): string {
    return this.hasBias() ? '' : ', bias=False';
  }
}

/** A layer's place: indices into Sequentials, and 'body'/'shortcut' inside a Residual — its state_dict prefix. */
export type LayerPath = ReadonlyArray<number | string>;

/** Where a layer sits, for messages: 'layer 3', 'layer 2.1', 'layer 4.body.0', or 'the model' (a lone layer). */
export function layerName(path: LayerPath): string {
  return path.length === 0 ? 'the model' : `layer ${path.join('.')}`;
}

/** The layer types the exporters know, for messages. */
export function supportedLayers(table: Readonly<Record<string, unknown>>): string {
  return ['Sequential', ...Object.keys(table)].join(', ');
}

/** An unsupported layer: named, with where it sits and what is supported. */
export function unsupportedLayer(what: string, spec: LayerSpec, where: string, table: Readonly<Record<string, unknown>>): Error {
  return new Error(`${what}: ${where} is a ${String(spec.type)} layer, which ${what} does not support; supported layers: ${supportedLayers(table)}`);
}

/** The sublayers of a Sequential spec, checked. */
export function sequentialLayers(spec: LayerSpec, path: LayerPath): LayerSpec[] {
  if (!Array.isArray(spec.layers)) throw new Error(`${layerName(path)}: a Sequential spec without a "layers" array`);
  return spec.layers as LayerSpec[];
}

/** The body and shortcut (null: the identity) of a Residual spec, checked. */
export function residualParts(spec: LayerSpec, path: LayerPath): { body: LayerSpec; shortcut: LayerSpec | null } {
  const isSpec = (v: unknown): v is LayerSpec => typeof v === 'object' && v !== null && typeof (v as LayerSpec).type === 'string';
  if (!isSpec(spec.body) || !(spec.shortcut === null || spec.shortcut === undefined || isSpec(spec.shortcut))) {
    throw new Error(`${layerName(path)}: a Residual spec without a "body" layer (and a "shortcut" layer or null)`);
  }
  return { body: spec.body, shortcut: spec.shortcut ?? null };
}

/** Whether a spec holds a Residual anywhere (model.py then defines the Residual class). */
function hasResidual(spec: LayerSpec): boolean {
  if (spec.type === 'Residual') return true;
  return Array.isArray(spec.layers) && (spec.layers as LayerSpec[]).some(hasResidual);
}

/** The Python expression that builds the layer at `path`, indented for its depth; Sequentials nest. */
function layerCode(spec: LayerSpec, path: LayerPath, indent: string): string {
  if (spec.type === 'Sequential') {
    const layers = sequentialLayers(spec, path);
    if (layers.length === 0) return 'nn.Sequential()';
    const inner = indent + '    ';
    // "# 1" beside each layer: the index that prefixes its names in the state dict ("1.weight").
    const lines = layers.map((l, i) => `${inner}${layerCode(l, [...path, i], inner)},  # ${[...path, i].join('.')}`);
    return `nn.Sequential(\n${lines.join('\n')}\n${indent})`;
  }
  if (spec.type === 'Residual') {
    const { body, shortcut } = residualParts(spec, path);
    const inner = indent + '    ';
    const parts = [`${inner}body=${layerCode(body, [...path, 'body'], inner)},`];
    if (shortcut) parts.push(`${inner}shortcut=${layerCode(shortcut, [...path, 'shortcut'], inner)},`);
    return `Residual(\n${parts.join('\n')}\n${indent})`;
  }
  const write = Object.prototype.hasOwnProperty.call(PYTORCH_LAYERS, spec.type) ? PYTORCH_LAYERS[spec.type] : undefined;
  if (!write) throw unsupportedLayer('the PyTorch export', spec, layerName(path), PYTORCH_LAYERS);
  return write(spec, new SpecReader(spec, layerName(path)));
}

export interface PytorchExport {
  /** The network: the spec of a zerograd Sequential (or of one layer). */
  spec: LayerSpec;
  /** One example's shape, e.g. [1, 28, 28]. */
  inputShape: number[];
  classes: number;
  /** A line saying what the model is ('cnn, test accuracy 99.22%'), for the docstring. */
  description?: string;
  /** The classes' names in label order (a model trained on a folder of pictures); MNIST's are its digits. */
  classNames?: string[];
  /** The weights' file name, beside model.py. */
  weights?: string;
}

/**
 * model.py for a network: `build()` (the nn.Sequential), `read_safetensors(path)`, `load(path=None)`
 * (the weights beside the file, loaded strictly, in eval mode), `save(model, path)` (safetensors with
 * the export's architecture, for `zerograd import`) and a main that prints the model.
 * Throws, naming the layer, for a layer type PyTorch export does not know.
 * @example pytorchModelSource({ spec: net.toSpec(), inputShape: [1, 28, 28], classes: 10 })
 */
export function pytorchModelSource(o: PytorchExport): string {
  const network = layerCode(o.spec, [], '    ');
  const weights = o.weights ?? 'model.safetensors';
  if (!/^[\w.-]+$/.test(weights)) throw new Error(`pytorchModelSource: weights file name ${JSON.stringify(weights)}, expected letters, digits, '.', '_' or '-'`);
  const shape = o.inputShape.map((d, i) => new SpecReader({ type: 'input', d }, `inputShape[${i}]`).int('d'));
  const classes = new SpecReader({ type: 'output', classes: o.classes }, 'classes').int('classes');
  if (o.classNames && (o.classNames.length !== o.classes || !o.classNames.every((n) => typeof n === 'string'))) {
    throw new Error(`pytorchModelSource: classNames ${JSON.stringify(o.classNames).slice(0, 80)}, expected ${o.classes} strings`);
  }
  // A JSON string is a valid Python string literal (the same escapes), so a name cannot become code.
  const classNames = o.classNames ? `[${o.classNames.map((n) => JSON.stringify(n)).join(', ')}]` : 'None';
  const description = (o.description ?? 'a zerograd network').replace(/[^\w .,:;%()+=/-]/g, '');
  return `"""${description}, exported from zerograd for PyTorch.

Input: float32 (N, ${shape.join(', ')}) — ${o.inputShape.length !== 3 ? 'one row of features per example' : `images, pixels scaled to [0, 1]${o.inputShape[0] === 1 ? ' (0 = background, as in MNIST)' : ' (channels R, G, B)'}`}.
Output: (N, ${classes}) logits (apply softmax for probabilities)${o.classNames ? ', one per name in CLASS_NAMES' : ''}.

    from model import load, save
    net = load()                 # the weights in ${weights} beside this file, in eval mode
    logits = net(x)
    net.train()                  # … train further (on a GPU: net.cuda()) …
    save(net, "trained.safetensors")   # then: zerograd import --safetensors trained.safetensors --out trained.zg

Needs only PyTorch: the safetensors file is read here (no safetensors package).
"""
import json
import os
import struct
import sys

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
WEIGHTS = "${weights}"
INPUT_SHAPE = (${shape.join(', ')}${shape.length === 1 ? ',' : ''})  # one example${o.inputShape.length === 3 ? ': channels, height, width' : ''}
CLASSES = ${classes}
CLASS_NAMES = ${classNames}  # the name of each output, when the model was trained on named classes


${hasResidual(o.spec) ? RESIDUAL_CLASS : ''}def build():
    """The network as zerograd built it; its state_dict() names are the safetensors names."""
    return ${network}


def read_safetensors(path):
    """({name: tensor}, {metadata}) from a safetensors file: u64 little-endian header length, JSON header, data."""
    if sys.byteorder != "little":
        raise RuntimeError("safetensors data is little-endian float32, read here as is; this machine is big-endian")
    with open(path, "rb") as f:
        data = bytearray(f.read())  # writable, so torch.frombuffer shares it without a warning
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    metadata = header.pop("__metadata__", {})
    tensors = {}
    dtypes = {"F32": (torch.float32, 4), "I64": (torch.int64, 8)}  # I64: batch norm's num_batches_tracked
    for name, entry in header.items():
        if entry["dtype"] not in dtypes:
            raise ValueError(f"{path}: tensor {name!r} is {entry['dtype']}, expected F32 or I64")
        dtype, size = dtypes[entry["dtype"]]
        begin, end = entry["data_offsets"]
        values = torch.frombuffer(data, dtype=dtype, offset=8 + n + begin, count=(end - begin) // size) if end > begin else torch.zeros(0, dtype=dtype)
        tensors[name] = values.reshape(entry["shape"])
    return tensors, metadata


def load(path=None):
    """The network with its trained weights (default: ${weights} beside this file), in eval mode."""
    tensors, _ = read_safetensors(path or os.path.join(HERE, WEIGHTS))
    model = build()
    model.load_state_dict(tensors, strict=True)
    return model.eval()


def save(model, path):
    """Write the model's weights (trained further here) as safetensors, with the architecture from the
    export's metadata, so \`zerograd import --safetensors PATH --out FILE\` takes them back into zerograd."""
    _, metadata = read_safetensors(os.path.join(HERE, WEIGHTS))
    metadata.pop("zerograd.meta", None)  # its facts (test accuracy) describe the exported weights, not these
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, t in model.state_dict().items():
        dtype = torch.int64 if t.dtype == torch.int64 else torch.float32  # a step count stays an integer
        blob = t.detach().to("cpu", dtype).contiguous().numpy().tobytes()
        header[name] = {"dtype": "I64" if dtype == torch.int64 else "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)  # padded with spaces so the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


if __name__ == "__main__":
    print(load())
`;
}
