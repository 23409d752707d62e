// First run: what the app is, and the first account.

import { h, icon } from '../dom';
import { scanActions } from './scan';

export function renderWelcome(main: HTMLElement): void {
  main.replaceChildren(
    h(
      'div',
      { class: 'screen narrow welcome' },
      h(
        'section',
        { class: 'hero', 'aria-labelledby': 'welcome-title' },
        h('div', { class: 'mark big', 'aria-hidden': 'true' }, icon('shield', 40)),
        h('h1', { id: 'welcome-title' }, 'Welcome to nextAuth'),
        h('p', { class: 'lead' }, 'Log in to websites without passwords: this app is your key.'),
        h(
          'ol',
          { class: 'steps' },
          h('li', null, h('strong', null, 'Add an account. '), 'On a website that supports nextAuth, sign up and scan the code it shows.'),
          h('li', null, h('strong', null, 'Log in by scanning. '), 'Next time, press Scan (or Ctrl+Alt+S, also from the browser) while the website shows its code, and approve here. No password to type or leak.'),
          h('li', null, h('strong', null, 'You stay in control. '), 'You see who asks, from which browser, and you approve or deny.'),
        ),
      ),
      scanActions({ headingLevel: 'h2' }),
    ),
  );
}
