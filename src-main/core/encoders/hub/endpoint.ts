// Where encoders are pulled from and how: the Hugging Face Hub or a mirror (HF_ENDPOINT), a token for
// gated or private repositories (HF_TOKEN), and the usual proxy variables. Node's own fetch ignores
// HTTPS_PROXY, so with a proxy set requests go through undici's agent that reads them.
import { EnvHttpProxyAgent, fetch as undiciFetch } from 'undici';
import { EncoderError } from '../errors.ts';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

export interface HubAccess {
  /** The hub's base URL, without a trailing slash. */
  endpoint: string;
  token?: string;
  fetch: typeof fetch;
}

const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy'];

export function hubAccess(env: NodeJS.ProcessEnv = process.env, override: { endpoint?: string; token?: string } = {}): HubAccess {
  const raw = override.endpoint ?? env.HF_ENDPOINT ?? DEFAULT_ENDPOINT;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new EncoderError(`HF_ENDPOINT "${raw}" is not a URL (e.g. https://huggingface.co or a mirror's address)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new EncoderError(`HF_ENDPOINT "${raw}" must be an http(s) URL`);
  const token = override.token ?? env.HF_TOKEN ?? env.HUGGING_FACE_HUB_TOKEN;
  const proxied = PROXY_VARIABLES.some((v) => env[v]);
  const agent = proxied ? new EnvHttpProxyAgent() : null;
  const fetcher = agent ? ((input: string | URL | Request, init?: RequestInit) => undiciFetch(input as never, { ...(init as object), dispatcher: agent } as never)) as unknown as typeof fetch : globalThis.fetch;
  return { endpoint: url.href.replace(/\/+$/, ''), ...(token ? { token } : {}), fetch: fetcher };
}

/** Node's fetch hides the reason in `cause` (ECONNREFUSED, ENOTFOUND, a TLS error...). */
export function networkReason(err: unknown): string | null {
  if (!(err instanceof Error) || err.name === 'AbortError') return null;
  const cause = (err as Error & { cause?: { code?: string; message?: string } }).cause;
  if (err.message === 'fetch failed' || cause) return cause?.code ?? cause?.message ?? err.message;
  return null;
}

/** One line for a failed request: offline, refused, or a hub answer (not found, gated). */
export function hubError(err: unknown, access: HubAccess, what: string): Error {
  if (err instanceof EncoderError) return err;
  if (err instanceof Error && err.name === 'AbortError') return err;
  const reason = networkReason(err);
  if (reason) return new EncoderError(`cannot reach ${access.endpoint} (${reason}) to ${what}: check the network, a proxy (HTTPS_PROXY) or a mirror (HF_ENDPOINT)`);
  const status = (err as { statusCode?: number }).statusCode;
  if (status === 401 || status === 403) {
    return new EncoderError(`${access.endpoint} refused to ${what} (HTTP ${status}): the repository is private or gated; accept its terms on the hub and set HF_TOKEN${access.token ? ' (the token given was refused)' : ''}`);
  }
  if (status === 404) return new EncoderError(`${access.endpoint} has no such thing: cannot ${what} (HTTP 404)`);
  return new EncoderError(`cannot ${what} from ${access.endpoint}: ${(err as Error).message ?? String(err)}`);
}
