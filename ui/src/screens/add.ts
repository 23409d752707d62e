// The ways to add an account (or start any flow): scan the screen, open an image, paste a
// link, drop an image or link, or the camera. Used by the welcome screen and #/add.

import type { Flow } from '../bindings/Flow';
import type { Preview } from '../bindings/Preview';
import { state } from '../app';
import { h, icon } from '../dom';
import { explain } from '../format';
import { api, asIpcError, onCameraPreview } from '../ipc';
import { prompts } from '../prompts/controller';

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

/**
 * The camera view while a camera scan runs: the live preview (so the person can aim) and a
 * Cancel button. Resolves when the scan ends.
 */
async function cameraScan(host: HTMLElement): Promise<Flow> {
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
    { type: 'button', class: 'secondary', id: 'camera-cancel', onclick: () => void api.cancelScan() },
    'Cancel',
  );
  const view = h(
    'div',
    { class: 'camera-view', role: 'group', 'aria-label': 'Camera scan' },
    canvas,
    h('p', { class: 'muted small' }, 'Hold the QR code up to the camera. It is read as soon as it is sharp.'),
    cancel,
  );
  host.replaceChildren(view);
  host.hidden = false;
  view.scrollIntoView({ block: 'nearest' });
  const unlisten = await onCameraPreview((preview) => drawPreview(canvas, preview));
  cancel.focus();
  try {
    return await api.scanCamera();
  } finally {
    unlisten();
    host.replaceChildren();
    host.hidden = true;
  }
}

/** The card with every way to start a flow. */
export function addActions(opts: { headingLevel?: 'h2' | 'h3' } = {}): HTMLElement {
  const status = h('p', { class: 'form-status', role: 'status', 'aria-live': 'polite' });
  const setStatus = (text: string, tone: 'bad' | 'info' = 'info') => {
    status.textContent = text;
    status.className = `form-status ${tone}`;
  };

  async function run(
    button: HTMLButtonElement | null,
    busy: string,
    start: () => Promise<Flow>,
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
      prompts.started(await start());
    } catch (err) {
      const e = asIpcError(err);
      // The person cancelled a camera scan: nothing to report.
      if (e.code !== 307) setStatus(e.code === 300 && noCode ? noCode : explain(e), 'bad');
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
      class: 'action primary',
      id: 'scan-screen',
      type: 'button',
      disabled: state.info ? !state.info.screenCapture : false,
      onclick: () =>
        void run(
          screenBtn,
          'Looking for a code…',
          api.scanScreen,
          'No QR code is visible on the screen. Show the website’s code, or open a saved image of it.',
        ),
    },
    icon('screen', 22),
    h('span', { class: 'label' }, 'Scan from screen'),
    h('span', { class: 'sub' }, 'Finds the code shown on the website'),
  );
  const openBtn = h(
    'button',
    { class: 'action', id: 'open-image', type: 'button', onclick: () => fileInput.click() },
    icon('image', 22),
    h('span', { class: 'label' }, 'Open image…'),
    h('span', { class: 'sub' }, 'A saved picture or screenshot of the code'),
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
          state.info?.camera ? () => cameraScan(cameraHost) : api.scanCamera,
          'The camera saw no QR code. Hold the code closer and steady, or scan from the screen.',
        ),
    },
    icon('camera', 22),
    h('span', { class: 'label' }, 'Use camera'),
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
  const linkForm = h(
    'form',
    {
      class: 'link-form',
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
          IMAGE_PATH.test(text) ? api.scanImage(text) : api.startLink(text),
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
    { class: 'card add-card', 'aria-labelledby': 'add-heading' },
    h(Heading, { id: 'add-heading' }, 'Add an account'),
    h(
      'p',
      { class: 'muted' },
      'On the website, choose to sign in with nextAuth. It shows a QR code: scan it from here.',
    ),
    h('div', { class: 'actions-grid' }, screenBtn, openBtn, cameraBtn),
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
    if (text) void run(null, '', () => api.startLink(text));
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

/** #/add */
export function renderAdd(main: HTMLElement): void {
  main.replaceChildren(
    h(
      'div',
      { class: 'screen narrow' },
      h('a', { href: '#/accounts', class: 'back' }, icon('back', 18), 'Accounts'),
      h('h1', null, 'Add an account'),
      addActions({ headingLevel: 'h2' }),
    ),
  );
  // The card's own heading repeats the page title; keep one for screen readers.
  main.querySelector('#add-heading')?.classList.add('visually-hidden');
}
