// altmoe-media://media/<item id>, altmoe-media://thumb/<item id> and .../preview/<item id> (large): the renderer's only way to read
// files, limited to catalog items under their registered dataset roots (see core/service/media.ts).
import { Readable } from 'node:stream';
import { protocol } from 'electron';
import type { Catalog } from '../core/catalog/catalog.ts';
import { MediaError, mediaHeaders, mediaStream, PREVIEW_SIZE, thumbnail } from '../core/service/media.ts';

export const MEDIA_SCHEME = 'altmoe-media';

/** Must run before the app is ready. */
export function registerMediaScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: MEDIA_SCHEME, privileges: { standard: true, secure: true, stream: true, supportFetchAPI: true } }]);
}

export function handleMediaProtocol(catalog: Catalog): void {
  protocol.handle(MEDIA_SCHEME, async (request) => {
    const url = new URL(request.url);
    const id = Number(url.pathname.replace(/^\//, ''));
    try {
      if (url.hostname === 'thumb' || url.hostname === 'preview') return new Response(new Uint8Array(await thumbnail(catalog, id, url.hostname === 'preview' ? PREVIEW_SIZE : undefined)), { headers: { 'content-type': 'image/webp', 'x-content-type-options': 'nosniff' } });
      if (url.hostname === 'media') {
        const { stream, type, size } = mediaStream(catalog, id);
        // The same rules as the server: sandboxed, nosniff, and SVG or unknown types only as downloads.
        return new Response(Readable.toWeb(stream) as ReadableStream, { headers: { ...mediaHeaders(type), 'content-length': String(size) } });
      }
      return new Response('not found', { status: 404 });
    } catch (err) {
      return new Response(err instanceof Error ? err.message : 'error', { status: err instanceof MediaError ? err.status : 500 });
    }
  });
}
