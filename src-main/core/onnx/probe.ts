// Which execution providers this machine can really use: ORT lists what its build can load, not
// what the hardware has (WebGPU ships with the app but needs a GPU adapter).
import { Graph } from './graph.ts';
import { listProviders, probeProvider, type Provider, type ProviderInfo } from './runtime.ts';

let tiny: Uint8Array | null = null;

/** A one-node model (Relu of one float) to try a provider with. */
function tinyModel(): Uint8Array {
  if (!tiny) {
    const g = new Graph('probe');
    const x = g.input('x', 'float32', [1]);
    g.output(g.node('Relu', [x], [{ dtype: 'float32', shape: [1] }])[0]!, 'y');
    tiny = g.toModel({ paramsAs: 'initializers' });
  }
  return tiny;
}

/** Every provider with whether it works here; bundled ones are tried (once per process), others are not. */
export async function providersHere(): Promise<ProviderInfo[]> {
  return Promise.all(listProviders().map(async (p) => (p.bundled || p.name === 'cpu' ? { ...p, ...(await probeProvider(p.name, tinyModel())) } : p)));
}

/** Whether one provider works here (tried once per process), with ORT's reason when it does not. */
export function providerUsable(provider: Provider): Promise<{ usable: boolean; reason?: string }> {
  return probeProvider(provider, tinyModel());
}
