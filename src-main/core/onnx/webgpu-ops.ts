// The ONNX operators that have a WebGPU kernel in the onnxruntime-node we ship (1.30), so graphs
// can be checked before a GPU is at hand: ONNX Runtime quietly runs a node without a kernel on the
// CPU, with copies between the devices around it. The list was read from the kernel classes in
// the package's libonnxruntime.so (their RTTI names, `strings libonnxruntime.so.1 | grep
// N11onnxruntime6webgpu`), and matches the registry in ORT's webgpu_execution_provider.cc. Absent,
// among the operators our graphs used to hold: NonZero, ConstantOfShape, Sign, Loop.
// test/onnx/webgpu-ops.test.ts keeps the training graphs inside it; the partition report
// (partition.ts) is the measured truth on a machine with a GPU.
import { ModelProto } from './proto.ts';

export const WEBGPU_OPS: ReadonlySet<string> = new Set(
  [
    // element-wise
    'Abs Acos Acosh Add And Asin Asinh Atan Atanh Cast Ceil Clip Cos Cosh Div Elu Equal Erf Exp Floor Gelu',
    'Greater GreaterOrEqual HardSigmoid HardSwish LeakyRelu Less LessOrEqual Log Max Min Mul Neg Not Pow',
    'PRelu QuickGelu Reciprocal Relu Sigmoid Sin Sinh Softplus Sqrt Sub Tan Tanh ThresholdedRelu Where',
    // reductions and math
    'ArgMax ArgMin CumSum DFT Einsum Gemm MatMul ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp ReduceMax',
    'ReduceMean ReduceMin ReduceProd ReduceSum ReduceSumSquare Softmax TopK',
    // tensors
    'Concat DepthToSpace Expand Flatten Gather GatherElements GatherND GridSample Identity Pad Range',
    'Reshape Resize ScatterElements ScatterND Shape Slice Split Squeeze Tile Transpose Trilu Unsqueeze Upsample',
    // networks, quantisation, control flow
    'AveragePool BatchNormalization Conv ConvTranspose GlobalAveragePool GlobalMaxPool GRU',
    'InstanceNormalization LayerNormalization LpNormalization LSTM MaxPool DequantizeLinear If',
  ]
    .join(' ')
    .split(' '),
);

interface ProtoNode {
  opType: string;
  domain?: string;
  attribute?: { g?: ProtoGraph; graphs?: ProtoGraph[] }[];
}
interface ProtoGraph {
  node?: ProtoNode[];
}

/** Node counts by operator, subgraphs (Loop / If bodies) included. */
export function opCounts(model: Uint8Array): Map<string, number> {
  const counts = new Map<string, number>();
  const walk = (g: ProtoGraph | undefined): void => {
    for (const n of g?.node ?? []) {
      const op = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.opType}` : n.opType;
      counts.set(op, (counts.get(op) ?? 0) + 1);
      for (const a of n.attribute ?? []) {
        walk(a.g);
        for (const sub of a.graphs ?? []) walk(sub);
      }
    }
  };
  walk((ModelProto.decode(model) as unknown as { graph: ProtoGraph }).graph);
  return counts;
}

/** The operators of a model that WebGPU has no kernel for, with their node counts (empty: none). */
export function opsWithoutWebGpuKernel(model: Uint8Array): { op: string; count: number }[] {
  return [...opCounts(model)].filter(([op]) => !WEBGPU_OPS.has(op)).map(([op, count]) => ({ op, count }));
}
