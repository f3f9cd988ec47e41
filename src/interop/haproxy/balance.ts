/**
 * `balance` → algorithm. HAProxy's roundrobin, static-rr and leastconn are always weighted:
 * with equal weights they read as round-robin / least-connections, otherwise as the weighted
 * variants (draft.ts, byWeights). `random` is power-of-two-choices (2 draws by default),
 * `source` is client-address hashing (Maglev), and what has no counterpart is reported with the
 * closest algorithm chosen.
 */

import { byWeights } from '../draft.js';
import { ImportError } from '../errors.js';
import type { ImportReport } from '../report.js';
import { directiveText } from '../syntax.js';
import type { Algorithm, HashKey } from '../../protocol/rules/model.js';
import type { ProxyConfig } from './proxy.js';

const CONTENT_HASHES = ['uri', 'url_param', 'hdr', 'rdp-cookie', 'hash'];

export function algorithmOf(backend: ProxyConfig, weights: readonly number[], report: ImportReport): { algorithm: Algorithm; hashKey: HashKey } {
  const balance = backend.balance;
  const rr = byWeights(weights, 'round-robin', 'weighted-round-robin');
  if (balance === undefined) return { algorithm: rr, hashKey: 'source-ip' };
  const { algorithm, arg } = balance.value;
  const at = balance.at;
  const note = (reason: string) => report.omit(at.line, directiveText(at), reason);
  switch (algorithm) {
    case 'roundrobin':
    case 'static-rr':
      return { algorithm: rr, hashKey: 'source-ip' };
    case 'leastconn':
      return { algorithm: byWeights(weights, 'least-connections', 'weighted-least-connections'), hashKey: 'source-ip' };
    case 'random': {
      const draws = arg === null || arg === '' ? 2 : Number(arg);
      if (draws !== 2) note(`random with ${arg} draws: Fulcrum's two-choices always draws 2`);
      return { algorithm: 'two-choices', hashKey: 'source-ip' };
    }
    case 'source': {
      const hashType = backend.hashType;
      if (hashType === undefined || !hashType.value.startsWith('consistent')) {
        const where = hashType?.at ?? at;
        report.omit(
          where.line,
          directiveText(where),
          "map-based hashing (HAProxy's default) moves most clients when a server changes; Maglev, imported here, moves few",
        );
      }
      return { algorithm: 'maglev', hashKey: 'source-ip' };
    }
    case 'first':
      note(`"first" fills servers in order up to their maxconn; no Fulcrum algorithm does that, ${rr} is used`);
      return { algorithm: rr, hashKey: 'source-ip' };
    default:
      if (CONTENT_HASHES.includes(algorithm)) {
        note('hashing on request content is not carried; hashing on the client address (maglev, source-ip) is used instead');
        return { algorithm: 'maglev', hashKey: 'source-ip' };
      }
      throw new ImportError(report.file, at.line, at.words[1]?.column ?? at.column, `unknown balance algorithm "${algorithm}"`);
  }
}
