// ONNX export: a zerograd network as an ONNX graph (opset 13), for ONNX Runtime (CPU and GPU
// serving, mobile, the browser) and every tool that reads ONNX. Node only: it encodes through
// `onnx-proto` (ONNX's published onnx.proto compiled for protobufjs), which the browser bundle must
// not pull in — only the CLI imports this file.
//
// The graph:
//   input   "pixels"  float32 (N, C, H, W), pixels scaled to [0, 1] as zerograd's models take them
//   output  "logits"  float32 (N, classes) ("probabilities" when the network ends in Softmax)
//   N is a dynamic dimension (dim_param "N"); the weights are initializers named as PyTorch's
//   state_dict() names them ("1.weight"), so the graph, the safetensors file and model.py agree.
import onnxProto from 'onnx-proto';
import { noGrad } from '../autograd/engine.js';
import type { LayerSpec, Module } from '../nn/module.js';
import { zeros, type Tensor } from '../tensor/tensor.js';
import { SpecReader, layerName, residualParts, sequentialLayers, unsupportedLayer, type LayerPath } from './pytorch.js';

const { onnx } = onnxProto;

export const ONNX_OPSET = 13;
/** IR version 7 is the one that came with opset 13; Debian's onnx 1.12 checker and ONNX Runtime read it. */
export const ONNX_IR_VERSION = 7;
export const ONNX_INPUT = 'pixels';

type Attribute = onnxProto.onnx.IAttributeProto;

/** Builds the graph: nodes in order, weights as initializers. */
class GraphBuilder {
  readonly nodes: onnxProto.onnx.INodeProto[] = [];
  readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  constructor(private readonly params: Map<string, Tensor>) {}

  /** Add one node; its output is named after the layer and the op ("1.Gemm"). Returns that name. */
  node(opType: string, inputs: string[], path: LayerPath, attribute: Attribute[] = []): string {
    const name = `${path.length ? path.join('.') : 'model'}.${opType}`;
    this.nodes.push({ opType, input: inputs, output: [name], name, attribute });
    return name;
  }

  /** The parameter or buffer `key` of the layer at `path` as an initializer (little-endian float32); its name. */
  weight(path: LayerPath, key: 'weight' | 'bias' | 'running_mean' | 'running_var'): string {
    const name = path.length ? `${path.join('.')}.${key}` : key;
    const t = this.params.get(name);
    if (!t) throw new Error(`the ONNX export: ${layerName(path)} has no parameter '${name}'`);
    return this.constant(name, t.data, [...t.shape]);
  }

  /** Values as a float32 initializer named `name`; its name. */
  constant(name: string, values: ArrayLike<number>, dims: number[]): string {
    const raw = new Uint8Array(4 * values.length);
    const view = new DataView(raw.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i], true);
    this.initializers.push({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw });
    return name;
  }
}

const ints = (name: string, values: number[]): Attribute => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: values });
const int = (name: string, i: number): Attribute => ({ name, type: onnx.AttributeProto.AttributeType.INT, i });
const float = (name: string, f: number): Attribute => ({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f });

/** How one layer type becomes ONNX nodes: from the value named `x`, returns the name of its output. */
type OnnxLayer = (g: GraphBuilder, x: string, path: LayerPath, a: SpecReader) => string;

/** A window op (pooling, convolution): square kernel, stride; pads [top, left, bottom, right]. */
const window = (a: SpecReader, padding = 0): Attribute[] => {
  const k = a.int('kernelSize', 2);
  const s = a.int('stride', k);
  return [ints('kernel_shape', [k, k]), ints('strides', [s, s]), ints('pads', [padding, padding, padding, padding])];
};

/**
 * One entry per layer type, as in PYTORCH_LAYERS (src/io/pytorch.ts); a new layer is one more line.
 * Linear is Gemm with transB = 1: y = x·wᵀ + b with w stored (OUT,IN), as zerograd and PyTorch store it.
 */
export const ONNX_LAYERS: Readonly<Record<string, OnnxLayer>> = {
  Linear: (g, x, p, a) => g.node('Gemm', [x, g.weight(p, 'weight'), ...(a.hasBias() ? [g.weight(p, 'bias')] : [])], p, [int('transB', 1)]),
  Conv2d: (g, x, p, a) => g.node('Conv', [x, g.weight(p, 'weight'), ...(a.hasBias() ? [g.weight(p, 'bias')] : [])], p,
    window(a, a.int('padding', 0)).concat(ints('dilations', [1, 1]), int('group', 1))),
  MaxPool2d: (g, x, p, a) => g.node('MaxPool', [x], p, window(a)),
  // No padding, so count_include_pad does not matter: every window averages k·k real pixels.
  AvgPool2d: (g, x, p, a) => g.node('AveragePool', [x], p, window(a)),
  Flatten: (g, x, p) => g.node('Flatten', [x], p, [int('axis', 1)]),
  ReLU: (g, x, p) => g.node('Relu', [x], p),
  Sigmoid: (g, x, p) => g.node('Sigmoid', [x], p),
  Tanh: (g, x, p) => g.node('Tanh', [x], p),
  Softmax: (g, x, p) => g.node('Softmax', [x], p, [int('axis', -1)]), // opset 13: over that one axis, as zerograd's
  Dropout: (_, x) => x, // inference only: dropout is the identity, so it is left out
  BatchNorm1d: (g, x, p, a) => batchNormalization(g, x, p, a),
  BatchNorm2d: (g, x, p, a) => batchNormalization(g, x, p, a),
  AdaptiveAvgPool2d: (g, x, p, a) => (a.one('outputSize'), g.node('GlobalAveragePool', [x], p)), // (N,C,H,W) -> (N,C,1,1)
  // Nodes for the body and the shortcut, then an Add: written by addLayer, which nests.
  Residual: () => { throw new Error('Residual is written by addLayer'); },
};

/**
 * Batch norm in inference: y = scale·(x − running_mean)/√(running_var + ε) + B per channel, ONNX's
 * BatchNormalization with the running statistics as initializers. Without affine, scale is 1 and B is 0.
 */
function batchNormalization(g: GraphBuilder, x: string, p: LayerPath, a: SpecReader): string {
  const C = a.int('numFeatures');
  const prefix = p.length ? `${p.join('.')}.` : '';
  const scale = a.hasAffine() ? g.weight(p, 'weight') : g.constant(`${prefix}scale`, new Float32Array(C).fill(1), [C]);
  const shift = a.hasAffine() ? g.weight(p, 'bias') : g.constant(`${prefix}shift`, new Float32Array(C), [C]);
  return g.node('BatchNormalization', [x, scale, shift, g.weight(p, 'running_mean'), g.weight(p, 'running_var')], p,
    [float('epsilon', a.positive('eps', 1e-5)), float('momentum', 1 - a.probability('momentum', 0.1, true))]); // ONNX's momentum weighs the old average
}

/** Add the nodes of the layer at `path`; returns the name of its output. */
function addLayer(g: GraphBuilder, spec: LayerSpec, x: string, path: LayerPath): string {
  if (spec.type === 'Sequential') {
    return sequentialLayers(spec, path).reduce((y, l, i) => addLayer(g, l, y, [...path, i]), x);
  }
  if (spec.type === 'Residual') {
    // y = body(x) + shortcut(x): both branches read x; the shortcut is x itself when it is the identity.
    const { body, shortcut } = residualParts(spec, path);
    const y = addLayer(g, body, x, [...path, 'body']);
    const s = shortcut ? addLayer(g, shortcut, x, [...path, 'shortcut']) : x;
    return g.node('Add', [y, s], path);
  }
  const add = Object.prototype.hasOwnProperty.call(ONNX_LAYERS, spec.type) ? ONNX_LAYERS[spec.type] : undefined;
  if (!add) throw unsupportedLayer('the ONNX export', spec, layerName(path), ONNX_LAYERS);
  return add(g, x, path, new SpecReader(spec, layerName(path)));
}

/** The last layer that is not a Sequential (or undefined for an empty network). */
function lastLayer(spec: LayerSpec): LayerSpec | undefined {
  if (spec.type !== 'Sequential' || !Array.isArray(spec.layers)) return spec;
  for (let i = spec.layers.length - 1; i >= 0; i--) {
    const l = lastLayer(spec.layers[i] as LayerSpec);
    if (l) return l;
  }
  return undefined;
}

function tensorType(name: string, shape: Array<number | string>): onnxProto.onnx.IValueInfoProto {
  const dim = shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d }));
  return { name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim } } } };
}

export interface OnnxExport {
  /** The name of the output: 'logits', or 'probabilities' for a network that ends in Softmax. */
  output: string;
  bytes: Uint8Array;
}

/**
 * The model as an ONNX file (opset 13): input "pixels" (N, ...inputShape), output "logits"
 * (N, classes), dynamic batch N, weights as initializers. Throws, naming the layer, for a layer
 * type the ONNX export does not know.
 * @example const { bytes } = modelToOnnx(net, [1, 28, 28], 10); writeFileAtomic('cnn.onnx', bytes)
 */
export function modelToOnnx(model: Module, inputShape: number[], classes: number, meta: Record<string, unknown> = {}, version = ''): OnnxExport {
  const spec = model.toSpec();
  const g = new GraphBuilder(new Map(model.namedState()));
  const y = addLayer(g, spec, ONNX_INPUT, []);
  const output = lastLayer(spec)?.type === 'Softmax' ? 'probabilities' : 'logits';
  // The last node's output takes the graph's output name; a network whose last layers add no node
  // (an empty one, or one ending in Dropout after nothing) gets an Identity.
  const last = g.nodes[g.nodes.length - 1];
  if (last && last.output![0] === y) last.output = [output];
  else g.nodes.push({ opType: 'Identity', input: [y], output: [output], name: 'output.Identity' });
  // The output's shape from running zerograd once: (1, classes) for a classifier -> (N, classes).
  const training = model.training;
  const outShape = noGrad(() => model.eval().forward(zeros([1, ...inputShape]))).shape;
  model.train(training);
  const graph: onnxProto.onnx.IGraphProto = {
    name: String(meta.arch ?? 'zerograd'),
    node: g.nodes,
    initializer: g.initializers,
    input: [tensorType(ONNX_INPUT, ['N', ...inputShape])],
    output: [tensorType(output, ['N', ...outShape.slice(1)])],
    docString: `${ONNX_INPUT}: float32 (N,${inputShape.join(',')}), pixels scaled to [0, 1]; ${output}: (N,${outShape.slice(1).join(',')}) for ${classes} classes`,
  };
  const message = onnx.ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'zerograd',
    producerVersion: version,
    graph,
    metadataProps: [
      { key: 'zerograd.spec', value: JSON.stringify(spec) },
      { key: 'zerograd.inputShape', value: JSON.stringify(inputShape) },
      { key: 'zerograd.classes', value: String(classes) },
      { key: 'zerograd.meta', value: JSON.stringify(meta) },
    ],
  });
  return { output, bytes: onnx.ModelProto.encode(message).finish() };
}
