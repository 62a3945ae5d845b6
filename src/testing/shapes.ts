// A folder of coloured-shape pictures for the image-folder tests, drawn from a seed: red circles,
// green squares and blue triangles on noisy backgrounds, of mixed sizes, saved as PNG and JPEG.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { Random } from '../tensor/random.js';

export const SHAPE_CLASSES = ['circle', 'square', 'triangle'] as const;
export type Shape = (typeof SHAPE_CLASSES)[number];

/** The colour of each shape (before jitter): the class is in both the form and the colour. */
const COLOUR: Record<Shape, [number, number, number]> = { circle: [220, 40, 40], square: [40, 190, 60], triangle: [40, 70, 220] };

/**
 * One picture, RGBA: a shape of 35–70% of the shorter side at a random place on a background of
 * a random muted colour with per-pixel noise (±40), the shape's colour jittered by ±30.
 */
export function drawShape(shape: Shape, width: number, height: number, rng: Random): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  const base = [0, 1, 2].map(() => 90 + rng.int(100));
  const colour = COLOUR[shape].map((v) => Math.min(255, Math.max(0, v + rng.int(61) - 30)));
  const side = Math.min(width, height) * (0.35 + 0.35 * rng.uniform());
  const cx = side / 2 + rng.uniform() * (width - side), cy = side / 2 + rng.uniform() * (height - side);
  const r = side / 2;
  const inside = (x: number, y: number): boolean => {
    const dx = x - cx, dy = y - cy;
    if (shape === 'circle') return dx * dx + dy * dy <= r * r;
    if (shape === 'square') return Math.abs(dx) <= r && Math.abs(dy) <= r;
    // Triangle pointing up: apex at (cx, cy − r), base from (cx − r, cy + r) to (cx + r, cy + r).
    return dy <= r && dy >= -r && Math.abs(dx) <= (dy + r) / 2;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = 4 * (y * width + x);
      const ink = inside(x + 0.5, y + 0.5);
      for (let c = 0; c < 3; c++) rgba[i + c] = Math.min(255, Math.max(0, (ink ? colour[c] : base[c]) + rng.int(81) - 40));
      rgba[i + 3] = 255;
    }
  }
  return rgba;
}

/** Save RGBA pixels as a PNG or a JPEG (quality 90) file. */
export function savePicture(path: string, rgba: Uint8Array, width: number, height: number): void {
  if (path.endsWith('.png')) {
    const png = new PNG({ width, height });
    png.data.set(rgba);
    writeFileSync(path, PNG.sync.write(png));
  } else {
    writeFileSync(path, jpeg.encode({ data: Buffer.from(rgba), width, height }, 90).data);
  }
}

/**
 * Write `perClass` pictures of each shape into `dir/CLASS/`, sizes 20–47 px each way, every
 * third a JPEG (the others PNG). Returns the files written.
 */
export function writeShapeFolder(dir: string, perClass: number, seed: number, classes: readonly Shape[] = SHAPE_CLASSES): string[] {
  const rng = new Random(seed);
  const files: string[] = [];
  for (const shape of classes) {
    mkdirSync(join(dir, shape), { recursive: true });
    for (let k = 0; k < perClass; k++) {
      const w = 20 + rng.int(28), h = 20 + rng.int(28);
      const path = join(dir, shape, `${shape}${k}.${k % 3 === 2 ? 'jpg' : 'png'}`);
      savePicture(path, drawShape(shape, w, h, rng), w, h);
      files.push(path);
    }
  }
  return files;
}
