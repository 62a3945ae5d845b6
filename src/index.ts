// zerograd: deep learning built from zero. The browser-safe core.
// Tensor's methods are attached by the layers that own them (src/tensor/tensor.ts says where):
// backward() by the autograd engine, the ops by ops/methods.ts. Both load here, so every user has them.
import './autograd/engine.js';
import './ops/methods.js';
export { Tensor, tensor, zeros, ones, full, randn, rand, type DType, type TensorOptions } from './tensor/tensor.js';
export { Random, manualSeed, defaultRandom, type RandomState } from './tensor/random.js';
export { sizeOf, broadcastShapes, formatShape } from './tensor/shape.js';
export { noGrad, isGradEnabled, type GradNode } from './autograd/engine.js';
export { gradcheck, type GradcheckOptions, type GradcheckResult } from './autograd/gradcheck.js';
export * as ops from './ops/index.js';
export { backend, setBackend, registerBackend, listBackends, scope } from './backends/index.js';
export type { Backend, Data, Conv2dGeometry, Pool2dGeometry } from './backends/backend.js';
export { Module, isInt64Buffer, type LayerSpec } from './nn/module.js';
export {
  Linear, Conv2d, MaxPool2d, AvgPool2d, Flatten, ReLU, Sigmoid, Tanh, Softmax, Dropout, Sequential, moduleFromSpec,
  type LinearOptions, type LinearConfig, type Conv2dLayerOptions, type Conv2dConfig, type PoolOptions, type PoolConfig,
} from './nn/layers.js';
export { BatchNorm1d, BatchNorm2d, AdaptiveAvgPool2d, Residual, type BatchNormOptions } from './nn/blocks.js';
export type { Size2 } from './nn/args.js';
export type { Nested } from './tensor/tensor.js';
export { countCorrect } from './nn/metrics.js';
export * as init from './nn/init.js';
export { crossEntropy, mseLoss, CrossEntropyLoss, MSELoss } from './losses/index.js';
export { Optimizer, SGD, Adam, StepLR, CosineLR, type Schedule, type OptimizerState } from './optim/index.js';
export { parseIdx, encodeIdx } from './data/idx.js';
export { ImageDataset, DataLoader, holdOut, type DataLoaderOptions } from './data/dataset.js';
export { Augmenter, parseAugment, formatAugment, cropPadding, type AugmentSpec } from './data/augment.js';
export { pictureToInput, resizeToRgb, rgbToChannels, isColour } from './data/pictures.js';
export type { InputInfo } from './models/index.js';
export {
  mlp, dnn, cnn, lenet5, vgg, resnet, basicBlock,
  type Arch, type Activation, type MlpOptions, type CnnOptions, type LeNet5Options, type VggOptions, type ResNetOptions,
} from './models/index.js';
export { encodeModel, decodeModel, FORMAT_VERSION, type SavedModel } from './io/model-file.js';
export { encodeCheckpoint, decodeCheckpoint, CHECKPOINT_VERSION, type CheckpointParts, type DecodedCheckpoint } from './io/checkpoint.js';
export { encodeSafetensors, decodeSafetensors, modelToSafetensors, modelFromSafetensors, type NamedTensor, type Safetensors, type Architecture } from './io/safetensors.js';
export {
  fit, trainEpoch, trainStep, trainBatches, trainEpochs, evaluate, predictProbabilities, DivergedError, divergenceAdvice, nearChanceAdvice, nearChanceAccuracy, NEAR_CHANCE_ACCURACY, DEFAULT_DIVERGENCE,
  startPosition, type DivergenceRule, type Evaluation, type EpochInfo, type BatchInfo, type TrainEvent, type LoopPosition,
} from './train/index.js';
export { checkpointParts, checkpointConfig, restoreCheckpoint, type TrainingRun, type ModelDescription } from './train/checkpoint.js';
export {
  buildModel, buildTraining, resolveConfig, ConfigError, DEFAULT_LR, lowerLearningRate, optimizerName, DEFAULT_HIDDEN, DEFAULT_CONFIG,
  type ModelConfig, type TrainingConfig, type ResolvedConfig, type Training, type OptimizerName, type ScheduleName,
} from './train/config.js';
export { summarize, formatSummary, type LayerRow } from './nn/summary.js';
export { frameDigit, findDigit, rgbaToGray, type DigitResult, type DigitBox } from './data/preprocess.js';
export * as tabular from './tabular/index.js';
export { MLPRegressor, MLPClassifier } from './tabular/index.js';
