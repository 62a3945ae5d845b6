// Minimal types for the parts of ConvNetJS the benchmark uses.
declare module 'convnetjs' {
  export class Vol {
    constructor(sx: number, sy: number, depth: number, c?: number);
    w: Float64Array;
  }
  export class Net {
    makeLayers(defs: object[]): void;
    forward(v: Vol, isTraining?: boolean): Vol;
    getPrediction(): number;
  }
  export class Trainer {
    constructor(net: Net, options: object);
    train(x: Vol, y: number): { loss: number };
  }
}
