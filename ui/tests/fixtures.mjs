// Test data for the mocked UI: accounts on two servers, a history, server logos and visual
// hashes drawn as small PNGs (no image files in the repository).
import zlib from 'node:zlib';

function crc32(buf) {
  let c, crc = 0xffffffff;
  for (let n = 0; n < buf.length; n++) {
    c = (crc ^ buf[n]) & 0xff;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crc = (crc >>> 8) ^ c;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
/** An RGBA PNG, base64, from `pixel(x, y) -> [r, g, b, a]`. */
export function png(w, h, pixel) {
  const raw = Buffer.alloc((w * 4 + 1) * h);
  for (let y = 0; y < h; y++) {
    raw[y * (w * 4 + 1)] = 0;
    for (let x = 0; x < w; x++) {
      const [r, g, b, a] = pixel(x, y);
      raw.set([r, g, b, a], y * (w * 4 + 1) + 1 + x * 4);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]).toString('base64');
}

/** A symmetric 8x8-cell "visual hash" in a few colours, like the protocol's vash. */
function vash(seed) {
  const colours = [[53, 88, 230], [255, 183, 3], [33, 158, 188], [230, 57, 70], [42, 157, 143]];
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const cells = Array.from({ length: 8 }, () => Array.from({ length: 4 }, () => Math.floor(rnd() * 6)));
  return png(64, 64, (x, y) => {
    const cx = Math.floor(x / 8), cy = Math.floor(y / 8);
    const v = cells[cy][cx < 4 ? cx : 7 - cx];
    return v === 5 ? [255, 255, 255, 255] : [...colours[v], 255];
  });
}

/** A round logo in one colour. */
function roundLogo(rgb) {
  return png(64, 64, (x, y) => {
    const d = Math.hypot(x - 31.5, y - 31.5);
    if (d > 30) return [0, 0, 0, 0];
    const ring = d > 18 && d < 24;
    return ring ? [255, 255, 255, 255] : [...rgb, 255];
  });
}

/** The moment the fixtures describe; pages see this time (their clock is fixed at it). */
export const now = Math.floor(Date.now() / 1000);
const ACME = 'QWNtZVNlcnZlcklkMDAx';
const BANK = 'QmFua1NlcnZlcklkMDAy';

export const servers = {
  [ACME]: {
    serverId: ACME, name: 'Acme', logo: roundLogo([53, 88, 230]), siteUrl: 'https://acme.example',
    pingTime: 0, pinTimeout: 15, requiresPin: true, visualHash: vash(7),
  },
  [BANK]: {
    serverId: BANK, name: 'Northwind Bank', logo: roundLogo([42, 157, 143]), siteUrl: 'https://bank.example',
    pingTime: 30, pinTimeout: 0, requiresPin: true, visualHash: vash(11),
  },
};

const acct = (id, serverId, displayName, created, lastLogin) => ({
  id, serverId, serverName: servers[serverId].name, displayName, created, lastLogin, hasPin: true, pendingDelete: false,
});

export const accounts = [
  acct('a1', ACME, 'alice@acme.example', now - 86400 * 40, now - 600),
  acct('a2', ACME, 'Alice (admin)', now - 86400 * 12, null),
  acct('b1', BANK, 'Alice Example', now - 86400 * 100, now - 86400 * 2),
];

const kinds = [
  ['LOGIN', 'LOGGED_IN_ONE_SHOT', ''],
  ['LOGIN', 'ABORTED', ''],
  ['SIGN_TRANSACTION', 'APPROVED', '120.00 EUR to Contoso Ltd'],
  ['LOGIN', 'ERROR', 'the server could not be reached'],
  ['ENROL', 'ENROLLED', ''],
];
export const history = Array.from({ length: 60 }, (_, n) => {
  const [kind, status, detail] = kinds[n % kinds.length];
  const account = accounts[n % 3];
  return {
    id: n + 1, at: now - (60 - n) * 3600, kind, status,
    serverId: account.serverId, serverName: account.serverName,
    accountId: account.id, accountName: account.displayName,
    announce: kind === 'LOGIN' ? { info: [], logo: '', ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0' } : null,
    errorCode: status === 'ERROR' ? 120 : null, detail,
  };
});

/** Messages from the websites' message centres (deliberately not in order: the UI sorts). */
export const messages = [
  {
    id: 'bXNnLTI', accountId: 'b1', received: now - 3600 * 5, read: true, title: 'New payee added',
    body: 'Contoso Ltd was added to your payees. If this was not you, call us on 0800 123 456.',
  },
  {
    id: 'bXNnLTE', accountId: 'a1', received: now - 300, read: true, title: 'Your order has shipped',
    body: 'Order #4711 left our warehouse today.\nTrack it in your account.',
  },
  {
    id: 'bXNnLTA', accountId: 'gone', received: now - 86400 * 3, read: true, title: 'Welcome to Acme',
    body: 'Thanks for signing up.',
  },
];

export const info = {
  name: 'nextAuth', version: '0.1.0', tauriVersion: '2.12.5', webviewVersion: '2.48.7', platform: 'linux',
  dataDir: '/home/alice/.local/share/io.github.nextauth_rs.app', keystore: 'os-keychain', screenCapture: true, camera: false, startOnLogin: true, tray: true, linkHandler: true, globalScanShortcut: true,
};

export const ids = { ACME, BANK };

/** The checks of a login or transaction prompt (LoginCheck): the number asked, what the
 *  server saw of the browser, the relay warning (its network differs then, by default). */
export function check({ number = { type: 'NONE' }, relayWarning = false, source = 'CAMERA', observed = {} } = {}) {
  return {
    number, relayWarning, source,
    observed: {
      ip: '198.51.100.23', browser: 'Firefox 128 on Linux', location: 'Amsterdam, Netherlands', seenAt: now - 4,
      networkDiffers: relayWarning, ...observed,
    },
  };
}

/** A history entry for a login reported with "This was not me" (newest of all). */
export const notMeEntry = {
  id: 61, at: now - 120, kind: 'LOGIN', status: 'NOT_ME',
  serverId: ACME, serverName: 'Acme', accountId: 'a1', accountName: 'alice@acme.example',
  announce: { info: [], logo: '', ip: '203.0.113.99', userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36' },
  errorCode: null, detail: '',
};

/** A flow in a given state. */
export function flow(kind, state, interaction = null, extra = {}) {
  return { id: extra.id ?? `flow-${kind}`, kind, state, interaction, server: servers[extra.serverId ?? ACME], account: extra.account ?? null, error: extra.error ?? null };
}

export function fixtures(overrides = {}) {
  return { info, settings: { notifications: true, theme: 'system', startOnLogin: false, keepInBackground: true, openLinks: false, askPinForLogins: false, askPinForTransactions: true, linkPrefixes: [], camera: null }, accounts, servers, history, messages, ...overrides };
}
