// The Scan card: every way to start a flow (sign up, log in, approve a transaction): scan the
// screen, the camera, open an image, paste a link, drop an image or link. On the accounts
// screen, the welcome screen and #/scan.

import type { CameraInfo } from '../bindings/CameraInfo';
import type { Flow } from '../bindings/Flow';
import type { Preview } from '../bindings/Preview';
import { state } from '../app';
import { h, icon } from '../dom';
import { explain } from '../format';
import { api, asIpcError, onCameraPreview } from '../ipc';
import { prompts } from '../prompts/controller';
import { NO_CODE_ON_SCREEN, scanScreenAndStart, shortcutHint } from '../scan';
import { Code } from '../bindings/codes';

const IMAGE_PATH = /^(\/|~\/|[A-Za-z]:\\).+\.(png|jpe?g)$/i;

/** Reads a file as base64 (without the data: prefix). */
function fileToBase64(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

/** Draws a greyscale camera preview on `canvas`. */
function drawPreview(canvas: HTMLCanvasElement, preview: Preview): void {
  const luma = atob(preview.luma);
  if (canvas.width !== preview.width) canvas.width = preview.width;
  if (canvas.height !== preview.height) canvas.height = preview.height;
  const ctx = canvas.getContext('2d');
  if (!ctx || luma.length < preview.width * preview.height) return;
  const image = ctx.createImageData(preview.width, preview.height);
  for (let i = 0; i < preview.width * preview.height; i++) {
    const v = luma.charCodeAt(i);
    image.data[i * 4] = v;
    image.data[i * 4 + 1] = v;
    image.data[i * 4 + 2] = v;
    image.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

/** Cancelling, as the scan loop reports it (nothing to tell the person). */
const CANCELLED = { code: Code.SCAN_CANCELLED, message: 'the scan was cancelled' };

/**
 * The camera view while a camera scan runs: the live preview (so the person can aim), the
 * camera to use when there are several (remembered in the settings), and Cancel. When the time
 * runs out with no code, the person may keep looking. Resolves with the flow of the code found.
 */
async function cameraScan(host: HTMLElement): Promise<Flow> {
  const cameras = await api.cameraList().catch(() => [] as CameraInfo[]);
  const remembered = state.settings.camera;
  let chosen = cameras.some((c) => c.id === remembered) ? remembered ?? undefined : cameras[0]?.id;
  let switching = false;
  const canvas = h('canvas', {
    id: 'camera-preview',
    class: 'camera-preview',
    role: 'img',
    'aria-label': 'What the camera sees',
    width: 320,
    height: 240,
  }) as HTMLCanvasElement;
  const cancel = h(
    'button',
    { type: 'button', class: 'secondary', id: 'camera-cancel', onclick: () => void api.scanCancel() },
    'Cancel',
  );
  const picker =
    cameras.length > 1
      ? h(
          'div',
          { class: 'field camera-choice' },
          h('label', { for: 'camera-choice' }, 'Camera'),
          h(
            'select',
            {
              id: 'camera-choice',
              onchange: (e: Event) => {
                chosen = (e.target as HTMLSelectElement).value;
                void api
                  .settingsUpdate({ ...state.settings, camera: chosen })
                  .then((saved) => (state.settings = saved))
                  .catch(() => undefined);
                // The running scan stops; the loop below starts the chosen camera.
                switching = true;
                void api.scanCancel();
              },
            },
            cameras.map((c) => h('option', { value: c.id, selected: c.id === chosen }, c.name)),
          ),
        )
      : null;
  const hint = h('p', { class: 'muted small', role: 'status' }, 'Hold the QR code up to the camera. It is read as soon as it is sharp.');
  const view = h('div', { class: 'camera-view', role: 'group', 'aria-label': 'Camera scan' }, canvas, picker, hint, cancel);
  host.replaceChildren(view);
  host.hidden = false;
  view.scrollIntoView({ block: 'nearest' });
  const unlisten = await onCameraPreview((preview) => drawPreview(canvas, preview));
  cancel.focus();
  try {
    for (;;) {
      try {
        return await api.scanCamera(chosen ?? null);
      } catch (err) {
        const e = asIpcError(err);
        if (e.code === Code.SCAN_CANCELLED && switching) {
          switching = false;
          continue;
        }
        if (e.code !== Code.NO_QR_CODE || !(await keepLooking(view, hint, cancel))) throw e.code === Code.NO_QR_CODE ? CANCELLED : err;
      }
    }
  } finally {
    unlisten();
    host.replaceChildren();
    host.hidden = true;
  }
}

/** After the time limit: "Keep looking" (true) or Cancel (false). */
function keepLooking(view: HTMLElement, hint: HTMLElement, cancel: HTMLElement): Promise<boolean> {
  return new Promise((resolve) => {
    hint.textContent = 'The camera saw no QR code yet. Hold the code closer, in good light.';
    const again = h(
      'button',
      {
        type: 'button',
        id: 'camera-keep-looking',
        onclick: () => {
          again.remove();
          cancel.hidden = false;
          stop.remove();
          hint.textContent = 'Hold the QR code up to the camera. It is read as soon as it is sharp.';
          resolve(true);
        },
      },
      'Keep looking',
    );
    const stop = h('button', { type: 'button', class: 'secondary', id: 'camera-stop', onclick: () => resolve(false) }, 'Cancel');
    cancel.hidden = true;
    view.append(again, stop);
    again.focus();
  });
}

/** The card with every way to start a flow; `linkOpen` shows the link field from the start. */
export function scanActions(opts: { headingLevel?: 'h2' | 'h3'; linkOpen?: boolean } = {}): HTMLElement {
  const status = h('p', { class: 'form-status', role: 'status', 'aria-live': 'polite' });
  const setStatus = (text: string, tone: 'bad' | 'info' = 'info') => {
    status.textContent = text;
    status.className = `form-status ${tone}`;
  };

  async function run(
    button: HTMLButtonElement | null,
    busy: string,
    start: () => Promise<Flow | void>,
    noCode = '',
  ) {
    const label = button?.querySelector('.label');
    const before = label?.textContent;
    if (button) {
      button.disabled = true;
      button.setAttribute('aria-busy', 'true');
      if (label) label.textContent = busy;
    }
    setStatus('');
    try {
      const flow = await start();
      if (flow) prompts.started(flow);
    } catch (err) {
      const e = asIpcError(err);
      // The person cancelled a camera scan: nothing to report.
      if (e.code !== Code.SCAN_CANCELLED) setStatus(e.code === Code.NO_QR_CODE && noCode ? noCode : explain(e), 'bad');
    } finally {
      if (button) {
        button.disabled = false;
        button.removeAttribute('aria-busy');
        if (label && before) label.textContent = before;
      }
    }
  }

  const fileInput = h('input', {
    type: 'file',
    accept: 'image/png,image/jpeg',
    class: 'visually-hidden',
    id: 'open-image-input',
    tabindex: '-1',
    'aria-hidden': 'true',
    onchange: () => {
      const file = fileInput.files?.[0];
      if (!file) return;
      void run(openBtn, 'Reading…', async () => api.scanImageData(await fileToBase64(file)));
      fileInput.value = '';
    },
  });

  const screenBtn = h(
    'button',
    {
      class: 'action primary scan-main',
      id: 'scan-screen',
      type: 'button',
      'aria-keyshortcuts': 'Control+Alt+S',
      disabled: state.info ? !state.info.screenCapture : false,
      onclick: () => void run(screenBtn, 'Looking for a code…', scanScreenAndStart, NO_CODE_ON_SCREEN),
    },
    icon('screen', 26),
    h('span', { class: 'label' }, 'Scan screen'),
    h('span', { class: 'sub' }, `Finds the website’s code, even under this window · ${shortcutHint()}`),
  );
  const openBtn = h(
    'button',
    { class: 'action', id: 'open-image', type: 'button', onclick: () => fileInput.click() },
    icon('image', 22),
    h('span', { class: 'label' }, 'Open image…'),
    h('span', { class: 'sub' }, 'A saved picture of the code'),
  );
  const linkBtn = h(
    'button',
    {
      class: 'action',
      id: 'show-link',
      type: 'button',
      'aria-expanded': opts.linkOpen ? 'true' : 'false',
      'aria-controls': 'link-form',
      onclick: () => {
        const open = linkForm.hidden;
        linkForm.hidden = !open;
        linkBtn.setAttribute('aria-expanded', String(open));
        if (open) linkInput.focus();
      },
    },
    icon('link', 22),
    h('span', { class: 'label' }, 'Paste a link…'),
    h('span', { class: 'sub' }, 'A nextauth: link from the website'),
  );
  const cameraBtn = h(
    'button',
    {
      class: 'action',
      id: 'scan-camera',
      type: 'button',
      onclick: () =>
        void run(
          cameraBtn,
          'Looking through the camera…',
          // With a camera scanner built in, show what the camera sees while it looks.
          state.info?.camera ? () => cameraScan(cameraHost) : () => api.scanCamera(null),
          'The camera saw no QR code. Hold the code closer and steady, or scan from the screen.',
        ),
    },
    icon('camera', 22),
    h('span', { class: 'label' }, 'Camera'),
    h('span', { class: 'sub' }, 'Hold the code up to your webcam'),
  );

  const cameraHost = h('div', { class: 'camera-host', hidden: true });

  const linkInput = h('input', {
    id: 'link-input',
    type: 'text',
    inputmode: 'url',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'nextauth:… or https://…',
    'aria-describedby': 'link-help',
  });
  const linkForm: HTMLFormElement = h(
    'form',
    {
      class: 'link-form',
      id: 'link-form',
      hidden: !opts.linkOpen,
      onsubmit: (e: SubmitEvent) => {
        e.preventDefault();
        const text = linkInput.value.trim();
        if (!text) {
          setStatus('Paste a link first.', 'bad');
          linkInput.focus();
          return;
        }
        const submit = linkForm.querySelector('button');
        void run(submit, 'Opening…', () =>
          IMAGE_PATH.test(text) ? api.scanImage(text) : api.flowStartLink(text),
        ).then(() => {
          if (!status.textContent) linkInput.value = '';
        });
      },
    },
    h('label', { for: 'link-input' }, icon('link', 18), ' Paste a link'),
    h(
      'div',
      { class: 'row' },
      linkInput,
      h('button', { type: 'submit', class: 'secondary', id: 'link-go' }, h('span', { class: 'label' }, 'Open')),
    ),
    h(
      'p',
      { id: 'link-help', class: 'hint' },
      'A nextauth: link from the website, or the path of a saved QR image.',
    ),
  );

  const Heading = opts.headingLevel ?? 'h2';
  const card = h(
    'section',
    { class: 'card scan-card', 'aria-labelledby': 'scan-heading' },
    h(Heading, { id: 'scan-heading' }, 'Scan a code'),
    h(
      'p',
      { class: 'muted' },
      'To sign up, log in or approve a payment, show the website’s nextAuth code and scan it.',
    ),
    screenBtn,
    h('div', { class: 'actions-grid' }, cameraBtn, openBtn, linkBtn),
    cameraHost,
    fileInput,
    linkForm,
    status,
    h('p', { class: 'hint drop-hint' }, 'You can also drop an image or a link onto this card.'),
  );

  card.addEventListener('dragover', (e) => {
    e.preventDefault();
    card.classList.add('dropping');
  });
  card.addEventListener('dragleave', () => card.classList.remove('dropping'));
  card.addEventListener('drop', (e) => {
    e.preventDefault();
    card.classList.remove('dropping');
    const file = e.dataTransfer?.files?.[0];
    if (file) {
      void run(openBtn, 'Reading…', async () => api.scanImageData(await fileToBase64(file)));
      return;
    }
    const text = e.dataTransfer?.getData('text/plain')?.trim();
    if (text) void run(null, '', () => api.flowStartLink(text));
  });
  card.addEventListener('paste', (e) => {
    const file = [...(e.clipboardData?.files ?? [])].find((f) => f.type.startsWith('image/'));
    if (file) {
      e.preventDefault();
      void run(openBtn, 'Reading…', async () => api.scanImageData(await fileToBase64(file)));
    }
  });
  return card;
}

/** #/scan (and #/add, its older name) */
export function renderScan(main: HTMLElement): void {
  main.replaceChildren(
    h(
      'div',
      { class: 'screen narrow' },
      h('a', { href: '#/accounts', class: 'back' }, icon('back', 18), 'Accounts'),
      h('h1', null, 'Scan a code'),
      scanActions({ headingLevel: 'h2', linkOpen: true }),
    ),
  );
  // The card's own heading repeats the page title; keep one for screen readers.
  main.querySelector('#scan-heading')?.classList.add('visually-hidden');
}
