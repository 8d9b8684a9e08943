import onnxProto from "onnx-proto";

/**
 * A small builder for ONNX graphs (opset 13) over the protobuf classes of `onnx-proto`: enough to
 * rebuild a network from its architecture and weights. Float32 tensors are stored as little-endian
 * raw data, so the same inputs always encode to the same bytes.
 */
const { onnx } = onnxProto;

const FLOAT = 1;
const INT64 = 7;

type Attribute = number | readonly number[] | string;

export class OnnxGraph {
  private readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  private readonly initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  private counter = 0;

  constructor(private readonly name: string) {}

  /** A fresh value name with a readable prefix. */
  fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  constant(name: string, dims: readonly number[], values: Float32Array): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (count !== values.length) throw new RangeError(`${name}: ${values.length} values for dims ${dims.join("x")}`);
    const raw = Buffer.alloc(values.length * 4);
    values.forEach((v, i) => raw.writeFloatLE(v, i * 4));
    this.initializers.push(onnx.TensorProto.create({ name, dims: [...dims], dataType: FLOAT, rawData: raw }));
    return name;
  }

  int64Constant(name: string, values: readonly number[]): string {
    const raw = Buffer.alloc(values.length * 8);
    values.forEach((v, i) => raw.writeBigInt64LE(BigInt(v), i * 8));
    this.initializers.push(onnx.TensorProto.create({ name, dims: [values.length], dataType: INT64, rawData: raw }));
    return name;
  }

  node(opType: string, inputs: readonly string[], attributes: Record<string, Attribute> = {}, output = this.fresh(opType.toLowerCase())): string {
    const attribute = Object.entries(attributes).map(([name, value]) => {
      if (typeof value === "number") return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i: value });
      if (typeof value === "string") return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.STRING, s: Buffer.from(value) });
      return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: [...value] });
    });
    this.nodes.push(onnx.NodeProto.create({ opType, input: [...inputs], output: [output], name: output, attribute }));
    return output;
  }

  /** A dimension given as a string is symbolic (dim_param): the batch size, chosen per run. */
  encode(input: { name: string; dims: readonly (number | string)[] }, output: { name: string; dims: readonly (number | string)[] }, producer: string): Buffer {
    const valueInfo = (v: { name: string; dims: readonly (number | string)[] }): InstanceType<typeof onnx.ValueInfoProto> =>
      onnx.ValueInfoProto.create({
        name: v.name,
        type: { tensorType: { elemType: FLOAT, shape: { dim: v.dims.map((d) => (typeof d === "string" ? { dimParam: d } : { dimValue: d })) } } },
      });
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: producer,
      opsetImport: [{ domain: "", version: 13 }],
      graph: onnx.GraphProto.create({
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: [valueInfo(input)],
        output: [valueInfo(output)],
      }),
    });
    return Buffer.from(onnx.ModelProto.encode(model).finish());
  }
}
