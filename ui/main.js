// Welcome screen: shows the app version from the Rust side via `invoke('app_info')`.
// Works without Tauri too (e.g. opened in a plain browser) and says so instead of failing.
(() => {
  'use strict';

  const versionEl = document.getElementById('version');

  async function showVersion() {
    const tauri = window.__TAURI__;
    if (!tauri || !tauri.core || typeof tauri.core.invoke !== 'function') {
      versionEl.textContent = 'Running outside the nextAuth app – version unavailable.';
      versionEl.classList.add('muted');
      return;
    }
    try {
      const info = await tauri.core.invoke('app_info');
      versionEl.textContent = `${info.name} ${info.version}`;
    } catch (err) {
      versionEl.textContent = `Could not read the app version: ${err}`;
      versionEl.classList.add('error');
    }
  }

  showVersion();
})();
