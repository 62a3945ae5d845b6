// The IDX file format that MNIST is distributed in (browser-safe: works on bytes).
//
// Layout: 2 zero bytes, a type byte (0x08 = unsigned byte), the number of dimensions,
// then each dimension as a big-endian uint32, then the values, row-major.
// Images: dims (count, rows, cols); labels: dims (count).

export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

/** Parse an IDX file of unsigned bytes. `name` is used in error messages. */
export function parseIdx(bytes: Uint8Array, name = 'IDX file'): IdxArray {
  if (bytes.length < 4) throw new Error(`${name}: not an IDX file (only ${bytes.length} bytes; expected a 4-byte header)`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new Error(`${name}: not an IDX file (first bytes 0x${hex(bytes[0])} 0x${hex(bytes[1])}, expected 0x00 0x00)`);
  }
  if (bytes[2] !== 0x08) {
    throw new Error(`${name}: IDX value type 0x${hex(bytes[2])} is not supported, expected 0x08 (unsigned bytes)`);
  }
  const rank = bytes[3];
  if (rank < 1 || rank > 4) throw new Error(`${name}: IDX header says ${rank} dimensions, expected 1 to 4`);
  const headerSize = 4 + 4 * rank;
  if (bytes.length < headerSize) throw new Error(`${name}: truncated IDX header (${bytes.length} bytes, expected at least ${headerSize})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) shape.push(view.getUint32(4 + 4 * i, false));
  const count = shape.reduce((n, d) => n * d, 1);
  if (bytes.length - headerSize !== count) {
    throw new Error(`${name}: IDX header promises ${count} values for shape (${shape.join('×')}), but the file holds ${bytes.length - headerSize} (truncated or corrupted)`);
  }
  return { shape, data: bytes.subarray(headerSize) };
}

/** Write bytes as an IDX file (used by tests and tools). */
export function encodeIdx(shape: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * shape.length + data.length);
  out[2] = 0x08;
  out[3] = shape.length;
  const view = new DataView(out.buffer);
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * shape.length);
  return out;
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}
