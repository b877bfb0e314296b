// Shared widgets: confirm dialog, toasts, inline error boxes, busy buttons, page headings.
import { h, replace, uid } from './dom.js';

/**
 * A modal confirm dialog (native <dialog>: focus is trapped, Esc cancels). Focus starts on
 * Cancel so a stray Enter never confirms a destructive action.
 * Resolves true when confirmed.
 */
export function confirmDialog({ title, body, confirmLabel = 'Confirm', danger = true }) {
  return new Promise((resolve) => {
    const titleId = uid('dlg');
    const bodyId = uid('dlg');
    const cancel = h('button', { type: 'button', class: 'btn', text: 'Cancel', autofocus: true });
    const ok = h('button', {
      type: 'button',
      class: danger ? 'btn btn-danger' : 'btn btn-primary',
      text: confirmLabel,
      'data-confirm': 'yes',
    });
    const dialog = h(
      'dialog',
      { class: 'dialog', 'aria-labelledby': titleId, 'aria-describedby': bodyId, role: 'alertdialog' },
      h('h2', { id: titleId, text: title }),
      h('div', { id: bodyId, class: 'dialog-body' }, body),
      h('div', { class: 'dialog-actions' }, cancel, ok),
    );
    let result = false;
    const finish = (value) => {
      result = value;
      dialog.close();
    };
    cancel.addEventListener('click', () => finish(false));
    ok.addEventListener('click', () => finish(true));
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(result);
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

let toastRegion = null;
/** A short message in the corner, announced to screen readers. kind: ok | error | info. */
export function toast(message, kind = 'ok') {
  if (!toastRegion || !toastRegion.isConnected) {
    toastRegion = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(toastRegion);
  }
  const el = h('div', { class: `toast toast-${kind}`, text: message });
  toastRegion.append(el);
  setTimeout(() => el.classList.add('toast-hide'), 4000);
  setTimeout(() => el.remove(), 4600);
}

/** An inline error box (role=alert); call .show(err|message) / .clear(). */
export function errorBox() {
  const el = h('div', { class: 'error-box', role: 'alert', hidden: true });
  el.show = (err) => {
    const message = typeof err === 'string' ? err : err?.message || String(err);
    const status = typeof err === 'object' && err?.status ? ` (HTTP ${err.status})` : '';
    replace(el, h('strong', { text: 'Error: ' }), message + status);
    el.hidden = false;
  };
  el.clear = () => {
    el.hidden = true;
    el.replaceChildren();
  };
  return el;
}

/** Disables a button (and shows a label) while `fn` runs. */
export async function busy(button, fn, busyLabel) {
  const label = button.textContent;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  if (busyLabel) button.textContent = busyLabel;
  try {
    return await fn();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    if (busyLabel) button.textContent = label;
  }
}

/** The page title row: an h1 that takes focus on navigation, plus optional actions. */
export function pageHeader(title, ...actions) {
  return h(
    'div',
    { class: 'page-header' },
    h('h1', { tabindex: '-1', class: 'page-title', text: title }),
    actions.length ? h('div', { class: 'page-actions' }, actions) : null,
  );
}

/** A titled card section. */
export function card(title, ...children) {
  const id = title ? uid('card') : null;
  return h(
    'section',
    { class: 'card', 'aria-labelledby': id },
    title ? h('h2', { id, class: 'card-title', text: title }) : null,
    children,
  );
}

/** A "Loading…" placeholder. */
export function loading(text = 'Loading…') {
  return h('p', { class: 'muted loading', role: 'status', text });
}
