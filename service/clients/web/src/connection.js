// What the page does when its connection changes: the words for errors, the banner while
// reconnecting, back to the lobby when the board is gone (its node died, the connection could
// not be restored, a redirect failed), and KICKED told from the eviction that follows the
// page's own redirect (the library never reports that one). No DOM here: main.js passes a `ui`
// with the page's operations, and test/connection.test.js drives it with fake servers.

/** Shown in the lobby when the node that ran the player's board went away with it. */
export const BOARD_GONE = 'The game server your board ran on has stopped, and the board with it. You are back in the lobby.';
/** Shown when a real KICKED (a login elsewhere, an operator) ended the connection. */
export const KICKED_ELSEWHERE = 'You are playing from another tab or device.';

/** A sentence for a player about a RookeryError; `url` names the server the page talks to. */
export function friendly(err, { url = '' } = {}) {
  switch (err?.code) {
    case 'CONNECT_FAILED': return `Cannot reach the game server${url ? ` (${url})` : ''}.`;
    case 'ROOM_FULL': return 'That board is full.';
    case 'ROOM_NOT_FOUND': return 'That board is gone.';
    case 'ROOM_LOCKED': return 'That board is locked.';
    case 'SHUTTING_DOWN': return 'The server is restarting; try again in a moment.';
    case 'CLUSTER_UNAVAILABLE': return 'The server that runs that board did not answer. Try again in a moment.';
    case 'TICKET_INVALID': return 'The seat kept for you on that board expired before you got there. Try again.';
    case 'INVALID_ARGUMENT': return err.message;
    case 'REQUEST_TIMEOUT': return 'The server did not answer in time.';
    case 'DISCONNECTED': case 'NOT_CONNECTED': return 'Not connected.';
    default: return err?.message || String(err);
  }
}

/** Why a join that was sent on to another node failed, for the lobby. */
export function redirectFailure(err, redirect) {
  switch (err?.code) {
    case 'CONNECT_FAILED':
    case 'REQUEST_TIMEOUT':
    case 'DISCONNECTED':
      // The player stays where it was; the board's own server is what could not be reached.
      return `Cannot reach the server that runs that board${redirect?.node ? ` (${redirect.node})` : ''}. Try again in a moment.`;
    default:
      return friendly(err);
  }
}

/**
 * The page's side of the client's connection. `ui` has: screen() -> 'name' | 'lobby' | 'game',
 * show(screen), setConn(status), banner(text | null, opts), toast(text, kind, ms),
 * lobbyError(text | null), lobbyBusy(bool), refreshRooms(), refreshLeaderboard().
 */
export class PageConnection {
  /** Subscribes to `client`'s events; dispose() unsubscribes. */
  constructor(client, ui) {
    this.client = client;
    this.ui = ui;
    /** Set by a real KICKED: the banner says why the connection ended. */
    this.kickedMessage = null;
    /** Every redirect followed: { node, host, roomId, url, reconnect } (test hooks show them). */
    this.redirects = [];
    /** Every reconnect: { resumed, seatRestored, seat, attempts, url, previousUrl }. */
    this.reconnects = [];
    this._joinRedirect = null; // the redirect of the join in progress, if it was sent on
    this._dropUrl = null; // the server the connection was lost from
    const on = (name, fn) => client.on(name, fn.bind(this));
    this._off = [
      on('left', this._onLeft),
      on('disconnect', this._onDisconnect),
      on('reconnecting', this._onReconnecting),
      on('reconnect', this._onReconnect),
      on('reconnectFailed', this._onReconnectFailed),
      on('error', this._onError),
      on('redirect', this._onRedirect),
    ];
  }

  /** Unsubscribes from the client. */
  dispose() {
    for (const off of this._off) off();
  }

  /** friendly() with the server the client talks to now. */
  friendly(err) {
    return friendly(err, { url: this.client.url });
  }

  /**
   * Runs a join (create, join, join-or-create) from the lobby with its buttons disabled. A
   * refusal, or a redirect that failed, is shown in the lobby, where the player still is.
   */
  async enterRoom(action) {
    const ui = this.ui;
    ui.lobbyError(null);
    ui.lobbyBusy(true);
    this._joinRedirect = null;
    try {
      await action();
    } catch (err) {
      if (err.code === 'ALREADY_IN_ROOM' && this.client.room) return;
      ui.lobbyError(this._joinRedirect ? redirectFailure(err, this._joinRedirect) : this.friendly(err));
      ui.refreshRooms();
    } finally {
      this._joinRedirect = null;
      ui.lobbyBusy(false);
    }
  }

  /** The player asked to connect again: a new start, nothing from the old connection applies. */
  resetKick() {
    this.kickedMessage = null;
  }

  _onRedirect(info) {
    this.redirects.push({ ...info });
    if (!info.reconnect) this._joinRedirect = info;
  }

  _onLeft(left) {
    const ui = this.ui;
    // A seat lost while reconnecting, and the connection came back at another server: the node
    // that ran the board is gone, and the board with it.
    const boardGone = left.reason === 'reconnect_expired' && this._dropUrl !== null && this.client.url !== this._dropUrl;
    if (boardGone) {
      ui.lobbyError(BOARD_GONE);
      ui.toast('Your board is gone: its server stopped.', 'warn', 5000);
    } else if (left.reason && left.reason !== 'left') {
      const why = {
        room_closed: 'The board was closed.',
        kicked: 'You were removed from the board.',
        shutdown: 'The server is shutting down.',
        reconnect_expired: 'Your seat was released while you were away.',
        reconnect_failed: 'Connection lost.',
      }[left.reason] ?? `You left the board (${left.reason}).`;
      ui.toast(why, 'warn', 4000);
    }
    ui.show('lobby');
    if (left.reason === 'reconnect_failed') return; // nothing to ask: the banner says what now
    ui.refreshRooms();
    ui.refreshLeaderboard();
    // Scores are saved when the seat is released: ask again a little later. (unref: in node, the
    // tests, this timer alone must not keep the process alive.)
    setTimeout(() => ui.refreshLeaderboard(), 1200).unref?.();
  }

  _onDisconnect(info) {
    const ui = this.ui;
    this._dropUrl = this.client.url;
    ui.setConn(info.willReconnect ? 'reconnecting' : 'closed');
    if (info.willReconnect) {
      ui.banner('Disconnected — reconnecting…');
    } else if (ui.screen() !== 'name') {
      ui.banner(this.kickedMessage ?? 'Disconnected from the server.', { button: 'Reconnect', spinner: false, kind: 'error' });
    }
  }

  _onReconnecting({ attempt, delayMs }) {
    this.ui.setConn('reconnecting');
    this.ui.banner(attempt > 1
      ? `Disconnected — reconnecting… (attempt ${attempt}, next try in ${Math.max(1, Math.round(delayMs / 1000))} s)`
      : 'Disconnected — reconnecting…');
  }

  async _onReconnect(info) {
    const ui = this.ui;
    this.reconnects.push({
      resumed: info.resumed, seatRestored: info.seatRestored, seat: info.seat, attempts: info.attempts,
      url: info.url, previousUrl: info.previousUrl,
    });
    this._dropUrl = null;
    ui.setConn('open');
    ui.banner(null);
    ui.toast('Reconnected', 'good');
    if (!info.seatRestored && info.previousRoom && info.url === info.previousUrl) {
      // The seat was lost, the board may still be there: try to sit at it again.
      try {
        await this.client.joinRoom(info.previousRoom.roomId);
      } catch {
        ui.show('lobby');
        ui.refreshRooms();
      }
    } else if (!this.client.room && ui.screen() === 'game') {
      ui.show('lobby');
      ui.refreshRooms();
    }
  }

  _onReconnectFailed(err) {
    const ui = this.ui;
    ui.setConn('closed');
    // The board cannot be played without a connection: back to the lobby, where the banner
    // offers to connect again (to the server the page came from).
    if (ui.screen() === 'game') ui.show('lobby');
    ui.banner(`Connection lost: ${this.friendly(err)}`, { button: 'Reconnect', spinner: false, kind: 'error' });
  }

  _onError(err) {
    if (err.code === 'KICKED') {
      // A real kick: the library swallows the eviction that follows its own redirect.
      this.kickedMessage = KICKED_ELSEWHERE;
      return;
    }
    if (err.code === 'RATE_LIMITED') return; // moves are throttled; a dropped one is harmless
    if (err.code === 'INVALID_INPUT') return;
    this.ui.toast(this.friendly(err), 'warn');
  }
}
