// Node-only: a folder of the user's own pictures as training and test sets, in the convention
// PyTorch's torchvision.datasets.ImageFolder uses: one sub-folder per class, named after it.
//   DIR/train/CLASS/*.png|jpg|jpeg and DIR/test/CLASS/*   (or DIR/val/CLASS/*)
//   DIR/CLASS/*                                            (split here into train and test)
// Each picture is decoded once, resized to S×S and kept as bytes (3·S·S of them for colour).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ImageDataset, holdOut } from './dataset.js';
import { readImage } from './image-file.js';
import { idxFileNames, MNIST_FILES } from './mnist.js';
import { compareCodePoints, isColour, resizeToRgb, rgbToChannels } from './pictures.js';

/** The file name endings read as pictures (any case), as ImageFolder's list narrowed to what the decoders read. */
export const PICTURE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];

/** The fraction of a single folder held out as the test split when none is given. */
export const DEFAULT_VAL_SPLIT = 0.2;

const LAYOUTS = `MNIST-format IDX files (${MNIST_FILES.trainImages}, …), DIR/train/CLASS/*.png|jpg with DIR/test/CLASS/*, or DIR/CLASS/*.png|jpg`;

/** How a data folder is laid out: MNIST-format IDX files, train/ and test/ class folders, or class folders only. */
export type DataLayout = 'mnist' | 'train-test' | 'single';

const isDir = (p: string): boolean => existsSync(p) && statSync(p).isDirectory();
const isPicture = (name: string): boolean => PICTURE_EXTENSIONS.some((e) => name.toLowerCase().endsWith(e));
// Hidden entries (.DS_Store, .ipynb_checkpoints) are no classes or pictures; PyTorch counts a
// hidden folder as a class, a well-known surprise this loader does not repeat.
const visible = (dir: string): string[] => readdirSync(dir).filter((n) => !n.startsWith('.')).sort(compareCodePoints);

/** The test folder beside DIR/train: DIR/test, else DIR/val. */
function testFolder(dir: string): string | undefined {
  return ['test', 'val'].map((n) => join(dir, n)).find(isDir);
}

/** Which layout `dir` holds: IDX files make it MNIST-format; a train/ folder, train-test; anything else, single. */
export function dataLayout(dir: string): DataLayout {
  const idx = [MNIST_FILES.trainImages, MNIST_FILES.testImages].flatMap(idxFileNames);
  if (idx.some((n) => existsSync(join(dir, n)))) return 'mnist';
  return isDir(join(dir, 'train')) ? 'train-test' : 'single';
}

interface ClassFolder {
  name: string;
  files: string[];
}

/** Every picture under `dir` and its sub-folders (ImageFolder walks them too), in sorted order; other files go to `skipped`. */
function picturesUnder(dir: string, skipped: string[]): string[] {
  const out: string[] = [];
  for (const name of visible(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...picturesUnder(path, skipped));
    else if (isPicture(name)) out.push(path);
    else skipped.push(path);
  }
  return out;
}

/** The class folders of `dir`, sorted by name as PyTorch sorts them, each with its pictures. */
function classFolders(dir: string, skipped: string[]): ClassFolder[] {
  const names = visible(dir);
  const classes = names.filter((n) => statSync(join(dir, n)).isDirectory());
  const loose = names.filter((n) => isPicture(n) && !classes.includes(n));
  if (classes.length === 0) {
    if (loose.length > 0) {
      throw new Error(`${dir}: holds ${loose.length} picture(s) but no class folders; expected one folder per class: ${join(dir, 'CLASS')}/*.png|jpg`);
    }
    throw new Error(`${dir}: no class folders and no pictures; expected ${LAYOUTS.replace(/DIR/g, dir)}`);
  }
  if (loose.length > 0) skipped.push(...loose.map((n) => join(dir, n)));
  const folders = classes.map((name) => ({ name, files: picturesUnder(join(dir, name), skipped) }));
  const empty = folders.filter((f) => f.files.length === 0);
  if (empty.length > 0) {
    throw new Error(`${join(dir, empty[0].name)}: no pictures in class folder '${empty[0].name}'` +
      `${empty.length > 1 ? ` (nor in ${empty.slice(1).map((f) => `'${f.name}'`).join(', ')})` : ''}; expected ${PICTURE_EXTENSIONS.join(', ')} files, at least one per class`);
  }
  if (folders.length === 1) {
    throw new Error(`${dir}: only one class folder ('${folders[0].name}'); expected two or more, one folder per class, to tell apart`);
  }
  if (folders.length > 256) throw new Error(`${dir}: ${folders.length} class folders; expected at most 256 classes`);
  return folders;
}

const list = (names: string[]): string => names.join(', ');

/** Refuse class names that differ from `expected`, saying which are missing and which are extra. */
function sameClasses(where: string, names: string[], expected: string[], whose: string): void {
  if (JSON.stringify(names) === JSON.stringify(expected)) return;
  const missing = expected.filter((n) => !names.includes(n));
  const extra = names.filter((n) => !expected.includes(n));
  const detail = [missing.length ? `missing ${list(missing)}` : '', extra.length ? `extra ${list(extra)}` : ''].filter(Boolean).join('; ');
  throw new Error(`${where}: its classes (${list(names)}) differ from ${whose} (${list(expected)})${detail ? `: ${detail}` : ''}; expected the same class folders`);
}

export interface ImageFolderOptions {
  /** Side S of the square the pictures are resized to. */
  size: number;
  /** 1 or 3 to convert every picture to that many channels (a trained model's); default: 3 if any picture has colour, else 1. */
  channels?: number;
  /** Single folder: the fraction of each class held out as the test split (default DEFAULT_VAL_SPLIT). */
  valSplit?: number;
  /** Single folder: the seed of that split (default 1). */
  seed?: number;
  /** The class names expected (a trained model's); other class folders are refused. */
  classNames?: string[];
  /** 'test': only the test pictures are needed (to evaluate); the train set is then empty (and, with train/ and test/, not decoded). */
  only?: 'test';
}

export interface ImageFolderData {
  train: ImageDataset;
  test: ImageDataset;
  dir: string;
  layout: 'train-test' | 'single';
  /** Class names in label order: label i is classNames[i]. */
  classNames: string[];
  channels: number;
  size: number;
  /** Files that are not pictures (other extensions), left out. */
  skipped: string[];
}

/** Decode each file, resized to RGB planes; a file that cannot be read is named in the error. */
function decodeAll(files: string[], size: number): { rgb: Uint8Array[]; colour: boolean } {
  let colour = false;
  const rgb = files.map((path) => {
    const img = readImage(path); // its errors start with the path
    colour ||= isColour(img.rgba);
    return resizeToRgb(img.rgba, img.width, img.height, size);
  });
  return { rgb, colour };
}

/** Stack (C,S,S) byte pictures into one ImageDataset. */
function stack(pictures: Uint8Array[], labels: number[], channels: number, size: number): ImageDataset {
  const px = channels * size * size;
  const images = new Uint8Array(pictures.length * px);
  pictures.forEach((p, i) => images.set(rgbToChannels(p, channels), i * px));
  return new ImageDataset(images, Uint8Array.from(labels), pictures.length, size, size, channels);
}

/**
 * Load a folder of pictures (layouts above) as training and test sets of (C,S,S) bytes.
 * @example const data = loadImageFolder('bugs', { size: 28 });  // data.classNames: ['beetle', 'bus', 'ladybug']
 */
export function loadImageFolder(dir: string, o: ImageFolderOptions): ImageFolderData {
  if (!isDir(dir)) throw new Error(`${dir}: not a folder; expected ${LAYOUTS}`);
  if (o.channels !== undefined && o.channels !== 1 && o.channels !== 3) throw new Error(`loadImageFolder: channels must be 1 or 3, got ${o.channels}`);
  const valSplit = o.valSplit ?? DEFAULT_VAL_SPLIT;
  const skipped: string[] = [];
  const split: Record<'train' | 'test', { files: string[]; labels: number[] }> = { train: { files: [], labels: [] }, test: { files: [], labels: [] } };
  let classNames: string[];
  const layout = dataLayout(dir) === 'train-test' ? 'train-test' : 'single';
  if (layout === 'train-test') {
    const test = testFolder(dir);
    if (!test) throw new Error(`${join(dir, 'test')}: not found; expected DIR/test/CLASS/* beside ${join(dir, 'train')} (or the class folders directly in ${dir}, split by --val-split)`);
    const trainClasses = classFolders(join(dir, 'train'), skipped);
    const testClasses = classFolders(test, skipped);
    classNames = trainClasses.map((c) => c.name);
    sameClasses(test, testClasses.map((c) => c.name), classNames, `${join(dir, 'train')}'s`);
    trainClasses.forEach((c, label) => c.files.forEach((f) => { split.train.files.push(f); split.train.labels.push(label); }));
    testClasses.forEach((c, label) => c.files.forEach((f) => { split.test.files.push(f); split.test.labels.push(label); }));
  } else {
    if (!(valSplit > 0 && valSplit < 1)) throw new Error(`--val-split ${valSplit}: expected a fraction in (0, 1) to hold out as the test split of the single folder ${dir}`);
    const classes = classFolders(dir, skipped);
    classNames = classes.map((c) => c.name);
    classes.forEach((c, label) => c.files.forEach((f) => { split.train.files.push(f); split.train.labels.push(label); }));
  }
  if (o.classNames) sameClasses(dir, classNames, o.classNames, 'the model\'s');
  if (o.only === 'test' && layout === 'train-test') split.train = { files: [], labels: [] };
  const test = decodeAll(split.test.files, o.size);
  const train = decodeAll(split.train.files, o.size);
  const channels = o.channels ?? (test.colour || train.colour ? 3 : 1);
  let trainSet = stack(train.rgb, split.train.labels, channels, o.size);
  let testSet = stack(test.rgb, split.test.labels, channels, o.size);
  if (layout === 'single') {
    // The one folder is split here: seeded and stratified, so every class is in both parts.
    ({ kept: trainSet, held: testSet } = holdOut(trainSet, valSplit, o.seed ?? 1));
    if (testSet.count === 0) {
      throw new Error(`${dir}: too few pictures to hold out ${valSplit} of each class as a test split; expected more pictures per class (or DIR/train and DIR/test folders)`);
    }
    if (o.only === 'test') trainSet = trainSet.take(0);
  }
  return {
    train: trainSet, test: testSet,
    dir, layout, classNames, channels, size: o.size,
    skipped: skipped.map((p) => relative(dir, p)),
  };
}
