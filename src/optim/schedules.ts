// Learning-rate schedules: how the step size of gradient descent changes over training.

/** A learning-rate schedule: the rate for a given epoch (0-based), from the base rate. */
export interface Schedule {
  rate(epoch: number): number;
}

/** Multiply the rate by `gamma` every `stepSize` epochs. */
export class StepLR implements Schedule {
  constructor(readonly base: number, readonly stepSize: number, readonly gamma = 0.1) {}
  rate(epoch: number): number {
    return this.base * Math.pow(this.gamma, Math.floor(epoch / this.stepSize));
  }
}

/** Cosine annealing from the base rate down to `min` over `total` epochs (or steps). */
export class CosineLR implements Schedule {
  constructor(readonly base: number, readonly total: number, readonly min = 0) {}
  rate(t: number): number {
    const f = Math.min(t, this.total) / this.total;
    return this.min + 0.5 * (this.base - this.min) * (1 + Math.cos(Math.PI * f));
  }
}
