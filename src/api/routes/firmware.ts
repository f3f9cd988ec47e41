/**
 * The firmware catalog over HTTP: list it, add an image (the raw bytes), and fetch an image.
 *
 * Fetching an image needs no token. It is what an appliance pulls for a network upgrade, and
 * an appliance has no API token; the SHA-256 in the URL is the capability — whoever knows it
 * already knows exactly which bytes they will get, and an image is no secret from the box it
 * is meant for (every appliance verifies the signature itself, so a fetched image cannot be
 * used to install anything the appliance would not accept anyway). Listing the catalog, which
 * is how one learns the hashes, needs a token like every other route. Partial fetches
 * (`Range: bytes=N-`) let an interrupted download resume.
 */
import type { FastifyInstance } from 'fastify';
import { CatalogError, FirmwareCatalog } from '../../upgrade/catalog.js';
import { sha256, toHex } from '../../protocol/digest.js';
import { FirmwareImageError, MAX_IMAGE_SIZE } from '../../protocol/image/image.js';
import { noteChange } from '../audit.js';
import type { ApiContext } from '../context.js';
import { ApiError, notFound } from '../errors.js';
import { FirmwareImage, FirmwareList, Sha256Params } from '../firmware-schemas.js';
import { errors } from '../schemas.js';

const OCTETS = 'application/octet-stream';

/** A single `bytes=START-[END]` range over `size` bytes; null to send the whole; 'unsatisfiable' past the end. */
export function byteRange(header: string | undefined, size: number): { start: number; end: number } | null | 'unsatisfiable' {
  if (header === undefined) return null;
  const m = /^bytes=(\d{1,15})-(\d{0,15})$/.exec(header.trim());
  // Anything else (several ranges, suffix ranges) is answered with the whole image, as RFC 9110 allows.
  if (!m) return null;
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

export function firmwareRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const tags = ['firmware'];
  const catalog = new FirmwareCatalog(ctx.store.firmwareImages);

  app.addContentTypeParser(OCTETS, { parseAs: 'buffer', bodyLimit: MAX_IMAGE_SIZE + 1024 * 1024 }, (_request, body, done) => done(null, body));

  app.get('/firmware', { schema: { summary: 'The firmware catalog, newest first', tags, response: { 200: FirmwareList, ...errors(401) } } }, async () => ({
    images: await catalog.list(),
  }));

  app.post(
    '/firmware',
    {
      bodyLimit: MAX_IMAGE_SIZE + 1024 * 1024,
      schema: {
        summary: 'Add a firmware image to the catalog: the body is the image file (content-type application/octet-stream)',
        description:
          'The image must read as one whole, intact image; its signature is for each appliance to check. 201 when added, 200 when the catalog already held it. ' +
          'A bad image is 400 invalidImage with the check that failed in `details.imageError` (badMagic, badHash, badTrailer, tooLarge…).',
        tags,
        consumes: [OCTETS],
        response: { 200: FirmwareImage, 201: FirmwareImage, ...errors(400, 401, 403, 413, 415) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      if (!Buffer.isBuffer(body)) throw new ApiError(415, 'unsupportedMediaType', `send the image file itself with content-type ${OCTETS}`);
      if (body.length === 0) throw new ApiError(400, 'invalidImage', 'the body is empty: send the image file', { imageError: 'truncated' });
      const hash = toHex(sha256(body));
      const known = (await catalog.entry(hash)) !== null;
      noteChange(request, { detail: { sha256: hash, size: body.length } });
      let record;
      try {
        record = await catalog.add(new Uint8Array(body.buffer, body.byteOffset, body.length));
      } catch (err) {
        if (err instanceof FirmwareImageError)
          throw new ApiError(400, 'invalidImage', `not a valid firmware image: ${err.message} [${err.code}]`, { imageError: err.code });
        throw err;
      }
      noteChange(request, { detail: { version: record.version } });
      return reply.code(known ? 200 : 201).send(record);
    },
  );

  app.get<{ Params: Sha256Params }>(
    '/firmware/:sha256',
    { schema: { summary: "One image's catalog entry", tags, params: Sha256Params, response: { 200: FirmwareImage, ...errors(400, 401, 404) } } },
    async (request) => {
      const record = await catalog.entry(request.params.sha256);
      if (!record) throw notFound(`no firmware image ${request.params.sha256} in the catalog (GET /api/v1/firmware lists them)`);
      return record;
    },
  );

  app.get<{ Params: Sha256Params }>(
    '/firmware/:sha256/image',
    {
      config: { public: true },
      schema: {
        summary: 'The image file, as an appliance pulls it for a network upgrade; needs no token: the SHA-256 in the URL is the capability',
        description: 'Supports `Range: bytes=START-[END]` (206) so an interrupted download resumes. ETag is the SHA-256.',
        tags,
        security: [],
        params: Sha256Params,
        produces: [OCTETS],
        response: { ...errors(400, 404, 416) },
      },
    },
    async (request, reply) => {
      const { sha256: hash } = request.params;
      let bytes: Uint8Array;
      try {
        bytes = await catalog.get(hash);
      } catch (err) {
        if (!(err instanceof CatalogError)) throw err;
        // The caller may hold no token: say what is missing, not where the agent keeps its files.
        request.log.warn({ err: err.message }, 'firmware image not served');
        if (err.code === 'damaged') throw new ApiError(500, 'imageDamaged', `firmware image ${hash} is damaged in the catalog: add it again`);
        throw notFound(`no firmware image ${hash}`);
      }
      const range = byteRange(request.headers.range, bytes.length);
      void reply.header('etag', `"${hash}"`).header('accept-ranges', 'bytes').header('cache-control', 'public, max-age=31536000, immutable').type(OCTETS);
      if (range === 'unsatisfiable') {
        void reply.header('content-range', `bytes */${bytes.length}`);
        throw new ApiError(416, 'rangeNotSatisfiable', `the image has ${bytes.length} bytes`);
      }
      if (range === null) return reply.send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
      return reply
        .code(206)
        .header('content-range', `bytes ${range.start}-${range.end}/${bytes.length}`)
        .send(Buffer.from(bytes.buffer, bytes.byteOffset + range.start, range.end - range.start + 1));
    },
  );
}
