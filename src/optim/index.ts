// Optimizers: how gradient descent turns gradients into weight updates.
// Each update rule is written once, as a function over arrays (sgdUpdate, adamUpdate); a backend
// may run it as one fused kernel, which the parity tests check against the function.
export { Optimizer, type OptimizerState } from './optimizer.js';
export { SGD, sgdUpdate, nesterovUpdate, type SGDOptions } from './sgd.js';
export { Adam, adamUpdate, type AdamOptions } from './adam.js';
export { CosineLR, StepLR, type Schedule } from './schedules.js';
