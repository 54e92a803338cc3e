/**
 * A small builder for ONNX graphs: declare inputs and outputs, add initializers
 * and nodes, and get the ModelProto bytes. Node names are numbered in insertion
 * order, so the same calls always produce the same bytes.
 */
import {
  encodeOnnxModel,
  ONNX_IR_VERSION,
  ONNX_OPSET,
  OnnxAttributeType,
  OnnxDataType,
  type OnnxAttribute,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensor,
  type OnnxValueInfo,
} from './onnx-proto.ts';

/** A dimension: a fixed size, or a name for a size known only at run time ("batch"). */
export type GraphDim = number | string;

export type AttributeValue = number | { float: number } | readonly number[];

export interface ModelMetadata {
  readonly docString: string;
  readonly producerVersion: string;
  readonly modelVersion: number;
  readonly properties: Readonly<Record<string, string>>;
}

export class GraphBuilder {
  private readonly nodes: OnnxNode[] = [];
  private readonly initializers: OnnxTensor[] = [];
  private readonly inputs: OnnxValueInfo[] = [];
  private readonly outputs: OnnxValueInfo[] = [];

  constructor(private readonly name: string) {}

  input(name: string, dataType: OnnxDataType, dims: readonly GraphDim[]): string {
    this.inputs.push(valueInfo(name, dataType, dims));
    return name;
  }

  output(name: string, dataType: OnnxDataType, dims: readonly GraphDim[]): string {
    this.outputs.push(valueInfo(name, dataType, dims));
    return name;
  }

  floatTensor(name: string, data: Float32Array, dims: readonly number[]): string {
    return this.initializer(
      name,
      OnnxDataType.FLOAT,
      dims,
      littleEndianBytes(data, 4, (view, offset, value) => view.setFloat32(offset, value, true)),
    );
  }

  int64Tensor(name: string, values: readonly number[]): string {
    const data = new Float64Array(values);
    return this.initializer(
      name,
      OnnxDataType.INT64,
      [values.length],
      littleEndianBytes(data, 8, (view, offset, value) => view.setBigInt64(offset, BigInt(value), true)),
    );
  }

  /** Adds a node and returns its first output's name (outputs default to "<op>_<n>"). */
  node(
    opType: string,
    inputs: readonly string[],
    attributes: Readonly<Record<string, AttributeValue>> = {},
    outputs?: readonly string[],
  ): string {
    const nodeName = `${opType}_${this.nodes.length}`;
    const outputNames = outputs ?? [nodeName];
    this.nodes.push({
      name: nodeName,
      op_type: opType,
      input: [...inputs],
      output: [...outputNames],
      attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)),
    });
    return outputNames[0] ?? nodeName;
  }

  toBytes(metadata: ModelMetadata): Uint8Array {
    const model: OnnxModel = {
      ir_version: ONNX_IR_VERSION,
      producer_name: 'sluice',
      producer_version: metadata.producerVersion,
      model_version: metadata.modelVersion,
      doc_string: metadata.docString,
      opset_import: [{ domain: '', version: ONNX_OPSET }],
      metadata_props: Object.entries(metadata.properties).map(([key, value]) => ({ key, value })),
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    };
    return encodeOnnxModel(model);
  }

  private initializer(name: string, dataType: OnnxDataType, dims: readonly number[], raw: Uint8Array): string {
    this.initializers.push({ name, data_type: dataType, dims: [...dims], raw_data: raw });
    return name;
  }
}

function valueInfo(name: string, dataType: OnnxDataType, dims: readonly GraphDim[]): OnnxValueInfo {
  const dim = dims.map((size) => (typeof size === 'number' ? { dim_value: size } : { dim_param: size }));
  return { name, type: { tensor_type: { elem_type: dataType, shape: { dim } } } };
}

function attribute(name: string, value: AttributeValue): OnnxAttribute {
  if (typeof value === 'number') return { name, type: OnnxAttributeType.INT, i: value };
  if ('float' in value) return { name, type: OnnxAttributeType.FLOAT, f: value.float };
  return { name, type: OnnxAttributeType.INTS, ints: [...value] };
}

/** ONNX raw_data is little-endian whatever the host; DataView makes that explicit. */
function littleEndianBytes(
  data: Float32Array | Float64Array,
  width: number,
  write: (view: DataView, offset: number, value: number) => void,
): Uint8Array {
  const bytes = new Uint8Array(data.length * width);
  const view = new DataView(bytes.buffer);
  for (let index = 0; index < data.length; index++) write(view, index * width, data[index] ?? 0);
  return bytes;
}
