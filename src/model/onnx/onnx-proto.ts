/**
 * The subset of the ONNX protobuf schema (onnx/onnx.proto, IR version 8) that Duet writes, as a
 * protobufjs JSON descriptor, and a small graph builder on top of it. Field numbers are the
 * published standard's; only the messages and fields an inference graph of plain tensors needs
 * are declared (a reader skips nothing it needs: unknown fields are never written).
 */
import protobuf from 'protobufjs/light.js';

/** TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, INT64: 7 } as const;
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

/** AttributeProto.AttributeType values used here. */
const AttributeType = { FLOAT: 1, INT: 2, INTS: 7, TENSOR: 4 } as const;

/** IR version 8 (ONNX 1.10+), read by every onnxruntime since 1.10; opset 17 brings LayerNormalization. */
export const IR_VERSION = 8;
export const OPSET = 17;

const descriptor = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            ir_version: { type: 'int64', id: 1 },
            producer_name: { type: 'string', id: 2 },
            producer_version: { type: 'string', id: 3 },
            domain: { type: 'string', id: 4 },
            model_version: { type: 'int64', id: 5 },
            doc_string: { type: 'string', id: 6 },
            graph: { type: 'GraphProto', id: 7 },
            opset_import: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 },
            metadata_props: { rule: 'repeated', type: 'StringStringEntryProto', id: 14 },
          },
        },
        OperatorSetIdProto: {
          fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } },
        },
        StringStringEntryProto: {
          fields: { key: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } },
        },
        GraphProto: {
          fields: {
            node: { rule: 'repeated', type: 'NodeProto', id: 1 },
            name: { type: 'string', id: 2 },
            initializer: { rule: 'repeated', type: 'TensorProto', id: 5 },
            doc_string: { type: 'string', id: 10 },
            input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 },
            output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: 'repeated', type: 'string', id: 1 },
            output: { rule: 'repeated', type: 'string', id: 2 },
            name: { type: 'string', id: 3 },
            op_type: { type: 'string', id: 4 },
            attribute: { rule: 'repeated', type: 'AttributeProto', id: 5 },
            domain: { type: 'string', id: 7 },
          },
        },
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            t: { type: 'TensorProto', id: 5 },
            ints: { rule: 'repeated', type: 'int64', id: 8, options: { packed: false } },
            type: { type: 'int32', id: 20 },
          },
        },
        TensorProto: {
          fields: {
            dims: { rule: 'repeated', type: 'int64', id: 1, options: { packed: false } },
            data_type: { type: 'int32', id: 2 },
            name: { type: 'string', id: 8 },
            raw_data: { type: 'bytes', id: 9 },
          },
        },
        ValueInfoProto: {
          fields: { name: { type: 'string', id: 1 }, type: { type: 'TypeProto', id: 2 } },
        },
        TypeProto: {
          fields: { tensor_type: { type: 'TypeProtoTensor', id: 1 } },
        },
        TypeProtoTensor: {
          fields: { elem_type: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } },
        },
        TensorShapeProto: {
          fields: { dim: { rule: 'repeated', type: 'Dimension', id: 1 } },
        },
        Dimension: {
          fields: { dim_value: { type: 'int64', id: 1 }, dim_param: { type: 'string', id: 2 } },
        },
      },
    },
  },
};

let modelType: protobuf.Type | undefined;

/** A tensor stored in the graph (weights and constants), little-endian raw bytes. */
export interface TensorMessage {
  name: string;
  dims: number[];
  data_type: DataTypeCode;
  raw_data: Uint8Array;
}

export interface NodeMessage {
  op_type: string;
  name: string;
  input: string[];
  output: string[];
  attribute: AttributeMessage[];
}

export interface AttributeMessage {
  name: string;
  type: number;
  f?: number;
  i?: number;
  ints?: number[];
  t?: TensorMessage;
}

/** One dimension of a graph input or output: a fixed size or a named (dynamic) one. */
export type Dim = number | string;

export interface ValueInfoMessage {
  name: string;
  type: { tensor_type: { elem_type: DataTypeCode; shape: { dim: ({ dim_value: number } | { dim_param: string })[] } } };
}

/** Attribute values a node may carry: numbers are ints unless wrapped with `float()`. */
export type AttributeValue = number | number[] | { float: number } | TensorMessage;

/** Mark an attribute value as a float (plain numbers are written as ints). */
export function float(value: number): { float: number } {
  return { float: value };
}

/**
 * Builds one ONNX graph: nodes in topological order (the order they are added), initializers,
 * typed inputs and outputs. Names of intermediate values are generated and unique.
 */
export class GraphBuilder {
  readonly nodes: NodeMessage[] = [];
  readonly initializers: TensorMessage[] = [];
  readonly inputs: ValueInfoMessage[] = [];
  readonly outputs: ValueInfoMessage[] = [];
  private counter = 0;
  private readonly constants = new Map<string, string>();

  /** Add a node; returns the names of its outputs (`outputs` of them, named after `hint`). */
  op(opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, outputs = 1, hint = opType): string[] {
    const id = this.counter++;
    const names = Array.from({ length: outputs }, (_, k) => `${hint}_${id}${outputs > 1 ? `_${k}` : ''}`);
    this.nodes.push({ op_type: opType, name: `${opType}_${id}`, input: inputs, output: names, attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)) });
    return names;
  }

  /** A node with exactly one output. */
  op1(opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, hint = opType): string {
    return this.op(opType, inputs, attributes, 1, hint)[0];
  }

  /** A float32 weight; `data` is referenced, not copied, until the model is encoded. */
  weight(name: string, dims: number[], data: Float32Array): string {
    const expected = dims.reduce((a, b) => a * b, 1);
    if (data.length !== expected) throw new Error(`tensor ${name} has ${data.length} values, expected [${dims}] = ${expected}`);
    this.initializers.push({ name, dims, data_type: DataType.FLOAT, raw_data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
    return name;
  }

  /** A float32 constant (scalar when `dims` is []), shared between uses. */
  floats(values: number[], dims: number[] = values.length === 1 ? [] : [values.length]): string {
    return this.constant(DataType.FLOAT, values, dims);
  }

  /** An int64 constant (1-D unless `dims` says otherwise), shared between uses. */
  ints(values: number[], dims: number[] = [values.length]): string {
    return this.constant(DataType.INT64, values, dims);
  }

  input(name: string, elemType: DataTypeCode, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  /** Expose `value` as the graph output `name` (an Identity node gives it the public name). */
  output(name: string, value: string, elemType: DataTypeCode, dims: Dim[]): void {
    this.nodes.push({ op_type: 'Identity', name: `output_${name}`, input: [value], output: [name], attribute: [] });
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  private constant(dataType: DataTypeCode, values: number[], dims: number[]): string {
    const key = `${dataType}:${dims.join('x')}:${values.join(',')}`;
    const known = this.constants.get(key);
    if (known) return known;
    const raw = dataType === DataType.FLOAT ? new Uint8Array(Float32Array.from(values).buffer) : new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer);
    const name = `const_${this.constants.size}`;
    this.initializers.push({ name, dims, data_type: dataType, raw_data: raw });
    this.constants.set(key, name);
    return name;
  }
}

function attribute(name: string, value: AttributeValue): AttributeMessage {
  if (typeof value === 'number') return { name, type: AttributeType.INT, i: value };
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
  if ('float' in value) return { name, type: AttributeType.FLOAT, f: value.float };
  return { name, type: AttributeType.TENSOR, t: value };
}

function valueInfo(name: string, elemType: DataTypeCode, dims: Dim[]): ValueInfoMessage {
  return {
    name,
    type: { tensor_type: { elem_type: elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } },
  };
}

/** Serialise a graph as an ONNX ModelProto (opset 17, default domain). */
export function encodeModel(graph: GraphBuilder, options: { name: string; docString?: string; metadata?: Record<string, string> }): Uint8Array {
  modelType ??= protobuf.Root.fromJSON(descriptor).lookupType('onnx.ModelProto');
  const message = {
    ir_version: IR_VERSION,
    producer_name: 'duet',
    producer_version: '1',
    doc_string: options.docString ?? '',
    graph: { node: graph.nodes, name: options.name, initializer: graph.initializers, input: graph.inputs, output: graph.outputs },
    opset_import: [{ domain: '', version: OPSET }],
    metadata_props: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
  };
  // Plain objects encode as they are; fromObject would copy every message first.
  return modelType.encode(message).finish();
}
