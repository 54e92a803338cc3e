/**
 * The binary form of each Open Inference Protocol datatype (Triton's binary tensor data
 * extension): little-endian, row major, no padding; BOOL one byte (0 or 1); BYTES a
 * 4-byte little-endian length before each element's bytes.
 */
import { endianness } from 'node:os';
import { isUtf8 } from 'node:buffer';
import { SluiceError, type ErrorCode } from '../core/errors.ts';

interface TypedArrayClass {
  readonly BYTES_PER_ELEMENT: number;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): FixedTensorData;
}

/** FP16 and BF16 stay their raw 16 bits: Node 20 has no Float16Array. */
export const FIXED_DATATYPES = {
  BOOL: Uint8Array,
  UINT8: Uint8Array,
  UINT16: Uint16Array,
  UINT32: Uint32Array,
  UINT64: BigUint64Array,
  INT8: Int8Array,
  INT16: Int16Array,
  INT32: Int32Array,
  INT64: BigInt64Array,
  FP16: Uint16Array,
  BF16: Uint16Array,
  FP32: Float32Array,
  FP64: Float64Array,
} as const satisfies Record<string, TypedArrayClass>;

export type FixedDatatype = keyof typeof FIXED_DATATYPES;
export type BinaryDatatype = FixedDatatype | 'BYTES';

export type FixedTensorData =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | BigUint64Array
  | BigInt64Array
  | Float32Array
  | Float64Array;

/** BYTES elements decode as strings (what text models take) or as views of the body's bytes. */
export type BytesAs = 'string' | 'buffer';
/** Decoded tensors hold mutable arrays; encoders take either. */
export type BinaryTensorData = FixedTensorData | readonly string[] | readonly Buffer[];

const LITTLE_ENDIAN = endianness() === 'LE';

export function isFixedDatatype(datatype: unknown): datatype is FixedDatatype {
  return typeof datatype === 'string' && Object.hasOwn(FIXED_DATATYPES, datatype);
}

export function isBinaryDatatype(datatype: unknown): datatype is BinaryDatatype {
  return datatype === 'BYTES' || isFixedDatatype(datatype);
}

export function elementSize(datatype: FixedDatatype): number {
  return FIXED_DATATYPES[datatype].BYTES_PER_ELEMENT;
}

/**
 * A typed array over `bytes`. Alignment rule: a typed array must start at a multiple of its
 * element size, so the view shares the body's memory when byteOffset % size === 0 and copies once otherwise.
 */
export function viewFixed(datatype: FixedDatatype, bytes: Uint8Array): FixedTensorData {
  const Type: TypedArrayClass = FIXED_DATATYPES[datatype];
  const size = Type.BYTES_PER_ELEMENT;
  const source = bytes.byteOffset % size === 0 && LITTLE_ENDIAN ? bytes : littleEndianCopy(bytes, size);
  return new Type(source.buffer, source.byteOffset, source.byteLength / size);
}

/** The tensor's bytes in wire order; a view of its memory on little-endian hosts. */
export function fixedBytes(data: FixedTensorData): Buffer {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return LITTLE_ENDIAN ? bytes : swapped(Buffer.from(bytes), data.BYTES_PER_ELEMENT);
}

/** A copy in its own memory (offset 0, so aligned), in host byte order. */
function littleEndianCopy(bytes: Uint8Array, size: number): Uint8Array {
  // Unpooled and not zero-filled: new Uint8Array(buffer) and ArrayBuffer#slice were 3-10x slower.
  const copy = Buffer.allocUnsafeSlow(bytes.byteLength);
  copy.set(bytes);
  return LITTLE_ENDIAN ? copy : swapped(copy, size);
}

function swapped(bytes: Buffer, size: number): Buffer {
  if (size === 2) return bytes.swap16();
  if (size === 4) return bytes.swap32();
  if (size === 8) return bytes.swap64();
  return bytes;
}

/**
 * BYTES elements: each a 4-byte little-endian length, then that many bytes. The prefixes
 * must tile `bytes` exactly and give `count` elements. Buffers are views of `bytes`.
 */
export function decodeBytes(
  bytes: Buffer,
  count: number,
  as: BytesAs,
  where: string,
  field: string,
): string[] | Buffer[] {
  const fail = (code: ErrorCode, message: string) => new SluiceError(code, `${where}: ${message}`, { field });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const strings: string[] = [];
  const buffers: Buffer[] = [];
  let found = 0;
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + 4 > bytes.length) {
      const message = `BYTES element ${found} starts at byte ${offset} of ${bytes.length}, too few for its 4-byte length`;
      throw fail('ERR_TENSOR_DATA', message);
    }
    const length = view.getUint32(offset, true);
    const start = offset + 4;
    offset = start + length;
    if (offset > bytes.length) {
      const remain = `only ${bytes.length - start} of its binary data remain`;
      throw fail('ERR_TENSOR_DATA', `BYTES element ${found} declares ${length} bytes but ${remain}`);
    }
    if (found < count && as === 'buffer') buffers.push(bytes.subarray(start, offset));
    else if (found < count)
      strings.push(
        utf8(bytes, start, offset, () => fail('ERR_TENSOR_DATA', `BYTES element ${found} is not valid UTF-8`)),
      );
    found++;
  }
  if (found !== count)
    throw fail('ERR_TENSOR_SHAPE', `shape holds ${count} elements but its BYTES binary data has ${found}`);
  return as === 'buffer' ? buffers : strings;
}

/** Invalid UTF-8 decodes to U+FFFD, so only a string holding one needs the strict check. */
function utf8(bytes: Buffer, start: number, end: number, invalid: () => SluiceError): string {
  const text = bytes.toString('utf8', start, end);
  if (text.includes('\uFFFD') && !isUtf8(bytes.subarray(start, end))) throw invalid();
  return text;
}

/** BYTES elements in wire form, written into one allocation. */
export function encodeBytes(elements: readonly string[] | readonly Buffer[]): Buffer {
  const lengths = elements.map((element) =>
    typeof element === 'string' ? Buffer.byteLength(element, 'utf8') : element.length,
  );
  const out = Buffer.allocUnsafe(lengths.reduce((sum, length) => sum + 4 + length, 0));
  let offset = 0;
  elements.forEach((element, index) => {
    const length = lengths[index] ?? 0;
    out.writeUInt32LE(length, offset);
    offset += 4;
    if (typeof element === 'string') out.write(element, offset, 'utf8');
    else element.copy(out, offset);
    offset += length;
  });
  return out;
}

/** IEEE 754 half precision bits as a number. */
export function fp16BitsToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

const bf16Scratch = new Float32Array(1);
const bf16ScratchBits = new Uint32Array(bf16Scratch.buffer);

/** bfloat16 bits (the top half of an FP32) as a number. */
export function bf16BitsToNumber(bits: number): number {
  bf16ScratchBits[0] = (bits & 0xffff) << 16;
  return bf16Scratch[0] ?? NaN;
}

/**
 * A tensor's elements as the JSON `data` the protocol carries: booleans for BOOL, numbers
 * for FP16/BF16 bits and 64-bit integers (exact only up to 2^53), strings for BYTES.
 * One JS value per element, so it is for JSON tensors and bridges, not the binary path.
 */
export function jsonData(datatype: BinaryDatatype, data: BinaryTensorData): Array<number | boolean | string> {
  if (!ArrayBuffer.isView(data)) return data.map((element: string | Buffer) => element.toString());
  if (datatype === 'BOOL') return Array.from(data as Uint8Array, (value) => value !== 0);
  if (datatype === 'FP16') return Array.from(data as Uint16Array, fp16BitsToNumber);
  if (datatype === 'BF16') return Array.from(data as Uint16Array, bf16BitsToNumber);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Array.from(data, Number);
  return Array.from(data as Exclude<FixedTensorData, BigInt64Array | BigUint64Array>);
}
