// A stand-in for the Tauri bridge (window.__TAURI__ with withGlobalTauri), so the built UI
// runs in a plain browser. It answers every command of src-tauri/src/commands from an
// in-memory model and emits `sdk://event` like the real events bridge. Tests drive it
// through window.__mock (show flows, inspect calls, override commands).
//
// Loaded with the fixtures in window.__MOCK_FIXTURES__ (see ui/tests/fixtures.mjs) and the IPC
// contract in window.__CONTRACT__ (ui/src/bindings/contract.json, generated from
// src-tauri/src/contract.rs): it answers exactly the contract's commands, refuses arguments the
// contract does not name, and takes event names and error codes from it.
(() => {
  const fx = window.__MOCK_FIXTURES__ || {};
  const { commands: contract, events, codes } = window.__CONTRACT__;
  const listeners = {};
  const clone = (v) => (v === undefined ? v : JSON.parse(JSON.stringify(v)));
  const mock = {
    calls: [],
    info: clone(fx.info),
    settings: clone(fx.settings) || { notifications: true, theme: 'system', startOnLogin: false, keepInBackground: true, openLinks: false, askPinForLogins: false, askPinForTransactions: true, linkPrefixes: [], camera: null },
    accounts: clone(fx.accounts) || [],
    servers: clone(fx.servers) || {},
    history: clone(fx.history) || [],
    messages: clone(fx.messages) || [],
    sessions: clone(fx.sessions) || [],
    ready: clone(fx.ready) || { flow: null, notices: [] },
    current: null,
    /** Push pauses set with account_pause_push: accountId -> until (Unix seconds). */
    paused: {},
    /** Per-command overrides: name -> (args) => result (throw {code, message} to reject). */
    overrides: {},
    /** Per-command latency: name -> (args) => milliseconds (answers can then overtake each other). */
    delays: {},
    /** Commands answered so far, in the order they answered. */
    answered: [],
    /** What a start command (scan, link) returns and then emits, in order. */
    nextFlow: null,
    /** FLOW_UPDATEs a start command has scheduled and not emitted yet. */
    pending: 0,
    emit(name, payload) {
      for (const cb of listeners[name] || []) cb({ event: name, id: 0, payload: clone(payload) });
    },
    /** Emits a FLOW_UPDATE. */
    show(flow) {
      mock.current = flow;
      mock.emit(events.SDK_EVENT, { type: 'FLOW_UPDATE', flow });
    },
    answers() {
      // An approval's PIN travels beside the answer (approvalPin); recorded with it.
      return mock.calls
        .filter(([c]) => c === 'flow_respond')
        .map(([, a]) => (a.approvalPin == null ? a.answer : { ...a.answer, approvalPin: a.approvalPin }));
    },
    /** A 64x48 greyscale camera preview: a gradient that moves with `n`. */
    previewFrame(n) {
      const [w, hgt] = [64, 48];
      let bytes = '';
      for (let y = 0; y < hgt; y++) for (let x = 0; x < w; x++) bytes += String.fromCharCode((x * 4 + y + n * 8) & 255);
      return { width: w, height: hgt, luma: btoa(bytes) };
    },
    /** The https link prefixes the servers announce (settings_server_link_prefixes). */
    serverLinkPrefixes: clone(fx.serverLinkPrefixes) || [],
    /** The app's own login (AppLogin): LOCKED, UNLOCKING, UNLOCKED. */
    appLogin: { state: 'LOCKED', flowId: null },
    /** Called for each flow_respond; default: nothing (tests emit what follows). */
    onRespond: null,
  };
  const reject = (code, message) => {
    throw { code, message };
  };
  const startFlow = () => {
    const steps = mock.nextFlow;
    if (!steps || !steps.length) reject(codes.NO_QR_CODE, 'no QR code was found in the image');
    const [first, ...rest] = steps;
    mock.current = first;
    // Updates still to come from this start (harness.show waits for them: the SDK sends a
    // flow's updates in order, so a test's next update must not overtake them).
    mock.pending += 1 + rest.length;
    setTimeout(() => {
      mock.emit(events.SDK_EVENT, { type: 'FLOW_UPDATE', flow: first });
      mock.pending--;
      rest.forEach((f, i) =>
        setTimeout(() => {
          mock.show(f);
          mock.pending--;
        }, 30 * (i + 1)),
      );
    }, 10);
    return first;
  };
  const commands = {
    app_info: () => mock.info,
    app_ready: () => mock.ready,
    app_startup_error: () => clone(fx.startupError) || null,
    settings_get: () => mock.settings,
    settings_update: ({ settings }) => (mock.settings = settings),
    account_list: () => mock.accounts,
    account_detail: ({ accountId }) => {
      const account = mock.accounts.find((a) => a.id === accountId) || reject(codes.UNKNOWN_ACCOUNT, 'no such account');
      return { account, server: mock.servers[account.serverId] || null };
    },
    account_delete: ({ accountId }) => {
      mock.accounts = mock.accounts.filter((a) => a.id !== accountId);
      setTimeout(() => mock.emit(events.SDK_EVENT, { type: 'ACCOUNT_DELETED', accountId, byServer: false }), 10);
      return { serverConfirmed: true };
    },
    history_list: ({ filter }) => {
      let rows = mock.history.slice().sort((a, b) => b.id - a.id);
      if (filter.beforeId != null) rows = rows.filter((e) => e.id < filter.beforeId);
      if (filter.serverId) rows = rows.filter((e) => e.serverId === filter.serverId);
      if (filter.status) rows = rows.filter((e) => e.status === filter.status);
      const limit = filter.limit || 50;
      return { entries: rows.slice(0, limit), more: rows.length > limit };
    },
    message_list: () => mock.messages,
    message_mark_read: () => {
      const n = mock.messages.filter((m) => !m.read).length;
      mock.messages = mock.messages.map((m) => ({ ...m, read: true }));
      return n;
    },
    message_delete: ({ messageId }) => {
      const before = mock.messages.length;
      mock.messages = mock.messages.filter((m) => m.id !== messageId);
      return mock.messages.length < before;
    },
    session_list: () => mock.sessions,
    session_logout: ({ sessionId }) => {
      const session = mock.sessions.find((x) => x.id === sessionId) || reject(codes.UNKNOWN_FLOW, 'no such flow');
      mock.sessions = mock.sessions.filter((x) => x.id !== sessionId);
      setTimeout(
        () => mock.emit(events.SDK_EVENT, { type: 'SESSION_UPDATE', session: { ...session, state: 'LOGGED_OUT' } }),
        10,
      );
      return null;
    },
    flow_current: () => mock.current,
    flow_start_link: ({ link }) => (link.startsWith('nextauth:') ? startFlow() : reject(codes.MALFORMED, 'the link is not valid')),
    flow_respond: (args) => {
      // An approval with the PIN first (Settings): the app checks it with a server.
      if (args.answer.type === 'CONFIRM' && args.approvalPin != null && args.approvalPin !== '2468') {
        reject(codes.WRONG_PIN, 'wrong PIN (2 attempts left)');
      }
      if (mock.onRespond) mock.onRespond(args.answer, args.flowId);
      return null;
    },
    flow_stop: () => null,
    // mock.screenChoices: several nextAuth codes on the screen, for the person to choose.
    scan_screen: () => (mock.screenChoices ? { flow: null, choices: mock.screenChoices } : { flow: startFlow(), choices: [] }),
    scan_image: () => startFlow(),
    scan_image_data: ({ data }) => (data ? startFlow() : reject(codes.IMAGE_UNREADABLE, 'the image cannot be read')),
    // With info.camera: previews every 40 ms until scan_cancel (307), or a code after three
    // frames when mock.cameraFinds is set.
    // mock.cameras: what camera_list answers; every scan_camera's cameraId lands in
    // mock.cameraScans; mock.cameraTimesOut: that many scans end with 300 after a few frames.
    camera_list: () => mock.cameras || [],
    scan_camera: ({ cameraId } = {}) => {
      if (!mock.info || !mock.info.camera) reject(codes.NO_CAMERA, 'No camera found.');
      (mock.cameraScans = mock.cameraScans || []).push(cameraId ?? null);
      if (mock.cameraError) reject(mock.cameraError.code, mock.cameraError.message);
      mock.cameraCancelled = false;
      return new Promise((resolve, fail) => {
        let n = 0;
        const tick = setInterval(() => {
          if (mock.cameraCancelled) {
            clearInterval(tick);
            fail({ code: codes.SCAN_CANCELLED, message: 'the scan was cancelled' });
            return;
          }
          mock.emit(events.PREVIEW_EVENT, mock.previewFrame(n++));
          if (mock.cameraTimesOut > 0 && n >= 3) {
            mock.cameraTimesOut -= 1;
            clearInterval(tick);
            fail({ code: codes.NO_QR_CODE, message: 'The camera saw no QR code.' });
            return;
          }
          if (mock.cameraFinds && n >= 3) {
            clearInterval(tick);
            resolve(startFlow());
          }
        }, 40);
      });
    },
    scan_cancel: () => {
      mock.cameraCancelled = true;
      return null;
    },
    // Push pauses at the server: accountId -> until (Unix seconds); minutes 0 resumes.
    account_pause_push: ({ accountId, minutes }) => {
      if (!mock.accounts.some((a) => a.id === accountId)) reject(codes.UNKNOWN_ACCOUNT, 'no such account');
      if (!Number.isInteger(minutes) || minutes < 0) reject(codes.INVALID_INPUT, 'invalid input: minutes');
      if (minutes > 7 * 24 * 60) reject(codes.INVALID_INPUT, 'invalid input: a pause lasts at most 7 days');
      const until = minutes > 0 ? Math.floor(Date.now() / 1000) + minutes * 60 : null;
      if (until) mock.paused[accountId] = until;
      else delete mock.paused[accountId];
      // Recorded in the history, as the SDK does.
      const account = mock.accounts.find((a) => a.id === accountId);
      mock.history.push({
        id: Math.max(0, ...mock.history.map((e) => e.id)) + 1, at: Math.floor(Date.now() / 1000), kind: 'PAUSE_PUSH', status: 'PUSH_PAUSED',
        serverId: account.serverId, serverName: account.serverName, accountId, accountName: account.displayName, announce: null, errorCode: null,
        detail: until ? `login requests paused for ${minutes} min` : 'login requests resumed',
      });
      return { pausedUntil: until };
    },
    settings_server_link_prefixes: () => mock.serverLinkPrefixes,
    app_login_status: () => mock.appLogin,
    // Unlocking: the login runs as a flow; a moment later its session is active (SESSION_UPDATE).
    app_login_start: () => {
      if (mock.accounts.length !== 1) reject(codes.SINGLE_ACCOUNT, 'the app holds a single account');
      if (mock.appLogin.state !== 'LOCKED') return mock.appLogin;
      const flowId = 'app-login-1';
      mock.appLogin = { state: 'UNLOCKING', flowId };
      setTimeout(() => {
        const account = mock.accounts[0];
        const session = { id: flowId, account, server: mock.servers[account.serverId], state: 'ACTIVE', continuous: true, error: null };
        mock.appLogin = { state: 'UNLOCKED', flowId };
        mock.sessions = [...mock.sessions, session];
        mock.emit(events.SDK_EVENT, { type: 'SESSION_UPDATE', session });
      }, 30);
      return mock.appLogin;
    },
    app_login_token: ({ audience }) => {
      if (!audience || !audience.trim()) reject(codes.BAD_REQUEST, 'say who the token is for');
      if (mock.appLogin.state !== 'UNLOCKED') reject(codes.NO_APP_LOGIN, 'the app is not logged in (AppLogin)');
      return { token: `nat1.${btoa(audience.trim()).replace(/=+$/, '')}.c2lnbmF0dXJl`, audience: audience.trim(), expiresAt: Math.floor(Date.now() / 1000) + 300 };
    },
    app_login_stop: () => {
      const session = mock.sessions.find((s) => s.id === mock.appLogin.flowId);
      mock.appLogin = { state: 'LOCKED', flowId: null };
      if (session) {
        mock.sessions = mock.sessions.filter((s) => s !== session);
        setTimeout(() => mock.emit(events.SDK_EVENT, { type: 'SESSION_UPDATE', session: { ...session, state: 'LOGGED_OUT' } }), 10);
      }
      return mock.appLogin;
    },
    pin_change: ({ current }) => (current === '2468' ? null : reject(codes.WRONG_PIN, 'wrong PIN (2 attempts left)')),
  };
  // The mock and the contract name the same commands (a new command needs its stand-in here).
  const missing = Object.keys(contract).filter((name) => !commands[name]);
  const extra = Object.keys(commands).filter((name) => !contract[name]);
  if (missing.length || extra.length) {
    throw new Error(`mock-tauri.js and the contract differ: unmocked ${missing}, not in the contract ${extra}`);
  }
  window.__mock = mock;
  window.__TAURI__ = {
    core: {
      invoke: async (cmd, args = {}) => {
        mock.calls.push([cmd, clone(args)]);
        await new Promise((r) => setTimeout(r, mock.delays[cmd]?.(args) ?? 5));
        const fn = mock.overrides[cmd] || commands[cmd];
        try {
          if (!contract[cmd]) throw { code: 0, message: `${cmd} is not a command of the contract` };
          const unknown = Object.keys(args).filter((name) => !contract[cmd].includes(name));
          if (unknown.length) throw { code: 0, message: `${cmd} takes no argument ${unknown}` };
          return clone(await fn(args));
        } finally {
          mock.answered.push(cmd);
        }
      },
    },
    event: {
      listen: async (name, cb) => {
        (listeners[name] ||= []).push(cb);
        return () => {
          listeners[name] = listeners[name].filter((x) => x !== cb);
        };
      },
    },
  };
})();
