import { api } from '../api.js';
import { h, replace, field } from '../dom.js';
import { errorBox, busy } from '../ui.js';

export function renderLogin(app, { onLoggedIn }) {
  const user = h('input', { name: 'username', type: 'text', autocomplete: 'username', required: true, autocapitalize: 'off', spellcheck: 'false' });
  const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', text: 'Log in' });
  const err = errorBox();
  const form = h(
    'form',
    {
      class: 'login-form',
      'aria-labelledby': 'login-title',
      onsubmit: async (e) => {
        e.preventDefault();
        err.clear();
        if (!user.value.trim() || !pass.value) {
          err.show('Enter your username and password.');
          (user.value.trim() ? pass : user).focus();
          return;
        }
        try {
          await busy(submit, () => api.login(user.value.trim(), pass.value), 'Logging in…');
          onLoggedIn();
        } catch (e2) {
          err.show(e2);
          pass.value = '';
          pass.focus();
        }
      },
    },
    field('Username', user),
    field('Password', pass),
    err,
    submit,
  );
  replace(
    app,
    h(
      'div',
      { class: 'login-page' },
      h(
        'main',
        { class: 'login-card card' },
        h('div', { class: 'login-brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true', text: 'R' }), h('span', { text: 'Rookery' })),
        h('h1', { id: 'login-title', class: 'page-title', tabindex: '-1', text: 'Log in to the admin console' }),
        form,
        h(
          'p',
          { class: 'muted small' },
          'Admin users are created with ',
          h('code', { text: 'rookery admin add-user NAME --role ROLE' }),
          ', or from ',
          h('code', { text: 'ROOKERY_ADMIN_USER' }),
          ' / ',
          h('code', { text: 'ROOKERY_ADMIN_PASSWORD' }),
          ' at first start.',
        ),
      ),
    ),
  );
  user.focus();
}
