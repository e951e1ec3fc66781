import { Client, Listener } from './client';
import { ClientErr, MqttError, mqttError } from './errors';
import { Session } from './state';

// Events and the application's callbacks never run inside a state change: they are queued, and the queue
// runs when the socket event, timer or API call that caused them has finished changing the state (as
// Espruino's own emit is queued). A listener may then call any public method, end() included: what that
// call queues runs after it, from the same loop, never nested, so no listener can recurse the client into
// a stack overflow. What a listener throws is reported once, as an 'error', and changes nothing else.

// Queues an event (by name) or a callback of the application's (a done, a handler; nothing when there is
// none).
export function emit(s: Session, what: string | Listener | null | undefined, a?: unknown, b?: unknown, c?: unknown): void {
  if (what) (s._queue || (s._queue = [])).push(what, a, b, c);
}

// Runs what is queued, unless it is running already (a listener's call returns here, and its events run
// next in the same loop). The message path's callers test `s._queue` first: on the board the call costs
// more than the test (about 13 us against 1.5).
// On the board a builtin property (`length`) costs 5-7 times a field: none is read per event. An entry's first
// item is never falsy (emit), and a listener never is (on), so reading one past the end, undefined, ends a loop.
export function flush(s: Session): void {
  let q = s._queue;
  if (s._flushing || !q) return;
  s._flushing = 1;
  // in batches: what the listeners queue goes into a fresh array, and each batch is freed once it has run
  do {
    s._queue = null;
    // (as few names as it takes: the listeners run beneath this frame, and on the board each is a block then)
    for (let i = 0, what; (what = q[i]); i += 4) {
      // (its first argument is q[i + 1], read where used)
      // a callback is run itself (no array made for it); an event, by its listeners: one, or an array (on)
      const l = typeof what === 'string' ? s._listeners[what] : (what as Listener);
      // A publish from a drop report (or from a given-up message's callback) never gives up another
      // message to make room: a report that evicts the next report would never end.
      s._flushing = what === 'drop' || (typeof what !== 'string' && q[i + 1] && (q[i + 1] as MqttError)._gone) ? 2 : 1;
      // The listeners as they were when the event ran: a copy when there are several (a listener that removes
      // itself, there being no once() on Espruino, must not make the next miss it); one, the usual case, is
      // called alone, as a callback is, without a copy, and one it adds waits for the next event.
      const all = typeof l === 'object' ? l.slice() : null;
      // an error nobody listens for is still seen
      if (what === 'error' && !(all ? all[0] : l)) console.log('mqtt: ' + (q[i + 1] as MqttError).message);
      // called as a plain function, never as a method of the array
      for (let k = 0, fn: Listener | null | undefined = all ? all[0] : (l as Listener | undefined); fn; fn = all && all[++k]) {
        try {
          fn(q[i + 1], q[i + 2], q[i + 3]);
        } catch (e) {
          // an error listener that throws on this very report is logged, not handed its own throw forever
          if (q[i + 1] && (q[i + 1] as MqttError).code === ClientErr.HANDLER) console.log('mqtt: handler threw: ' + e);
          else emit(s, 'error', mqttError(ClientErr.HANDLER, String(e)));
        }
      }
    }
  } while ((q = s._queue));
  s._flushing = 0;
}

// Refuses a call's input: the callback gets the error, or else the 'error' event does.
export function refuse(s: Session, code: number, done?: Listener): false {
  const err = mqttError(code);
  emit(s, done || 'error', err);
  flush(s);
  return false;
}

// An event's one listener is kept as itself, several in an array: on the board an array of one costs 2
// blocks, and finding its listener in it about 4 us, on every message.
export function on(this: Session, event: string, fn: Listener): Client {
  // as Node's emitters: a listener that is no function is refused at once, not found failing later
  if (typeof fn !== 'function') throw new TypeError('listener must be a function');
  const l = this._listeners[event];
  if (!l) this._listeners[event] = fn;
  else if (typeof l === 'function') this._listeners[event] = [l, fn];
  else l.push(fn);
  return this;
}

export function removeListener(this: Session, event: string, fn: Listener): Client {
  const l = this._listeners[event];
  if (l === fn) delete this._listeners[event];
  else if (l && typeof l === 'object') {
    const k = l.indexOf(fn);
    if (k >= 0) l.splice(k, 1);
    // one left is kept as itself again, none as nothing (flush runs a copy of several: safe while it runs)
    if (!l[1]) {
      if (l[0]) this._listeners[event] = l[0];
      else delete this._listeners[event];
    }
  }
  return this;
}
